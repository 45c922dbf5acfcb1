import type { Writable } from 'node:stream';

/** What a CLI command gets besides its arguments; tests pass their own streams. */
export interface CliContext {
  stdout: Writable;
  stderr: Writable;
  /** Resolves when the user asks to stop (SIGINT/SIGTERM); long-running commands await it. */
  stopSignal: Promise<string>;
}

/**
 * One `classcast <name>` command, in its own file under `daemon/cli/commands/`. `run` returns
 * the exit code; it never calls process.exit. Bad arguments: print usage to stderr, return 2.
 */
export interface Command {
  name: string;
  summary: string;
  usage: string;
  run(args: string[], ctx: CliContext): Promise<number>;
}
