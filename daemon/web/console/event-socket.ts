import type { DaemonEventType, EventOf } from '../../events/schema.ts';

/** What `/ws/events` sends: the daemon's events (typed by `daemon/events/schema.ts`) and its greeting. */
export type Hello = { type: 'hello'; role: string; name: string };
export type ConsoleEvent<T extends DaemonEventType = DaemonEventType> = EventOf<T> & { at: string };
type Listener = (event: never) => void;

/**
 * `/ws/events` with reconnect (capped, jittered backoff). `onConnection(false)` fires the
 * moment the socket drops, which is what stops a held PTZ move: a technician who lost the
 * link must not leave a camera turning.
 */
export class EventSocket {
  readonly #token: string;
  readonly #listeners = new Map<string, Listener[]>();
  #socket: WebSocket | undefined;
  #attempt = 0;
  #timer: number | undefined;
  #stopped = false;
  connected = false;
  onConnection: (connected: boolean) => void = () => {};
  /** The token was refused: reconnecting cannot help. */
  onDenied: () => void = () => {};

  constructor(token: string) {
    this.#token = token;
  }

  on(type: 'hello', listener: (event: Hello) => void): void;
  on<T extends DaemonEventType>(type: T, listener: (event: ConsoleEvent<T>) => void): void;
  on(type: string, listener: Listener): void {
    this.#listeners.set(type, [...(this.#listeners.get(type) ?? []), listener]);
  }

  start(): void {
    const url = `${location.protocol === 'https:' ? 'wss' : 'ws'}://${location.host}/ws/events?token=${encodeURIComponent(this.#token)}`;
    const socket = new WebSocket(url);
    this.#socket = socket;
    let opened = false;
    socket.addEventListener('open', () => {
      opened = true;
      this.#attempt = 0;
      this.#set(true);
    });
    socket.addEventListener('message', (message) => {
      let event: { type?: unknown };
      try {
        event = JSON.parse(String(message.data)) as { type?: unknown };
      } catch {
        return;
      }
      if (typeof event.type !== 'string') return;
      // The daemon checked each event against its schema before sending it.
      for (const listener of this.#listeners.get(event.type) ?? []) {
        try {
          (listener as (event: unknown) => void)(event);
        } catch (error) {
          console.error('event listener failed', event.type, error);
        }
      }
    });
    socket.addEventListener('close', () => {
      if (socket !== this.#socket) return;
      this.#set(false);
      if (this.#stopped) return;
      // A refused upgrade closes before open; after a few of those the token is the problem.
      if (!opened && this.#attempt >= 2) this.onDenied();
      const delay = Math.min(10_000, 500 * 2 ** this.#attempt) * (0.75 + Math.random() * 0.5);
      this.#attempt += 1;
      this.#timer = window.setTimeout(() => this.start(), delay);
    });
  }

  stop(): void {
    this.#stopped = true;
    clearTimeout(this.#timer);
    this.#socket?.close();
  }

  #set(connected: boolean): void {
    if (this.connected === connected) return;
    this.connected = connected;
    this.onConnection(connected);
  }
}
