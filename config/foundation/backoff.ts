/**
 * Capped exponential backoff with full jitter, shared by every reconnecting device and every
 * supervised process. `next()` gives the delay before the next try; `reset()` after a success.
 */
export interface BackoffOptions {
  initialMs: number;
  maxMs: number;
  factor?: number;
  /** 0 = no jitter, 1 = full jitter. */
  jitter?: number;
  random?: () => number;
}

export class Backoff {
  readonly #options: Required<BackoffOptions>;
  #attempt = 0;

  constructor(options: BackoffOptions) {
    if (options.initialMs <= 0 || options.maxMs < options.initialMs) {
      throw new TypeError('backoff needs 0 < initialMs <= maxMs');
    }
    this.#options = { factor: 2, jitter: 0.2, random: Math.random, ...options };
  }

  get attempt(): number {
    return this.#attempt;
  }

  next(): number {
    const { initialMs, maxMs, factor, jitter, random } = this.#options;
    const base = Math.min(maxMs, initialMs * factor ** this.#attempt);
    this.#attempt += 1;
    return Math.round(base * (1 - jitter * random()));
  }

  reset(): void {
    this.#attempt = 0;
  }
}
