import type { IncomingMessage } from 'node:http';
import type { Logger } from 'pino';
import type { WebSocket } from 'ws';
import type { EdgeEntry } from '../../config/schema/sfu.ts';
import type { Sfu } from '../../pipeline/sfu/sfu.ts';
import { bearerToken } from '../auth/bearer.ts';
import { HashedTokens } from '../auth/hashed-tokens.ts';
import type { BroadcastInfo } from '../signalling/protocol.ts';
import { EdgeSession, type EdgeLinkFigures } from './edge-session.ts';
import type { Peers } from './protocol.ts';

export interface EdgeHubOptions {
  sfu: Sfu;
  edges: readonly EdgeEntry[];
  broadcastInfo: (roomId: string) => BroadcastInfo;
  /** This origin's public base URL (where member classrooms go when no edge is left). */
  originUrl: () => string;
  /** The member classroom a join token was issued to, if it is valid. */
  classroomOf: (token: string) => string | undefined;
  logger: Logger;
}

/** One configured edge, as the origin's status, metrics and console show it. */
export interface EdgeView {
  name: string;
  url: string;
  online: boolean;
  connectedAt?: string;
  /** From the edge's own report: classrooms watching there, what it sends them, their worst loss. */
  classrooms: number;
  sendKbps: number;
  lossPercent: number;
  /** The origin → edge link: what the pipes carry, loss and round trip from the edge's receiver reports. */
  link: EdgeLinkFigures;
}

/**
 * The origin's side of `/ws/edge`: authenticates edge SFUs at the upgrade, keeps one session
 * per edge (a reconnecting edge replaces its old session), pushes followed broadcasts' state
 * to them, and knows where each member classroom's edge is.
 */
export class EdgeHub {
  readonly #options: EdgeHubOptions;
  readonly #auth: HashedTokens<EdgeEntry>;
  readonly #sessions = new Map<string, EdgeSession>();
  readonly #logger: Logger;

  constructor(options: EdgeHubOptions) {
    this.#options = options;
    this.#auth = new HashedTokens(options.edges);
    this.#logger = options.logger.child({ component: 'edge-hub' });
  }

  /** For SocketRouter's `accept`: 401 unless the upgrade carries a known edge token. */
  refuse(request: IncomingMessage): number | undefined {
    return this.#edgeOf(request) ? undefined : 401;
  }

  accept(socket: WebSocket, request: IncomingMessage): void {
    const entry = this.#edgeOf(request);
    if (!entry) {
      socket.close(4401, 'unauthorized');
      return;
    }
    this.#sessions.get(entry.name)?.close();
    const session = new EdgeSession(socket, entry, {
      sfu: this.#options.sfu,
      broadcastInfo: this.#options.broadcastInfo,
      peers: () => this.peers(),
      logger: this.#options.logger,
    });
    this.#sessions.set(entry.name, session);
    this.#logger.info({ edge: entry.name }, 'edge connected');
    socket.on('close', () => {
      if (this.#sessions.get(entry.name) !== session) return;
      this.#sessions.delete(entry.name);
      this.#logger.warn({ edge: entry.name }, 'edge disconnected');
    });
  }

  broadcastChanged(roomId: string, info: BroadcastInfo): void {
    for (const session of this.#sessions.values()) session.stateChanged(roomId, info);
  }

  /** Where member classrooms can go: this origin, and every configured edge. */
  peers(): Peers {
    return { origin: this.#options.originUrl(), edges: this.#options.edges.map((e) => ({ name: e.name, url: e.url })) };
  }

  /** The edge configured for a member classroom (its join links name it). */
  edgeOf(classroom: string): EdgeEntry | undefined {
    return this.#options.edges.find((e) => e.classrooms.includes(classroom));
  }

  /** Where the member page of a join token is served instead of here: its classroom's edge, while connected. */
  redirect(token: string): string | undefined {
    const classroom = this.#options.classroomOf(token);
    const edge = classroom === undefined ? undefined : this.edgeOf(classroom);
    return edge && this.#sessions.has(edge.name) ? edge.url.replace(/\/$/, '') : undefined;
  }

  async view(): Promise<EdgeView[]> {
    return Promise.all(
      this.#options.edges.map(async (entry) => {
        const session = this.#sessions.get(entry.name);
        const report = session?.report;
        const link = session ? await session.linkFigures() : { sendKbps: 0, sentBytes: 0, lossPercent: 0, roundTripMs: undefined, pulls: [] };
        return {
          name: entry.name,
          url: entry.url,
          online: Boolean(session),
          ...(session ? { connectedAt: session.connectedAt.toISOString() } : {}),
          classrooms: report?.classrooms ?? 0,
          sendKbps: report?.sendKbps ?? 0,
          lossPercent: report?.lossPercent ?? 0,
          link,
        };
      }),
    );
  }

  close(): void {
    for (const session of this.#sessions.values()) session.close();
    this.#sessions.clear();
  }

  #edgeOf(request: IncomingMessage): EdgeEntry | undefined {
    const token = bearerToken(request.headers.authorization);
    return token ? this.#auth.authenticate(token) : undefined;
  }
}
