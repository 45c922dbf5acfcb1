import type { Logger } from 'pino';
import type { WebSocket } from 'ws';
import type { Principal } from '../api/types.ts';
import type { EventBus } from '../events/bus.ts';
import { daemonEventSchema, type DaemonEvent } from '../events/schema.ts';

/** Frames a client may queue before it counts as too slow and is dropped (a kiosk on a bad link). */
const MAX_BUFFERED_BYTES = 1 << 20;
/** Clients only ever need an occasional ping. */
const MAX_MESSAGES_PER_SECOND = 20;

/**
 * `/ws/events`: every bus event goes to every authenticated client as a JSON frame, once it
 * matches its schema (`daemon/events/schema.ts`, which the console's types come from); one that
 * does not is logged and never sent. Clients send nothing but optional `{"type":"ping"}`;
 * anything else gets an error frame and the connection stays up.
 */
export class EventsHub {
  readonly #clients = new Set<WebSocket>();
  readonly #unsubscribe: () => void;
  readonly #snapshot: () => DaemonEvent[];
  readonly #logger: Logger;

  constructor(bus: EventBus, snapshot: () => DaemonEvent[], logger: Logger) {
    this.#snapshot = snapshot;
    this.#logger = logger.child({ component: 'events' });
    const listener = (event: DaemonEvent) => this.#broadcast(event);
    bus.on('event', listener);
    this.#unsubscribe = () => bus.off('event', listener);
  }

  accept(socket: WebSocket, principal: Principal): void {
    this.#clients.add(socket);
    socket.on('close', () => this.#clients.delete(socket));
    let windowStart = 0;
    let windowCount = 0;
    socket.on('message', (raw, isBinary) => {
      // A client that floods the socket is cut off (policy violation) rather than answered.
      const now = Date.now();
      if (now - windowStart >= 1000) {
        windowStart = now;
        windowCount = 0;
      }
      if (++windowCount > MAX_MESSAGES_PER_SECOND) {
        socket.close(1008, 'too many messages');
        return;
      }
      if (isBinary) {
        socket.send(JSON.stringify({ type: 'error', error: { code: 'BAD_REQUEST', message: 'binary frames are not accepted' } }));
        return;
      }
      let type: unknown;
      try {
        type = (JSON.parse(raw.toString()) as { type?: unknown }).type;
      } catch {
        type = undefined;
      }
      if (type === 'ping') socket.send(JSON.stringify({ type: 'pong', at: new Date().toISOString() }));
      else socket.send(JSON.stringify({ type: 'error', error: { code: 'BAD_REQUEST', message: 'only {"type":"ping"} is accepted' } }));
    });
    socket.send(JSON.stringify({ type: 'hello', role: principal.role, name: principal.name }));
    for (const event of this.#snapshot()) {
      if (this.#valid(event)) socket.send(JSON.stringify(event));
    }
  }

  close(): void {
    this.#unsubscribe();
    for (const client of this.#clients) client.close(1001, 'daemon stopping');
    this.#clients.clear();
  }

  #valid(event: DaemonEvent): boolean {
    const checked = daemonEventSchema.safeParse(event);
    if (!checked.success) this.#logger.error({ type: (event as { type?: unknown }).type, issues: checked.error.issues.slice(0, 5) }, 'event does not match its schema; not sent');
    return checked.success;
  }

  #broadcast(event: DaemonEvent): void {
    if (this.#clients.size === 0 || !this.#valid(event)) return;
    const frame = JSON.stringify(event);
    for (const client of this.#clients) {
      if (client.readyState !== client.OPEN) continue;
      if (client.bufferedAmount > MAX_BUFFERED_BYTES) {
        client.terminate();
        continue;
      }
      client.send(frame);
    }
  }
}
