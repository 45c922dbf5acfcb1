import type { Logger } from 'pino';
import { WebSocket } from 'ws';
import { Backoff } from '../../config/foundation/backoff.ts';
import { TypedEmitter } from '../../config/foundation/emitter.ts';
import { ClasscastError, InvalidStateError } from '../../config/foundation/errors.ts';
import type { IngestPlan } from '../../pipeline/sfu/codecs.ts';
import type { IngestEndpoints } from '../../pipeline/sfu/room.ts';
import type { BroadcastInfo } from '../signalling/protocol.ts';
import { ingestEndpointsSchema, publishReplySchema } from './protocol.ts';

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
  readonly #backoff = new Backoff({ initialMs: 250, maxMs: 5_000 });
  readonly #pending = new Map<number, { resolve: (v: unknown) => void; reject: (e: Error) => void; timer: NodeJS.Timeout }>();
  #socket: WebSocket | undefined;
  #ingest: IngestEndpoints | undefined;
  /** The room is open on the SFU over the current socket. */
  #opened = false;
  #lastState: BroadcastInfo | undefined;
  #linkState: LinkState = 'offline';
  #nextId = 1;
  #retryTimer: NodeJS.Timeout | undefined;
  #closed = false;

  constructor(options: RemoteRoomOptions) {
    super();
    this.#options = options;
    this.#logger = options.logger.child({ component: 'remote-room', room: options.room });
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
    this.#connect();
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
    if (this.#opened && this.#socket?.readyState === WebSocket.OPEN) {
      this.#request('state', info).catch((error: unknown) => this.#logger.warn({ err: error }, 'state report failed'));
    }
  }

  close(): void {
    if (this.#closed) return;
    this.#closed = true;
    clearTimeout(this.#retryTimer);
    this.#socket?.close(1000, 'closing');
    this.#rejectPending(new InvalidStateError('remote room closed'));
    this.#setLink('offline');
  }

  #connect(): void {
    const url = new URL('/ws/publish', this.#options.url);
    url.protocol = url.protocol === 'https:' ? 'wss:' : 'ws:';
    const socket = new WebSocket(url, { headers: { authorization: `Bearer ${this.#options.token}` }, handshakeTimeout: 10_000 });
    this.#socket = socket;
    socket.on('open', () => void this.#onOpen(socket));
    socket.on('message', (raw) => this.#onMessage(raw.toString()));
    socket.on('unexpected-response', (_request, response) => {
      // A refused token is logged, and retried slowly: the SFU's config may be fixed later.
      this.#logger.error({ status: response.statusCode }, 'the SFU refused the publish socket');
      socket.terminate();
    });
    socket.on('error', (error) => this.#logger.warn({ err: error }, 'publish socket error'));
    socket.on('close', () => {
      if (this.#socket !== socket) return;
      this.#socket = undefined;
      this.#opened = false;
      this.#rejectPending(new ClasscastError('SFU_NO_BROADCAST', 'publish socket closed'));
      if (this.#closed) return;
      this.#setLink(this.#ingest ? 'degraded' : 'offline');
      const delay = this.#backoff.next();
      this.#logger.warn({ delayMs: delay }, 'publish socket lost; reconnecting');
      this.#retryTimer = setTimeout(() => this.#connect(), delay);
      this.#retryTimer.unref();
    });
  }

  async #onOpen(socket: WebSocket): Promise<void> {
    try {
      const answer = (await this.#request('open', { room: this.#options.room, plan: this.#options.plan })) as { ingest: unknown };
      const ingest = ingestEndpointsSchema.nullable().parse(answer.ingest);
      if (ingest) this.#setIngest(ingest);
      this.#opened = true;
      if (this.#lastState) await this.#request('state', this.#lastState);
      this.#backoff.reset();
      this.#setLink('online');
    } catch (error) {
      this.#logger.warn({ err: error }, 'opening the remote room failed');
      socket.terminate();
    }
  }

  #onMessage(text: string): void {
    let frame;
    try {
      frame = publishReplySchema.parse(JSON.parse(text));
    } catch {
      this.#logger.warn('unreadable frame from the SFU');
      return;
    }
    if ('notification' in frame) {
      this.#setIngest(frame.data);
      return;
    }
    const pending = frame.id === null ? undefined : this.#pending.get(frame.id);
    if (!pending) return;
    this.#pending.delete(frame.id!);
    clearTimeout(pending.timer);
    if (frame.ok) pending.resolve(frame.data);
    else pending.reject(new ClasscastError('SFU_NO_BROADCAST', `SFU: ${frame.error.code} ${frame.error.message}`));
  }

  #setIngest(ingest: IngestEndpoints): void {
    const changed = JSON.stringify(ingest) !== JSON.stringify(this.#ingest);
    this.#ingest = ingest;
    // Where to, not the keys: secrets never reach the logs.
    if (changed) this.#logger.info({ video: { ip: ingest.video.ip, port: ingest.video.port }, audio: { ip: ingest.audio.ip, port: ingest.audio.port } }, 'ingest endpoints');
    this.safeEmit('ingest', ingest);
  }

  #request(method: string, data: unknown): Promise<unknown> {
    const socket = this.#socket;
    if (!socket || socket.readyState !== WebSocket.OPEN) return Promise.reject(new ClasscastError('SFU_NO_BROADCAST', 'not connected'));
    const id = this.#nextId++;
    return new Promise((resolve, reject) => {
      const timer = setTimeout(() => {
        this.#pending.delete(id);
        reject(new ClasscastError('TIMEOUT', `${method} timed out`));
      }, this.#options.requestTimeoutMs ?? 10_000);
      this.#pending.set(id, { resolve, reject, timer });
      socket.send(JSON.stringify({ id, method, data }));
    });
  }

  #rejectPending(error: Error): void {
    for (const pending of this.#pending.values()) {
      clearTimeout(pending.timer);
      pending.reject(error);
    }
    this.#pending.clear();
  }

  #setLink(state: LinkState): void {
    if (state === this.#linkState) return;
    this.#linkState = state;
    this.safeEmit('state', state);
  }
}
