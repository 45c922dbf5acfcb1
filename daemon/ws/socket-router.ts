import type { IncomingMessage, Server } from 'node:http';
import type { Duplex } from 'node:stream';
import { WebSocketServer, type WebSocket } from 'ws';

export interface SocketRoute {
  /** Decide from the upgrade request; return a status code to refuse (e.g. 401). */
  accept?: (request: IncomingMessage, url: URL) => number | undefined;
  onConnection: (socket: WebSocket, request: IncomingMessage, url: URL) => void;
}

/** Largest frame any socket accepts; bigger frames close the socket with 1009. */
const MAX_PAYLOAD = 64 * 1024;
const PING_INTERVAL_MS = 10_000;

/**
 * Routes HTTP upgrades by path to `ws` servers (noServer mode), so one port serves the API,
 * the pages and every socket. Dead peers (no pong within one interval) are terminated, which
 * is how a kiosk that lost its network is noticed.
 */
export class SocketRouter {
  readonly #routes = new Map<string, { wss: WebSocketServer; route: SocketRoute }>();
  readonly #alive = new WeakSet<WebSocket>();
  readonly #timer: NodeJS.Timeout;

  constructor(server: Server) {
    server.on('upgrade', (request, socket, head) => this.#onUpgrade(request, socket, head));
    this.#timer = setInterval(() => this.#sweep(), PING_INTERVAL_MS);
    this.#timer.unref();
  }

  add(path: string, route: SocketRoute): void {
    const wss = new WebSocketServer({ noServer: true, maxPayload: MAX_PAYLOAD });
    wss.on('connection', (socket: WebSocket, request: IncomingMessage) => {
      this.#alive.add(socket);
      socket.on('pong', () => this.#alive.add(socket));
      socket.on('error', () => socket.terminate());
      route.onConnection(socket, request, new URL(request.url ?? '/', 'http://localhost'));
    });
    this.#routes.set(path, { wss, route });
  }

  clientCount(path: string): number {
    return this.#routes.get(path)?.wss.clients.size ?? 0;
  }

  close(): void {
    clearInterval(this.#timer);
    for (const { wss } of this.#routes.values()) {
      for (const client of wss.clients) client.terminate();
      wss.close();
    }
  }

  #onUpgrade(request: IncomingMessage, socket: Duplex, head: Buffer): void {
    const url = new URL(request.url ?? '/', 'http://localhost');
    const entry = this.#routes.get(url.pathname);
    // Refusals carry the same `{error: {code, message}}` body as the HTTP API.
    const refuse = (status: number, text: string, code: string) => {
      const body = JSON.stringify({ error: { code, message: `${text}: ${url.pathname}` } });
      socket.end(
        `HTTP/1.1 ${status} ${text}\r\nConnection: close\r\nContent-Type: application/json\r\nContent-Length: ${Buffer.byteLength(body)}\r\n\r\n${body}`,
      );
    };
    if (!entry) return refuse(404, 'Not Found', 'NOT_FOUND');
    const status = entry.route.accept?.(request, url);
    if (status !== undefined) {
      return status === 401 ? refuse(401, 'Unauthorized', 'UNAUTHORIZED') : refuse(status, 'Forbidden', 'FORBIDDEN');
    }
    entry.wss.handleUpgrade(request, socket, head, (ws) => entry.wss.emit('connection', ws, request));
  }

  #sweep(): void {
    for (const { wss } of this.#routes.values()) {
      for (const client of wss.clients) {
        if (!this.#alive.has(client)) {
          client.terminate();
          continue;
        }
        this.#alive.delete(client);
        client.ping();
      }
    }
  }
}
