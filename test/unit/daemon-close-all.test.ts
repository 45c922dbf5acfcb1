import pino from 'pino';
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { closeAll } from '../../daemon/lifecycle/close-all.ts';

describe('closeAll', () => {
  const lines: string[] = [];
  const logger = pino({ level: 'info' }, { write: (line: string) => lines.push(line) });
  beforeEach(() => vi.useFakeTimers({ toFake: ['setTimeout', 'clearTimeout', 'performance'] }));
  afterEach(() => {
    vi.useRealTimers();
    lines.length = 0;
  });

  it('passes over a part that hangs once the deadline is spent, and closes the rest', async () => {
    const closed: string[] = [];
    const done = closeAll(
      [
        { name: 'api', close: () => void closed.push('api') },
        { name: 'stuck-worker', close: () => new Promise<void>(() => {}) },
        { name: 'broken', close: () => Promise.reject(new Error('boom')) },
        { name: 'devices', close: async () => void closed.push('devices') },
      ],
      logger,
      20_000,
    );
    await vi.advanceTimersByTimeAsync(20_000);
    const { timedOut } = await done;
    expect(timedOut).toEqual(['stuck-worker']);
    // Every part after the stuck one was still asked to close.
    expect(closed).toEqual(['api', 'devices']);
    expect(lines.some((l) => l.includes('"component":"stuck-worker"') && l.includes('shutdown deadline'))).toBe(true);
    expect(lines.some((l) => l.includes('"component":"broken"') && l.includes('close failed'))).toBe(true);
  });
});
