import { describe, expect, it } from 'vitest';
import { stageShare } from '../../scripts/bench/glass-share.ts';
import { canvasFrames, withShares, row } from '../../scripts/bench/glass.ts';

describe('bench glass: a stage share', () => {
  it('is the stage\'s own part of each frame\'s delay, also when it dropped the late frames of a burst', () => {
    // The ingest saw six frames, three of them late, in bursts; the pump wrote 2 ms after the
    // ingest, and only the newest frame of each burst. Its own p50 is below the ingest's.
    const ingest = { stamps: [100, 133, 166, 200, 233, 266], delays: [40, 95, 90, 62, 40, 96] };
    const pump = { stamps: [100, 200, 233], delays: [42, 64, 42] };
    const p50 = (d: number[]) => [...d].sort((a, b) => a - b)[Math.ceil(d.length / 2) - 1]!;
    expect(p50(pump.delays)).toBeLessThan(p50(ingest.delays));
    expect(stageShare(pump, ingest)).toEqual({ p50: 2, p95: 2, frames: 3 });
  });

  it('is the first stage\'s own delays, and nothing over frames the stages do not share', () => {
    expect(stageShare({ stamps: [1, 2, 3, 4], delays: [10, 30, 20, 40] })).toEqual({ p50: 20, p95: 40, frames: 4 });
    expect(stageShare({ stamps: [5, 6], delays: [50, 60] }, { stamps: [1, 2], delays: [10, 20] })).toEqual({ p50: 0, p95: 0, frames: 0 });
  });

  it('follows a frame through the chain to the page, at the canvas\'s layer only', () => {
    const page = { stamps: [100, 133, 166, 200], delays: [70, 90, 72, 74], widths: [1280, 480, 1280, 1280] };
    expect(canvasFrames(page, 1280)).toEqual({ stamps: [100, 166, 200], delays: [70, 72, 74] });
    const sfu = { stamps: [100, 133, 166, 200], delays: [50, 51, 52, 53] };
    const [first, last] = withShares([
      { row: row('sfu', sfu.delays, 4, 0, 1280), frames: sfu },
      { row: row('glass', [70, 72, 74], 4, 0, 1280), frames: canvasFrames(page, 1280) },
    ]);
    expect([first!.shareMs, first!.shareP95Ms]).toEqual([51, 53]);
    expect([last!.shareMs, last!.shareP95Ms]).toEqual([20, 21]);
  });
});
