import { describe, expect, it } from 'vitest';
import { formatJoin, joinRow, type JoinSample } from '../../scripts/bench/join.ts';

const load = (firstFrame: number, connected: number): JoinSample => ({
  htmlRan: 100, socketOpen: 180, offerReady: 190, certificateReady: 170, earlyJoin: 200, boxJoinIn: 201, boxAnswerOut: 230, answered: 260, receivers: 330,
  connected, keyframeAsked: connected + 10, idrOut: connected + 50, firstFrame, script: firstFrame + 100, transferBytes: 50_000,
});

describe('bench glass: page loads to the first picture', () => {
  it('keeps the slowest load\'s own marks, and prints them when it is far slower than the rest', () => {
    const row = joinRow('join: fresh', [load(500, 350), load(8800, 8300), load(520, 360)]);
    expect(row.max).toBe(8800);
    expect(row.slowest.connected).toBe(8300);
    expect(row.connectedP50).toBe(360);
    const text = formatJoin([row]);
    expect(text).toContain('slowest load of "join: fresh", ms from page open: HTML ran 100, socket open 180, offer 190, certificate 170, join sent 200, join in the box 201, answer out of the box 230, answer 260, receivers 330, connected 8300, keyframe asked 8310, IDR out 8350, first picture 8800');
    // The box's part of the join, per load: its answer out − the join in.
    expect(row.boxJoinP50).toBe(29);
    expect(text).toContain('join: fresh | 3 | 520 | 8800 | 8800 | 100, 180, 190, 170 | 200 | 201, 230 (29) | 260 |');
    // Loads alike: no such line.
    expect(formatJoin([joinRow('join: fresh', [load(500, 350), load(600, 360), load(520, 360)])])).not.toContain('slowest load');
  });

  it('takes the box\'s part of each join from that load\'s own marks, and leaves out a join the box did not see', () => {
    const unseen: JoinSample = { ...load(540, 370), boxJoinIn: Number.NaN, boxAnswerOut: Number.NaN };
    const row = joinRow('join: fresh', [{ ...load(500, 350), boxJoinIn: 210, boxAnswerOut: 250 }, unseen, { ...load(520, 360), boxJoinIn: 300, boxAnswerOut: 310 }]);
    // 40 and 10 ms: the median of the two seen, the lower (as every mark's median).
    expect(row.boxJoinP50).toBe(10);
    expect(formatJoin([row])).toContain('| 200 | 210, 250 (10) |');
  });

  it('counts a load that got no picture apart, and prints where it stopped', () => {
    const stuck: JoinSample = { ...load(Number.NaN, 360), keyframeAsked: Number.NaN, idrOut: Number.NaN, script: Number.NaN, failed: 'no picture within 20 s (Timeout 20000ms exceeded.)' };
    const row = joinRow('join: fresh', [load(500, 350), stuck, load(520, 360), load(540, 370)]);
    expect(row.loads).toBe(4);
    expect(row.failed).toBe(1);
    // The percentiles are over the loads that showed a picture.
    expect([row.p50, row.p95, row.max]).toEqual([520, 540, 540]);
    expect(row.slowest).toBe(stuck);
    const text = formatJoin([row]);
    expect(text).toContain('join: fresh | 4 (1 failed) | 520 | 540 | 540 |');
    expect(text).toContain('a failed load of "join: fresh" (no picture within 20 s (Timeout 20000ms exceeded.)), ms from page open: HTML ran 100, socket open 180, offer 190, certificate 170, join sent 200, join in the box 201, answer out of the box 230, answer 260, receivers 330, connected 360, keyframe asked –, IDR out –, first picture –');
  });
});
