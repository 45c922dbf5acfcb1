import type { Logger } from 'pino';
import { TypedEmitter } from '../../config/foundation/emitter.ts';
import { ClasscastError, InvalidStateError } from '../../config/foundation/errors.ts';
import type { IngestPlan } from '../../pipeline/sfu/codecs.ts';
import type { IngestEndpoints } from '../../pipeline/sfu/room.ts';
import type { BroadcastInfo } from '../signalling/protocol.ts';
import { LinkSocket } from '../ws/link-socket.ts';
import { ingestEndpointsSchema } from './protocol.ts';

export interface RemoteRoomOptions {
  /** Base URL of the SFU, e.g. http://sfu.example:8080 (`/ws/publish` is appended). */
  url: string;
  token: string;
  room: string;
  plan: IngestPlan;
  logger: Logger;
  requestTimeoutMs?: number;
}

export type LinkState = 'online' | 'degraded' | 'offline';

export type RemoteRoomEvents = {
  /** Where to send RTP: on every (re)connection and after the SFU rebuilt the room. */
  ingest: [IngestEndpoints];
  state: [LinkState];
};

/**
 * A broadcast classroom's room on a remote SFU, through `/ws/publish`. It has the same
 * `ingest` getter and event as a local `BroadcastRoom`, so the encoder is pointed at it the
 * same way. The link reconnects with capped backoff; after each reconnection it reopens the
 * room and reports the last broadcast state again (the SFU may have restarted meanwhile).
 */
export class RemoteRoom extends TypedEmitter<RemoteRoomEvents> {
  readonly #options: RemoteRoomOptions;
  readonly #logger: Logger;
  readonly #link: LinkSocket;
  #ingest: IngestEndpoints | undefined;
  /** The room is open on the SFU over the current socket. */
  #opened = false;
  #lastState: BroadcastInfo | undefined;
  #linkState: LinkState = 'offline';
  #closed = false;

  constructor(options: RemoteRoomOptions) {
    super();
    this.#options = options;
    this.#logger = options.logger.child({ component: 'remote-room', room: options.room });
    this.#link = new LinkSocket({ url: options.url, path: '/ws/publish', token: options.token, logger: this.#logger, requestTimeoutMs: options.requestTimeoutMs });
    this.#link.on('open', () => void this.#onOpen());
    this.#link.on('push', (name, data) => this.#onPush(name, data));
    this.#link.on('close', () => {
      this.#opened = false;
      this.#setLink(this.#ingest ? 'degraded' : 'offline');
    });
  }

  get id(): string {
    return this.#options.room;
  }

  get ingest(): IngestEndpoints | undefined {
    return this.#ingest;
  }

  get linkState(): LinkState {
    return this.#linkState;
  }

  /** Starts connecting; never fails (an absent SFU is retried). */
  start(): void {
    if (this.#closed) throw new InvalidStateError('remote room closed');
    this.#link.start();
  }

  /** Resolves with the ingest endpoints once the SFU gave them, or fails after `timeoutMs`. */
  async ready(timeoutMs = 15_000): Promise<IngestEndpoints> {
    if (this.#ingest) return this.#ingest;
    const [ingest] = await this.next('ingest', timeoutMs).catch((error: unknown) => {
      throw new ClasscastError('SFU_NO_BROADCAST', `the SFU at ${this.#options.url} gave no ingest endpoints`, { cause: error });
    });
    return ingest;
  }

  /**
   * Tells the SFU the broadcast state; remembered and sent again after a reconnection. A
   * lesson starting publishes the room (the SFU opens its ingest and pushes it); `idle` ends
   * that, and the ingest ports close.
   */
  reportState(info: BroadcastInfo): void {
    if (this.#closed) return;
    this.#lastState = info;
    if (info.state === 'idle') this.#ingest = undefined;
    if (this.#opened && this.#link.connected) {
      this.#link.request('state', info).catch((error: unknown) => this.#logger.warn({ err: error }, 'state report failed'));
    }
  }

  close(): void {
    if (this.#closed) return;
    this.#closed = true;
    this.#link.close();
    this.#setLink('offline');
  }

  async #onOpen(): Promise<void> {
    try {
      const answer = (await this.#link.request('open', { room: this.#options.room, plan: this.#options.plan })) as { ingest: unknown };
      const ingest = ingestEndpointsSchema.nullable().parse(answer.ingest);
      if (ingest) this.#setIngest(ingest);
      this.#opened = true;
      if (this.#lastState) await this.#link.request('state', this.#lastState);
      this.#link.settled();
      this.#setLink('online');
    } catch (error) {
      this.#logger.warn({ err: error }, 'opening the remote room failed');
      this.#link.drop();
    }
  }

  #onPush(name: string, data: unknown): void {
    const ingest = name === 'ingest' ? ingestEndpointsSchema.safeParse(data) : undefined;
    if (!ingest?.success) {
      this.#logger.warn({ notification: name }, 'unreadable push from the SFU');
      return;
    }
    this.#setIngest(ingest.data);
  }

  #setIngest(ingest: IngestEndpoints): void {
    const changed = JSON.stringify(ingest) !== JSON.stringify(this.#ingest);
    this.#ingest = ingest;
    // Where to, not the keys: secrets never reach the logs.
    if (changed) this.#logger.info({ video: { ip: ingest.video.ip, port: ingest.video.port }, audio: { ip: ingest.audio.ip, port: ingest.audio.port } }, 'ingest endpoints');
    this.safeEmit('ingest', ingest);
  }

  #setLink(state: LinkState): void {
    if (state === this.#linkState) return;
    this.#linkState = state;
    this.safeEmit('state', state);
  }
}
