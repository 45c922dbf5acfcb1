import { existsSync } from 'node:fs';

const SETPRIV = '/usr/bin/setpriv';
const hasSetpriv = existsSync(SETPRIV);

/**
 * Wraps a command so the kernel kills it when the daemon dies, even by SIGKILL, where no
 * exit handler of ours can run. `setpriv --pdeathsig KILL` sets PR_SET_PDEATHSIG and then
 * execs the command, so the pid we get is the command's own. PDEATHSIG fires when the
 * spawning *thread* exits; libuv forks from the event-loop thread, which lives as long as
 * the process does. Without setpriv (not Linux), the command runs as it is.
 */
export function orphanSafe(command: string, args: string[]): [string, string[]] {
  if (!hasSetpriv) return [command, args];
  return [SETPRIV, ['--pdeathsig', 'KILL', '--', command, ...args]];
}
