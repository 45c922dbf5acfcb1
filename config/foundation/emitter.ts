import { EventEmitter } from 'node:events';

/** An event map: event name → tuple of listener arguments (mediasoup's style). */
export type Events = Record<string, unknown[]>;

type Listener<A extends unknown[]> = (...args: A) => void;

/**
 * A typed EventEmitter. `safeEmit` never throws: a throwing listener is reported through the
 * `onListenerError` hook (a log line in production) so no listener can take the daemon down.
 */
export class TypedEmitter<E extends Events> {
  readonly #emitter = new EventEmitter({ captureRejections: false });

  static onListenerError: (event: string, error: unknown) => void = (event, error) => {
    process.emitWarning(`listener for "${event}" threw: ${String(error)}`);
  };

  constructor() {
    this.#emitter.setMaxListeners(Infinity);
  }

  on<K extends keyof E & string>(event: K, listener: Listener<E[K]>): this {
    this.#emitter.on(event, listener as (...args: unknown[]) => void);
    return this;
  }

  once<K extends keyof E & string>(event: K, listener: Listener<E[K]>): this {
    this.#emitter.once(event, listener as (...args: unknown[]) => void);
    return this;
  }

  off<K extends keyof E & string>(event: K, listener: Listener<E[K]>): this {
    this.#emitter.off(event, listener as (...args: unknown[]) => void);
    return this;
  }

  removeAllListeners<K extends keyof E & string>(event?: K): this {
    this.#emitter.removeAllListeners(event);
    return this;
  }

  listenerCount<K extends keyof E & string>(event: K): number {
    return this.#emitter.listenerCount(event);
  }

  /** Calls every listener; returns whether there was any. Listener errors are contained. */
  safeEmit<K extends keyof E & string>(event: K, ...args: E[K]): boolean {
    const listeners = this.#emitter.rawListeners(event) as ((...a: unknown[]) => void)[];
    for (const listener of listeners) {
      try {
        listener.apply(this, args);
      } catch (error) {
        TypedEmitter.onListenerError(event, error);
      }
    }
    // once() wrappers remove themselves when called through apply on the raw listener.
    return listeners.length > 0;
  }

  /** Resolves with the arguments of the next `event`; rejects after `timeoutMs` if given. */
  next<K extends keyof E & string>(event: K, timeoutMs?: number): Promise<E[K]> {
    return new Promise<E[K]>((resolve, reject) => {
      let timer: NodeJS.Timeout | undefined;
      const listener = (...args: E[K]) => {
        if (timer) clearTimeout(timer);
        resolve(args);
      };
      this.once(event, listener);
      if (timeoutMs !== undefined) {
        timer = setTimeout(() => {
          this.off(event, listener);
          reject(new Error(`timed out after ${timeoutMs} ms waiting for "${event}"`));
        }, timeoutMs);
      }
    });
  }
}
