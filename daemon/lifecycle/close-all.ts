import type { Logger } from 'pino';
import { withTimeout } from '../../config/foundation/errors.ts';

export interface Closer {
  name: string;
  close: () => Promise<void> | void;
}

/**
 * Closes parts in order, each within its share of one overall deadline: a part that hangs (a
 * worker that will not exit, a peer that never finishes a close handshake) is logged and
 * passed over, so a stop under systemd ends before the unit's own stop timeout kills the
 * process mid-write. A part that throws is logged too; the rest still close.
 */
export async function closeAll(closers: readonly Closer[], logger: Logger, deadlineMs: number): Promise<{ timedOut: string[] }> {
  const end = performance.now() + deadlineMs;
  const timedOut: string[] = [];
  for (const { name, close } of closers) {
    const left = Math.max(0, end - performance.now());
    try {
      await withTimeout(Promise.resolve().then(close), left, 'TIMEOUT', `closing ${name}`);
    } catch (error) {
      if ((error as { code?: string }).code === 'TIMEOUT' && performance.now() >= end - 1) {
        timedOut.push(name);
        logger.error({ component: name, deadlineMs }, 'close did not finish within the shutdown deadline; left behind');
      } else {
        logger.warn({ err: error, component: name }, 'close failed');
      }
    }
  }
  return { timedOut };
}
