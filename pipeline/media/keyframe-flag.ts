/**
 * Keyframes on request with ffmpeg 5.1, whose encoders have no runtime command: the request
 * travels inside a frame's timestamp. The FramePump stamps ordinary frames on a 4 ms grid and
 * adds a flag to the frame that must become an IDR: +1 for the high layer, +2 for the low
 * layer, +3 for both. Each layer's encoder runs `-force_key_frames expr:` over its own bit of
 * the millisecond, with the encoder time base at 1 ms and no retiming after the graph.
 *
 * Why it works (ffmpeg 5.1 `fftools/ffmpeg.c` `do_video_out()`): the expression is evaluated
 * on each frame's pts in the encoder time base; a true result makes the frame an I frame, and
 * libx264 (with `forced-idr`) turns a forced I into an IDR in a closed GOP. Why not simpler:
 * `-force_key_frames source` cannot see container key flags of raw frames (rawdec marks every
 * frame a keyframe), and `setpts` takes no runtime commands before ffmpeg 6.
 *
 * The grid costs up to 2 ms of presentation jitter, well under a frame at any rate we run.
 */

/** Grid of ordinary frames, in ms; the flags use the bits below it. */
export const FLAG_GRID_MS = 4;

/** At most this many layers can be flagged apart (one bit each below the grid). */
export const MAX_FLAGGED_LAYERS = 2;

/** Bit of layer `index` (0 = highest) in a frame's millisecond. */
export function layerFlag(index: number): number {
  if (!Number.isInteger(index) || index < 0 || index >= MAX_FLAGGED_LAYERS) throw new TypeError(`no keyframe flag for layer ${index}`);
  return 1 << index;
}

/** The time of a frame: `ms` on the grid, plus the flags of the layers that must start an IDR. */
export function flaggedTime(ms: number, flags: number): number {
  return Math.round(ms / FLAG_GRID_MS) * FLAG_GRID_MS + (flags & (FLAG_GRID_MS - 1));
}

/** The flags a frame time carries (the inverse of `flaggedTime`, for tests and probes). */
export function flagsOf(ms: number): number {
  return ((ms % FLAG_GRID_MS) + FLAG_GRID_MS) % FLAG_GRID_MS;
}

/** `-force_key_frames` expression for layer `index`: true when its bit is set in the frame's ms. */
export function keyframeFlagExpr(index: number): string {
  const bit = layerFlag(index);
  return `expr:gte(mod(round(t*1000),${bit * 2}),${bit})`;
}

/**
 * Output options for an encoder that honours its layer's flag. Frames keep the graph's
 * timestamps (`passthrough`: no duplicated or dropped frames either, the pump already paces
 * them) at 1 ms resolution, where the flag lives. `-r` only tells the encoder the nominal
 * rate: the timed input has none, and without it libx264 takes the 1 ms time base for 1,000
 * frames a second and spends a thousandth of the bitrate on each frame (10 kbit/s for 500).
 */
export function keyframeFlagOptions(index: number, fps: number): string[] {
  return ['-force_key_frames', keyframeFlagExpr(index), '-enc_time_base', '1:1000', '-fps_mode', 'passthrough', '-r', String(fps)];
}

/**
 * The wall time every timestamp of a start counts from, on the grid: the inputs are shifted
 * by it (`-itsoffset`), and an origin off the grid would move every frame's flag bits.
 */
export function gridOrigin(nowMs: number): number {
  return Math.floor(nowMs / FLAG_GRID_MS) * FLAG_GRID_MS;
}

/**
 * Keyframe requests from the SFU, per layer, turned into flags at most once per
 * `minIntervalMs`: a newcomer gets its IDR on the next frame, while a burst of requests (many
 * classrooms joining together, or a receiver that keeps asking) costs one IDR per interval
 * instead of one per request. A request inside the interval is kept and served when it ends.
 */
export class KeyframeRequests {
  readonly #force: (layer: number) => void;
  readonly #minIntervalMs: number;
  readonly #lastAt: number[];
  readonly #deferred: (NodeJS.Timeout | undefined)[];
  #requests = 0;
  #forced = 0;
  #closed = false;

  constructor(options: { layers: number; force: (layer: number) => void; minIntervalMs?: number }) {
    const layers = Math.min(options.layers, MAX_FLAGGED_LAYERS);
    this.#force = options.force;
    this.#minIntervalMs = options.minIntervalMs ?? 250;
    this.#lastAt = Array.from({ length: layers }, () => -Infinity);
    this.#deferred = Array.from({ length: layers }, () => undefined);
  }

  get stats(): { requests: number; forced: number } {
    return { requests: this.#requests, forced: this.#forced };
  }

  request(layer: number): void {
    if (this.#closed || layer < 0 || layer >= this.#lastAt.length) return;
    this.#requests += 1;
    if (this.#deferred[layer]) return;
    const wait = this.#lastAt[layer]! + this.#minIntervalMs - performance.now();
    if (wait <= 0) {
      this.#fire(layer);
      return;
    }
    const timer = setTimeout(() => {
      this.#deferred[layer] = undefined;
      if (!this.#closed) this.#fire(layer);
    }, wait);
    timer.unref();
    this.#deferred[layer] = timer;
  }

  close(): void {
    this.#closed = true;
    for (const timer of this.#deferred) clearTimeout(timer);
  }

  #fire(layer: number): void {
    this.#lastAt[layer] = performance.now();
    this.#forced += 1;
    this.#force(layer);
  }
}
