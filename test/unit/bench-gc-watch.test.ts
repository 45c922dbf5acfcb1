import { setFlagsFromString } from 'node:v8';
import { runInNewContext } from 'node:vm';
import { describe, expect, it } from 'vitest';
import { watchMajorGcs } from '../../scripts/bench/gc-watch.ts';

describe('bench: full collections in a window', () => {
  it('counts the full collections made while it watched, and none after it stopped', async () => {
    setFlagsFromString('--expose-gc');
    const gc = runInNewContext('gc') as () => void;
    const watch = watchMajorGcs();
    gc();
    gc();
    const seen = await watch.stop();
    expect(seen.count).toBeGreaterThanOrEqual(2);
    expect(seen.ms).toBeGreaterThanOrEqual(0);
    const later = watchMajorGcs();
    const none = await later.stop();
    gc();
    expect(none).toEqual({ count: 0, ms: 0 });
  });
});
