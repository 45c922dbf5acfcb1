import type { types } from 'mediasoup';
import type { Logger } from 'pino';
import { InvalidStateError } from '../../config/foundation/errors.ts';
import type { IngestPlan } from './codecs.ts';
import type { RoomFeed } from './feed.ts';
import { sealedIngest } from './sealed-ingest.ts';
import { BroadcastRoom, type RoomNetwork } from './room.ts';
import { WorkerPool } from './worker-pool.ts';

export interface SfuOptions {
  workers?: number;
  logLevel: types.WorkerLogLevel;
  network: RoomNetwork;
  logger: Logger;
}

/** The SFU: a worker pool and one room per broadcast classroom. The only mediasoup area. */
export class Sfu {
  readonly pool: WorkerPool;
  readonly #options: SfuOptions;
  readonly #rooms = new Map<string, BroadcastRoom>();
  #closed = false;

  constructor(options: SfuOptions) {
    this.#options = options;
    this.pool = new WorkerPool({ workers: options.workers, logLevel: options.logLevel, logger: options.logger });
  }

  async start(): Promise<void> {
    await this.pool.start();
  }

  /** Where this SFU's transports listen and what they announce. */
  get network(): RoomNetwork {
    return this.#options.network;
  }

  room(id: string): BroadcastRoom | undefined {
    return this.#rooms.get(id);
  }

  rooms(): BroadcastRoom[] {
    return [...this.#rooms.values()];
  }

  /**
   * What every router here speaks (they all share one codec list), from any open room; for a
   * page to load its device before it even connects. Undefined while no room can answer.
   */
  routerCapabilities(): types.RtpCapabilities | undefined {
    for (const room of this.#rooms.values()) {
      try {
        return room.rtpCapabilities();
      } catch {
        // rebuilding: ask the next one
      }
    }
    return undefined;
  }

  /**
   * Opens (or returns) the room of a broadcast classroom: fed by its encoder through a sealed
   * ingest made for `plan`, or by another feed (an edge SFU's pipe from its origin).
   */
  async openRoom(id: string, source: IngestPlan | RoomFeed): Promise<BroadcastRoom> {
    if (this.#closed) throw new InvalidStateError('sfu closed');
    const existing = this.#rooms.get(id);
    if (existing) return existing;
    const feed = 'open' in source ? source : sealedIngest(this.#options.network, source);
    const room = new BroadcastRoom(id, this.pool, this.#options.network, feed, this.#options.logger);
    this.#rooms.set(id, room);
    try {
      await room.open();
    } catch (error) {
      this.#rooms.delete(id);
      await room.close();
      throw error;
    }
    return room;
  }

  async closeRoom(id: string): Promise<void> {
    const room = this.#rooms.get(id);
    this.#rooms.delete(id);
    await room?.close();
  }

  async close(): Promise<void> {
    if (this.#closed) return;
    this.#closed = true;
    for (const room of this.#rooms.values()) await room.close();
    this.#rooms.clear();
    await this.pool.close();
  }
}
