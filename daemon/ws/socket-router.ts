import type { IncomingMessage, Server } from 'node:http';
import type { Duplex } from 'node:stream';
import { WebSocketServer, type WebSocket } from 'ws';

export interface SocketRoute {
  /** Decide from the upgrade request; return a status code to refuse (e.g. 401). */
  accept?: (request: IncomingMessage, url: URL) => number | undefined;
  onConnection: (socket: WebSocket, request: IncomingMessage, url: URL) => void;
}

export interface SocketRouterOptions {
  /** Open sockets one client address may hold over all routes (a kiosk needs one or two). */
  maxSocketsPerAddress?: number;
  /** Sockets the router holds at most, over all addresses. */
  maxSockets?: number;
}

/** Largest frame any socket accepts; bigger frames close the socket with 1009. */
const MAX_PAYLOAD = 64 * 1024;
const PING_INTERVAL_MS = 10_000;
/** A refused peer that does not read our answer is cut off after this long. */
const REFUSAL_LINGER_MS = 2_000;

const REASONS: Record<number, [string, string]> = {
  400: ['Bad Request', 'BAD_REQUEST'],
  401: ['Unauthorized', 'UNAUTHORIZED'],
  403: ['Forbidden', 'FORBIDDEN'],
  404: ['Not Found', 'NOT_FOUND'],
  429: ['Too Many Requests', 'RATE_LIMITED'],
  503: ['Service Unavailable', 'UNAVAILABLE'],
};

/**
 * The URL of an upgrade's request target, or undefined when it is not one. Only origin-form
 * targets (`/path?query`) are valid for an upgrade (RFC 9112 §3.2); anything else, e.g.
 * `//x:99999` which WHATWG parsing reads as a host with a bad port, is refused with a 400.
 */
export function upgradeTarget(target: string | undefined): URL | undefined {
  if (!target || !target.startsWith('/')) return undefined;
  try {
    // Prefixing the origin makes every origin-form target a path, `//x` included.
    return new URL(`http://localhost${target}`);
  } catch {
    return undefined;
  }
}

/**
 * Routes HTTP upgrades by path to `ws` servers (noServer mode), so one port serves the API,
 * the pages and every socket. Dead peers (no pong within one interval) are terminated, which
 * is how a kiosk that lost its network is noticed.
 *
 * Every upgrade is untrusted until a route accepts it: the raw socket gets an error listener
 * before anything else (a peer that resets a refused upgrade would otherwise raise an
 * `ECONNRESET` with no listener, which ends the process), and a refused socket is destroyed
 * if the peer does not take the answer within a short time.
 */
export class SocketRouter {
  readonly #routes = new Map<string, { wss: WebSocketServer; route: SocketRoute }>();
  readonly #alive = new WeakSet<WebSocket>();
  readonly #perAddress = new Map<string, number>();
  readonly #timer: NodeJS.Timeout;
  readonly #maxPerAddress: number;
  readonly #maxSockets: number;
  #open = 0;

  constructor(server: Server, options: SocketRouterOptions = {}) {
    this.#maxPerAddress = options.maxSocketsPerAddress ?? 32;
    this.#maxSockets = options.maxSockets ?? 4096;
    server.on('upgrade', (request: IncomingMessage, socket: Duplex, head: Buffer) => this.#onUpgrade(request, socket, head));
    this.#timer = setInterval(() => this.#sweep(), PING_INTERVAL_MS);
    this.#timer.unref();
  }

  add(path: string, route: SocketRoute): void {
    const wss = new WebSocketServer({ noServer: true, maxPayload: MAX_PAYLOAD });
    wss.on('connection', (socket: WebSocket, request: IncomingMessage, url: URL) => {
      this.#alive.add(socket);
      socket.on('pong', () => this.#alive.add(socket));
      socket.on('error', () => socket.terminate());
      try {
        route.onConnection(socket, request, url);
      } catch {
        socket.close(1011, 'internal error');
      }
    });
    this.#routes.set(path, { wss, route });
  }

  clientCount(path: string): number {
    return this.#routes.get(path)?.wss.clients.size ?? 0;
  }

  /** Open sockets over all routes, and how many addresses hold them (metrics, tests). */
  get counts(): { sockets: number; addresses: number } {
    return { sockets: this.#open, addresses: this.#perAddress.size };
  }

  close(): void {
    clearInterval(this.#timer);
    for (const { wss } of this.#routes.values()) {
      for (const client of wss.clients) client.terminate();
      wss.close();
    }
  }

  #onUpgrade(request: IncomingMessage, socket: Duplex, head: Buffer): void {
    socket.on('error', () => socket.destroy());
    const url = upgradeTarget(request.url);
    const refuse = (status: number, detail: string) => {
      const [text, code] = REASONS[status] ?? REASONS[403]!;
      const body = JSON.stringify({ error: { code, message: `${text}: ${detail}` } });
      socket.end(
        `HTTP/1.1 ${status} ${text}\r\nConnection: close\r\nContent-Type: application/json\r\nContent-Length: ${Buffer.byteLength(body)}\r\n\r\n${body}`,
      );
      setTimeout(() => socket.destroy(), REFUSAL_LINGER_MS).unref();
    };
    if (!url) return refuse(400, 'the request target is not a path');
    const entry = this.#routes.get(url.pathname);
    if (!entry) return refuse(404, url.pathname);
    const address = request.socket.remoteAddress ?? 'unknown';
    if (this.#open >= this.#maxSockets) return refuse(503, 'too many sockets');
    if ((this.#perAddress.get(address) ?? 0) >= this.#maxPerAddress) return refuse(429, 'too many sockets from this address');
    let status: number | undefined;
    try {
      status = entry.route.accept?.(request, url);
    } catch {
      status = 400;
    }
    if (status !== undefined) return refuse(REASONS[status] ? status : 403, url.pathname);
    entry.wss.handleUpgrade(request, socket, head, (ws) => {
      this.#count(address, ws);
      entry.wss.emit('connection', ws, request, url);
    });
  }

  #count(address: string, ws: WebSocket): void {
    this.#open += 1;
    this.#perAddress.set(address, (this.#perAddress.get(address) ?? 0) + 1);
    ws.once('close', () => {
      this.#open -= 1;
      const left = (this.#perAddress.get(address) ?? 1) - 1;
      if (left <= 0) this.#perAddress.delete(address);
      else this.#perAddress.set(address, left);
    });
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
