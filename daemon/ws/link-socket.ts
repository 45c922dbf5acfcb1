import type { Logger } from 'pino';
import { WebSocket } from 'ws';
import { Backoff } from '../../config/foundation/backoff.ts';
import { TypedEmitter } from '../../config/foundation/emitter.ts';
import { ClasscastError, InvalidStateError } from '../../config/foundation/errors.ts';

export interface LinkSocketOptions {
  /** Base URL of the server (http(s)://…); `path` is appended and the scheme becomes ws(s). */
  url: string;
  path: string;
  /** Sent as `Authorization: Bearer …` on the upgrade; never logged. */
  token: string;
  logger: Logger;
  requestTimeoutMs?: number;
}

export type LinkSocketEvents = {
  /** A (re)connection is open: the owner says hello again (opens rooms, reports state). */
  open: [];
  /** The socket closed; a reconnection follows with capped backoff. */
  close: [];
  /** A frame pushed by the server (`{notification, data}`). */
  push: [notification: string, data: unknown];
};

/**
 * A box's authenticated socket to another box (a classroom to its SFU, an edge to its origin):
 * `{id, method, data}` requests answered by `{id, ok, data|error}`, pushes `{notification,
 * data}`. It reconnects by itself with capped backoff; the owner calls `settled()` once its
 * hello went through, which resets the backoff.
 */
export class LinkSocket extends TypedEmitter<LinkSocketEvents> {
  readonly #options: LinkSocketOptions;
  readonly #logger: Logger;
  readonly #backoff = new Backoff({ initialMs: 250, maxMs: 5_000 });
  readonly #pending = new Map<number, { resolve: (v: unknown) => void; reject: (e: Error) => void; timer: NodeJS.Timeout }>();
  #socket: WebSocket | undefined;
  #nextId = 1;
  #retryTimer: NodeJS.Timeout | undefined;
  #started = false;
  #closed = false;

  constructor(options: LinkSocketOptions) {
    super();
    this.#options = options;
    this.#logger = options.logger;
  }

  get connected(): boolean {
    return this.#socket?.readyState === WebSocket.OPEN;
  }

  /** Starts connecting; never fails (an absent server is retried). */
  start(): void {
    if (this.#closed) throw new InvalidStateError('link closed');
    if (this.#started) return;
    this.#started = true;
    this.#connect();
  }

  /** The owner's hello on this connection went through. */
  settled(): void {
    this.#backoff.reset();
  }

  /** Drops the current connection (it reconnects): for an owner whose hello failed. */
  drop(): void {
    this.#socket?.terminate();
  }

  request(method: string, data: unknown = {}): Promise<unknown> {
    const socket = this.#socket;
    if (!socket || socket.readyState !== WebSocket.OPEN) return Promise.reject(new ClasscastError('LINK_DOWN', 'not connected'));
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

  close(): void {
    if (this.#closed) return;
    this.#closed = true;
    clearTimeout(this.#retryTimer);
    this.#socket?.close(1000, 'closing');
    this.#rejectPending(new InvalidStateError('link closed'));
  }

  #connect(): void {
    const url = new URL(this.#options.path, this.#options.url);
    url.protocol = url.protocol === 'https:' ? 'wss:' : 'ws:';
    const socket = new WebSocket(url, { headers: { authorization: `Bearer ${this.#options.token}` }, handshakeTimeout: 10_000 });
    this.#socket = socket;
    socket.on('open', () => this.safeEmit('open'));
    socket.on('message', (raw) => this.#onMessage(raw.toString()));
    socket.on('unexpected-response', (_request, response) => {
      // A refused token is logged, and retried slowly: the other side's config may be fixed later.
      this.#logger.error({ status: response.statusCode, path: this.#options.path }, 'the server refused the link socket');
      socket.terminate();
    });
    socket.on('error', (error) => this.#logger.warn({ err: error, path: this.#options.path }, 'link socket error'));
    socket.on('close', () => {
      if (this.#socket !== socket) return;
      this.#socket = undefined;
      this.#rejectPending(new ClasscastError('LINK_DOWN', 'link socket closed'));
      if (this.#closed) return;
      this.safeEmit('close');
      const delay = this.#backoff.next();
      this.#logger.warn({ delayMs: delay, path: this.#options.path }, 'link socket lost; reconnecting');
      this.#retryTimer = setTimeout(() => this.#connect(), delay);
      this.#retryTimer.unref();
    });
  }

  #onMessage(text: string): void {
    let frame: { id?: unknown; ok?: unknown; data?: unknown; error?: { code?: unknown; message?: unknown }; notification?: unknown };
    try {
      frame = JSON.parse(text) as typeof frame;
    } catch {
      this.#logger.warn({ path: this.#options.path }, 'unreadable frame on the link');
      return;
    }
    if (typeof frame.notification === 'string') {
      this.safeEmit('push', frame.notification, frame.data);
      return;
    }
    const pending = typeof frame.id === 'number' ? this.#pending.get(frame.id) : undefined;
    if (!pending) return;
    this.#pending.delete(frame.id as number);
    clearTimeout(pending.timer);
    if (frame.ok === true) pending.resolve(frame.data);
    else pending.reject(new ClasscastError('LINK_ERROR', `${String(frame.error?.code)}: ${String(frame.error?.message)}`));
  }

  #rejectPending(error: Error): void {
    for (const pending of this.#pending.values()) {
      clearTimeout(pending.timer);
      pending.reject(error);
    }
    this.#pending.clear();
  }
}
