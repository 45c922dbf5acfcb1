import os from 'node:os';
import * as mediasoup from 'mediasoup';
import type { types } from 'mediasoup';
import type { Logger } from 'pino';
import { Backoff } from '../../config/foundation/backoff.ts';
import { TypedEmitter } from '../../config/foundation/emitter.ts';
import { InvalidStateError } from '../../config/foundation/errors.ts';

export interface WorkerPoolOptions {
  workers?: number;
  logLevel: types.WorkerLogLevel;
  logger: Logger;
}

export type WorkerPoolEvents = {
  /** A worker died; everything on it is gone. A replacement follows. */
  workerdied: [index: number, error: Error];
  /** A (replacement) worker is up at `index`. */
  workerready: [index: number, worker: types.Worker];
};

/**
 * A fixed number of mediasoup workers (one C++ process per core). A worker that dies is
 * replaced at the same index after a capped backoff; rooms listen and rebuild what they had
 * there. Nothing here ever exits the process: a dead worker is an event, not a crash.
 */
export class WorkerPool extends TypedEmitter<WorkerPoolEvents> {
  readonly #options: WorkerPoolOptions;
  readonly #logger: Logger;
  readonly #slots: (types.Worker | undefined)[] = [];
  readonly #backoffs: Backoff[] = [];
  #closed = false;

  constructor(options: WorkerPoolOptions) {
    super();
    this.#options = options;
    this.#logger = options.logger.child({ component: 'sfu-workers' });
  }

  get size(): number {
    return this.#slots.length;
  }

  async start(): Promise<void> {
    const count = this.#options.workers ?? Math.max(1, os.availableParallelism());
    for (let i = 0; i < count; i += 1) {
      this.#backoffs.push(new Backoff({ initialMs: 200, maxMs: 5_000 }));
      this.#slots.push(undefined);
    }
    await Promise.all(this.#slots.map((_, index) => this.#spawn(index)));
  }

  /** The live worker at `index`, or undefined while it is being replaced. */
  worker(index: number): types.Worker | undefined {
    return this.#slots[index];
  }

  liveIndexes(): number[] {
    return this.#slots.flatMap((w, i) => (w && !w.closed ? [i] : []));
  }

  pids(): number[] {
    return this.#slots.flatMap((w) => (w ? [w.pid] : []));
  }

  async close(): Promise<void> {
    if (this.#closed) return;
    this.#closed = true;
    for (const worker of this.#slots) worker?.close();
    this.#slots.fill(undefined);
  }

  async #spawn(index: number): Promise<void> {
    if (this.#closed) throw new InvalidStateError('worker pool closed');
    const worker = await mediasoup.createWorker({ logLevel: this.#options.logLevel, appData: { index } });
    if (this.#closed) {
      worker.close();
      return;
    }
    this.#slots[index] = worker;
    this.#logger.info({ index, pid: worker.pid }, 'mediasoup worker started');
    worker.on('died', (error) => {
      this.#slots[index] = undefined;
      this.#logger.error({ index, pid: worker.pid, err: error }, 'mediasoup worker died');
      this.safeEmit('workerdied', index, error);
      this.#respawnLater(index);
    });
    this.safeEmit('workerready', index, worker);
  }

  #respawnLater(index: number): void {
    if (this.#closed) return;
    const delay = this.#backoffs[index]!.next();
    setTimeout(() => {
      this.#spawn(index)
        .then(() => this.#backoffs[index]!.reset())
        .catch((error: unknown) => {
          this.#logger.error({ index, err: error }, 'mediasoup worker respawn failed');
          this.#respawnLater(index);
        });
    }, delay).unref();
  }
}
