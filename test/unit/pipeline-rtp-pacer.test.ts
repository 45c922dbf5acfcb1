import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { RtpPacer } from '../../pipeline/media/rtp-pacer.ts';

/** 10 ms Opus packets: 480 ticks of the 48 kHz clock each. */
const TICKS = 480;

describe('RtpPacer', () => {
  let sent: { id: number; at: number }[];
  let pacer: RtpPacer;
  const packet = (id: number) => Buffer.from([id]);
  const push = (id: number, ts: number) => pacer.push(packet(id), ts >>> 0, performance.now());

  beforeEach(() => {
    vi.useFakeTimers({ toFake: ['setTimeout', 'clearTimeout', 'performance'] });
    sent = [];
    pacer = new RtpPacer((p) => sent.push({ id: p[0]!, at: performance.now() }), { clockRate: 48_000, budgetMs: 40 });
  });
  afterEach(() => {
    pacer.close();
    vi.useRealTimers();
  });

  it('spreads a burst over its timestamps, in order, within the budget', async () => {
    // On time: packet 0 arrives with its media time; it sets the stream's transit.
    const t0 = performance.now();
    push(0, 0);
    // Then five packets' worth of sound arrives at once, 50 ms later (a video frame held it).
    await vi.advanceTimersByTimeAsync(50);
    for (let i = 1; i <= 5; i += 1) push(i, i * TICKS);
    await vi.advanceTimersByTimeAsync(200);
    expect(sent.map((s) => s.id)).toEqual([0, 1, 2, 3, 4, 5]);
    // Each leaves at its media time + the transit + the budget: 10 ms apart, not all at once.
    const late = sent.slice(1).map((s) => Math.round(s.at - t0));
    expect(late).toEqual([50, 60, 70, 80, 90]);
  });

  it('sends a packet later than its budget at once, without reordering', async () => {
    push(0, 0);
    await vi.advanceTimersByTimeAsync(120);
    push(1, TICKS);
    expect(sent.map((s) => s.id)).toEqual([0, 1]);
  });

  it('starts over when the timestamps jump (an encoder restart)', async () => {
    push(0, 0);
    push(1, TICKS);
    // A packet from a new timeline, minutes ahead: it must not wait minutes.
    push(2, 48_000 * 600);
    expect(sent.map((s) => s.id)).toEqual([0, 1]);
    await vi.advanceTimersByTimeAsync(60);
    expect(sent.map((s) => s.id)).toEqual([0, 1, 2]);
    expect(pacer.queued).toBe(0);
  });

  it('follows timestamps across the 32-bit wrap', async () => {
    push(0, 2 ** 32 - TICKS);
    push(1, 0);
    await vi.advanceTimersByTimeAsync(60);
    expect(sent.map((s) => s.id)).toEqual([0, 1]);
    expect(sent[1]!.at - sent[0]!.at).toBeLessThanOrEqual(10);
  });
});
