import { afterEach, describe, expect, it, vi } from 'vitest';
import { flaggedTime, flagsOf, gridOrigin, keyframeFlagExpr, KeyframeRequests, layerFlag } from '../../pipeline/media/keyframe-flag.ts';
import { mkvHeader, MkvFrameHeads } from '../../pipeline/media/mkv-stream.ts';

/** What ffmpeg's `expr:gte(mod(round(t*1000),M),B)` says for a frame at `ms`. */
function evaluates(expr: string, ms: number): boolean {
  const [, m, b] = /mod\(round\(t\*1000\),(\d+)\),(\d+)\)$/.exec(expr)!;
  return ms % Number(m) >= Number(b);
}

describe('keyframe flags in frame times', () => {
  it('puts ordinary frames on the grid and each layer on its own bit', () => {
    for (const ms of [0, 1, 2, 3, 1_000_001, 1_764_500_000_033]) {
      expect(flagsOf(flaggedTime(ms, 0))).toBe(0);
      expect(flagsOf(flaggedTime(ms, layerFlag(0)))).toBe(1);
      expect(flagsOf(flaggedTime(ms, layerFlag(1)))).toBe(2);
      expect(flagsOf(flaggedTime(ms, layerFlag(0) | layerFlag(1)))).toBe(3);
      expect(Math.abs(flaggedTime(ms, 0) - ms)).toBeLessThanOrEqual(2);
    }
    expect(() => layerFlag(2)).toThrow(TypeError);
  });

  it('gives each encoder an expression true exactly for its own flag', () => {
    const base = flaggedTime(1_764_500_000_000 - gridOrigin(1_764_499_999_998), 0);
    for (const flags of [0, 1, 2, 3]) {
      expect(evaluates(keyframeFlagExpr(0), base + flags)).toBe((flags & 1) !== 0);
      expect(evaluates(keyframeFlagExpr(1), base + flags)).toBe((flags & 2) !== 0);
    }
    expect(gridOrigin(1_764_499_999_998) % 4).toBe(0);
  });
});

describe('KeyframeRequests', () => {
  afterEach(() => vi.useRealTimers());

  it('forces at once, folds a burst into one more at the end of the interval, per layer', () => {
    vi.useFakeTimers();
    const forced: number[] = [];
    const requests = new KeyframeRequests({ layers: 2, minIntervalMs: 250, force: (layer) => forced.push(layer) });
    requests.request(1);
    expect(forced).toEqual([1]);
    for (let i = 0; i < 10; i += 1) requests.request(1);
    requests.request(0);
    expect(forced).toEqual([1, 0]);
    vi.advanceTimersByTime(249);
    expect(forced).toEqual([1, 0]);
    vi.advanceTimersByTime(1);
    expect(forced).toEqual([1, 0, 1]);
    vi.advanceTimersByTime(1_000);
    expect(forced).toEqual([1, 0, 1]);
    expect(requests.stats).toEqual({ requests: 12, forced: 3 });
    requests.request(5);
    requests.close();
    requests.request(0);
    expect(forced).toEqual([1, 0, 1]);
  });
});

describe('live Matroska frame heads', () => {
  it('starts with the EBML magic and a raw I420 track', () => {
    const header = mkvHeader(640, 720);
    expect(header.subarray(0, 4)).toEqual(Buffer.from([0x1a, 0x45, 0xdf, 0xa3]));
    expect(header.includes(Buffer.from('V_UNCOMPRESSED'))).toBe(true);
    expect(header.includes(Buffer.from('I420'))).toBe(true);
  });

  it('opens a cluster at the first frame and again before the block offset overflows', () => {
    const heads = new MkvFrameHeads();
    const cluster = Buffer.from([0x1f, 0x43, 0xb6, 0x75]);
    const first = heads.frame(1_000, 100);
    expect(first.subarray(0, 4)).toEqual(cluster);
    const next = heads.frame(1_033, 100);
    expect(next.includes(cluster)).toBe(false);
    // SimpleBlock head: ID, 8-byte size (payload + 4), track 1, offset 33, keyframe flag.
    expect(next.subarray(0, 1)).toEqual(Buffer.from([0xa3]));
    expect(next.readUInt32BE(5)).toBe(104);
    expect(next.subarray(9)).toEqual(Buffer.from([0x81, 0x00, 33, 0x80]));
    expect(heads.frame(40_000, 100).subarray(0, 4)).toEqual(cluster);
    expect(() => heads.frame(39_999, 100)).toThrow(TypeError);
    expect(() => heads.frame(40_000.5, 100)).toThrow(TypeError);
  });
});
