import { spawn, type ChildProcess } from 'node:child_process';
import path from 'node:path';
import { createInterface } from 'node:readline';

const ROOT = path.resolve(import.meta.dirname, '../..');

export interface DaemonProcess {
  child: ChildProcess;
  /** Every pino line the daemon wrote, parsed. */
  logs: Record<string, unknown>[];
  exited: Promise<{ code: number | null; signal: NodeJS.Signals | null }>;
}

/**
 * Runs `classcast run --config FILE` and resolves once the daemon logged "daemon started".
 * `launch` starts the command another way (e.g. inside a network namespace).
 */
export async function startDaemonProcess(
  configFile: string,
  timeoutMs = 60_000,
  launch: (command: string, args: string[]) => ChildProcess = (command, args) => spawn(command, args, { cwd: ROOT, stdio: ['ignore', 'pipe', 'pipe'] }),
): Promise<DaemonProcess> {
  const child = launch(process.execPath, [path.join(ROOT, 'daemon/bin/classcast.mjs'), 'run', '--config', configFile]);
  const logs: Record<string, unknown>[] = [];
  const exited = new Promise<{ code: number | null; signal: NodeJS.Signals | null }>((resolve) =>
    child.once('exit', (code, signal) => resolve({ code, signal })),
  );
  await new Promise<void>((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`daemon did not start:\n${JSON.stringify(logs.slice(-20))}`)), timeoutMs);
    createInterface({ input: child.stderr! }).on('line', (line) => {
      try {
        const entry = JSON.parse(line) as Record<string, unknown>;
        logs.push(entry);
        if (entry.msg === 'daemon started') {
          clearTimeout(timer);
          resolve();
        }
      } catch {
        // Not a log line (e.g. a runtime warning).
      }
    });
    void exited.then(({ code, signal }) => {
      clearTimeout(timer);
      reject(new Error(`daemon exited early (${code ?? signal}):\n${JSON.stringify(logs.slice(-20))}`));
    });
  });
  return { child, logs, exited };
}
