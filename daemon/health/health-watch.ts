import type { EventBus } from '../events/bus.ts';
import type { PartState, Readiness } from './readiness.ts';

/**
 * Pushes readiness as it changes: every `intervalMs` it reads the box's readiness and publishes
 * `health.part` `{part, state, detail}` for each top-level part (pipeline, SFU, recording,
 * disk, broadcast) whose state or detail changed, and `health.ready` `{ready}` when the box as
 * a whole turns ready or unready. The console's health view shows them as they happen;
 * cameras and mic arrays have their own events (`camera.state`, `micarray.state`).
 */
export class HealthWatch {
  readonly #read: () => Promise<Readiness>;
  readonly #bus: EventBus;
  readonly #intervalMs: number;
  readonly #last = new Map<string, string>();
  #ready: boolean | undefined;
  #timer: NodeJS.Timeout | undefined;
  #running = false;

  constructor(options: { read: () => Promise<Readiness>; bus: EventBus; intervalMs?: number }) {
    this.#read = options.read;
    this.#bus = options.bus;
    this.#intervalMs = options.intervalMs ?? 2_000;
  }

  start(): void {
    this.#timer ??= setInterval(() => void this.check(), this.#intervalMs);
    this.#timer.unref();
  }

  close(): void {
    clearInterval(this.#timer);
    this.#timer = undefined;
  }

  /** One look (the timer's; tests call it directly). */
  async check(): Promise<void> {
    if (this.#running) return;
    this.#running = true;
    try {
      const state = await this.#read();
      for (const [part, value] of Object.entries(state.parts)) {
        if (!isPartState(value)) continue;
        const key = `${value.state}|${value.detail ?? ''}`;
        if (this.#last.get(part) === key) continue;
        this.#last.set(part, key);
        this.#bus.publish({ type: 'health.part', part, state: value.state, ...(value.detail ? { detail: value.detail } : {}) });
      }
      if (state.ready !== this.#ready) {
        this.#ready = state.ready;
        this.#bus.publish({ type: 'health.ready', ready: state.ready });
      }
    } catch {
      // A failed look (e.g. statfs) is tried again at the next tick.
    } finally {
      this.#running = false;
    }
  }
}

function isPartState(value: unknown): value is PartState {
  return typeof value === 'object' && value !== null && typeof (value as { state?: unknown }).state === 'string';
}
