import { describe, expect, it } from 'vitest';
import { FramePool, holdFrame, releaseFrame } from '../../pipeline/media/frame-pool.ts';

describe('frame pool', () => {
  it('reuses a buffer once its last hold ends, never while one is held', () => {
    const pool = new FramePool(16);
    const a = pool.acquire();
    const release = holdFrame(a);
    releaseFrame(a); // the acquirer's own hold
    const b = pool.acquire();
    expect(b).not.toBe(a);
    release();
    release(); // a second call does nothing
    expect(pool.acquire()).toBe(a);
    expect(pool.acquire()).not.toBe(b);
  });

  it('keeps at most `keep` free buffers and lets the rest go', () => {
    const pool = new FramePool(16, 2);
    const taken = [pool.acquire(), pool.acquire(), pool.acquire()];
    for (const buffer of taken) releaseFrame(buffer);
    const again = [pool.acquire(), pool.acquire(), pool.acquire()];
    expect(again.filter((buffer) => taken.includes(buffer))).toHaveLength(2);
  });

  it('needs no hold for a buffer that is not from a pool', () => {
    const slate = Buffer.alloc(16);
    expect(() => holdFrame(slate)()).not.toThrow();
    expect(() => releaseFrame(slate)).not.toThrow();
  });
});
