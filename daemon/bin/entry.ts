import { main } from '../cli/main.ts';

/**
 * The process entry: the only place that touches process signals and the exit code. A first
 * SIGINT/SIGTERM asks the running command to stop gracefully; a second one forces the exit.
 */
export async function runCli(): Promise<void> {
  let requested = false;
  const stopSignal = new Promise<string>((resolve) => {
    const onSignal = (signal: NodeJS.Signals) => {
      if (requested) {
        process.stderr.write(`second ${signal}: exiting now\n`);
        process.exit(130);
      }
      requested = true;
      resolve(signal);
    };
    process.on('SIGINT', onSignal);
    process.on('SIGTERM', onSignal);
  });
  const code = await main(process.argv.slice(2), { stdout: process.stdout, stderr: process.stderr, stopSignal });
  process.exitCode = code;
  // Sockets or timers left by a library must not keep a stopped daemon alive.
  setTimeout(() => process.exit(code), 2000).unref();
}
