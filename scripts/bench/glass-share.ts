/**
 * The figures of `bench glass` and `bench return`: percentiles, and each stage's own part of a
 * frame's delay.
 */

/** The camera frames one stage (or a page) saw in a window: each one's delay (ms after its stamp) and its stamp. */
export interface StageFrames {
  delays: readonly number[];
  stamps: readonly number[];
}

/** A part of the delay at p50 and p95 (ms), over `frames` frames. */
export interface Share {
  p50: number;
  p95: number;
  frames: number;
}

/** The q-quantile (0–1) of sorted values, by nearest rank; 0 for none. */
export function percentile(sorted: readonly number[], q: number): number {
  if (sorted.length === 0) return 0;
  return sorted[Math.min(sorted.length - 1, Math.ceil(q * sorted.length) - 1)]!;
}

/**
 * A stage's own part of the delay, frame by frame: over the camera frames seen both at this
 * stage and at the one before it, this one's delay minus that one's, at p50 and p95 (the
 * first stage, with no `earlier`: its own delays, from the camera's stamp).
 *
 * The difference of the two stages' own p50s is not it. Each stage's percentiles are over the
 * frames it saw, and a stage that drops frames sees others than the stage before it: the
 * frame pump keeps the newest frame of a burst and drops the older ones, the late ones, so its
 * p50 came out 1–15 ms below the ingest's in some runs, a stage that seemed to take time away.
 */
export function stageShare(later: StageFrames, earlier?: StageFrames): Share {
  const parts: number[] = [];
  if (!earlier) {
    parts.push(...later.delays);
  } else {
    const before = new Map<number, number>();
    earlier.stamps.forEach((stamp, i) => before.set(stamp, earlier.delays[i]!));
    later.stamps.forEach((stamp, i) => {
      const delay = before.get(stamp);
      if (delay !== undefined) parts.push(later.delays[i]! - delay);
    });
  }
  return spread(parts);
}

/** p50 and p95 of `values` (ms), rounded to 0.1, and how many there were. */
export function spread(values: readonly number[]): Share {
  const sorted = [...values].sort((a, b) => a - b);
  const round = (v: number) => Math.round(v * 10) / 10;
  return { p50: round(percentile(sorted, 0.5)), p95: round(percentile(sorted, 0.95)), frames: sorted.length };
}
