/** Samples per second of every PCM path inside the pipeline. */
export const AUDIO_RATE = 48_000;

/** How often the buffer's surplus over its target is looked at (and dropped). */
const TRIM_WINDOW_MS = 1_000;

/**
 * One mono channel between its source (a camera's ingest, an RTSP or file feed) and the
 * AudioPump: a short playout buffer that turns bursty arrivals into a steady stream. It starts
 * playing once it holds its target, plays silence and refills after an underrun, and sheds the
 * oldest samples when it grows past the target (so its delay stays bounded). The target follows
 * the source: the longest gap between arrivals seen lately, plus a margin, within [minMs, maxMs];
 * a steady surplus over it is dropped once a second, so the delay stays at the target.
 */
export class AudioRing {
  readonly #minSamples: number;
  readonly #maxSamples: number;
  #chunks: Float32Array[] = [];
  #length = 0;
  #playing = false;
  #lastPushAt: number | undefined;
  #gapSamples = 0;
  #underruns = 0;
  #partial: Buffer | undefined;
  #windowStart = 0;
  #lowest = 0;

  constructor(options: { minMs?: number; maxMs?: number } = {}) {
    this.#minSamples = Math.round(((options.minMs ?? 20) * AUDIO_RATE) / 1000);
    this.#maxSamples = Math.round(((options.maxMs ?? 300) * AUDIO_RATE) / 1000);
  }

  /** Samples waiting to be played. */
  get length(): number {
    return this.#length;
  }

  /** Times the source ran dry while playing. */
  get underruns(): number {
    return this.#underruns;
  }

  /** The playout delay aimed at, in samples. */
  get target(): number {
    return Math.min(this.#maxSamples, Math.max(this.#minSamples, this.#gapSamples + this.#minSamples));
  }

  /** Raw f32le bytes from a pipe (chunks may split a sample). */
  pushBytes(data: Buffer, now = performance.now()): void {
    const bytes = this.#partial ? Buffer.concat([this.#partial, data]) : data;
    const whole = bytes.length - (bytes.length % 4);
    this.#partial = whole < bytes.length ? Buffer.from(bytes.subarray(whole)) : undefined;
    if (whole === 0) return;
    const samples = new Float32Array(whole / 4);
    for (let i = 0; i < samples.length; i += 1) samples[i] = bytes.readFloatLE(i * 4);
    this.push(samples, now);
  }

  push(samples: Float32Array, now = performance.now()): void {
    if (this.#lastPushAt !== undefined) {
      // The longest recent gap, decaying by half a second's worth every second.
      const gap = ((now - this.#lastPushAt) * AUDIO_RATE) / 1000;
      const decayed = this.#gapSamples - ((now - this.#lastPushAt) * AUDIO_RATE) / 2000;
      this.#gapSamples = Math.max(gap, decayed, 0);
    }
    this.#lastPushAt = now;
    this.#chunks.push(samples);
    this.#length += samples.length;
    // Bounded delay: a source that delivers faster than it is played (clock drift, a burst
    // after a stall) loses its oldest samples rather than lagging behind the picture.
    const limit = this.target + Math.round(AUDIO_RATE / 10);
    if (this.#length > limit) this.#drop(this.#length - this.target);
  }

  /** Fills `out` with the next samples; silence while (re)buffering. */
  pull(out: Float32Array): void {
    this.pullAt(out, performance.now());
  }

  /** `pull` at `now` (performance.now(); tests give their own). */
  pullAt(out: Float32Array, now: number): void {
    if (!this.#playing && this.#length >= this.target) {
      this.#playing = true;
      this.#windowStart = now;
      this.#lowest = this.#length;
    }
    if (!this.#playing) {
      out.fill(0);
      return;
    }
    this.#trim(now);
    let filled = 0;
    while (filled < out.length && this.#chunks.length > 0) {
      const head = this.#chunks[0]!;
      const take = Math.min(head.length, out.length - filled);
      out.set(head.subarray(0, take), filled);
      filled += take;
      if (take === head.length) this.#chunks.shift();
      else this.#chunks[0] = head.subarray(take);
    }
    this.#length -= filled;
    if (filled < out.length) {
      out.fill(0, filled);
      this.#playing = false;
      this.#underruns += 1;
    }
  }

  /**
   * Keeps the delay at the target, not wherever it happened to start: playing began with at
   * least the target buffered, perhaps a burst more, and with the source and the pump at the
   * same rate that surplus would stay for good (and the sound late by it). Once a second, what
   * the buffer never went below is surplus beyond the target; it is dropped.
   */
  #trim(now: number): void {
    this.#lowest = Math.min(this.#lowest, this.#length);
    if (now - this.#windowStart < TRIM_WINDOW_MS) return;
    const surplus = this.#lowest - this.target;
    if (surplus > Math.round(AUDIO_RATE / 100)) this.#drop(surplus);
    this.#windowStart = now;
    this.#lowest = this.#length;
  }

  /** Forgets everything (the source restarted). */
  reset(): void {
    this.#chunks = [];
    this.#length = 0;
    this.#playing = false;
    this.#partial = undefined;
    this.#lastPushAt = undefined;
  }

  #drop(samples: number): void {
    let left = samples;
    while (left > 0 && this.#chunks.length > 0) {
      const head = this.#chunks[0]!;
      if (head.length <= left) {
        this.#chunks.shift();
        left -= head.length;
      } else {
        this.#chunks[0] = head.subarray(left);
        left = 0;
      }
    }
    this.#length -= samples - left;
  }
}
