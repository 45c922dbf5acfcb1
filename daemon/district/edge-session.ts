import type { Logger } from 'pino';
import type { WebSocket } from 'ws';
import { ClasscastError } from '../../config/foundation/errors.ts';
import type { EdgeEntry } from '../../config/schema/sfu.ts';
import type { PipeEnd, PipeFigures, PipeOffer, PipeOut } from '../../pipeline/sfu/pipe-out.ts';
import type { Sfu } from '../../pipeline/sfu/sfu.ts';
import type { BroadcastInfo } from '../signalling/protocol.ts';
import { answerRequestFrame } from '../signalling/request-frame.ts';
import { edgeRequestSchema, type EdgeReport, type EdgeRequest, type Peers } from './protocol.ts';

export interface EdgeSessionDeps {
  sfu: Sfu;
  broadcastInfo: (roomId: string) => BroadcastInfo;
  peers: () => Peers;
  logger: Logger;
}

/** What the origin knows of one edge's link to it. */
export interface EdgeLinkFigures extends PipeFigures {
  /** Broadcasts pulled over the link now, with the number of pipes each (one when all is well). */
  pulls: { room: string; pipes: number }[];
}

/**
 * One edge SFU connected to this origin over `/ws/edge` (see protocol.ts): the broadcasts it
 * follows, and one pipe per broadcast it pulls. Bad frames get an error frame and the
 * connection stays up; the pipes close with the socket.
 */
export class EdgeSession {
  readonly entry: EdgeEntry;
  readonly connectedAt = new Date();
  readonly #socket: WebSocket;
  readonly #deps: EdgeSessionDeps;
  readonly #logger: Logger;
  readonly #follows = new Set<string>();
  readonly #pulls = new Map<string, PipeOut>();
  #report: (EdgeReport & { at: Date }) | undefined;
  #closed = false;

  constructor(socket: WebSocket, entry: EdgeEntry, deps: EdgeSessionDeps) {
    this.#socket = socket;
    this.entry = entry;
    this.#deps = deps;
    this.#logger = deps.logger.child({ component: 'edge-session', edge: entry.name });
    socket.on('message', (raw, isBinary) => void this.#onMessage(raw.toString(), isBinary));
    socket.on('close', () => this.close());
    this.push('peers', deps.peers());
  }

  get closed(): boolean {
    return this.#closed;
  }

  /** The edge's last report (its classrooms, what it sends them). */
  get report(): EdgeReport | undefined {
    return this.#report;
  }

  stateChanged(roomId: string, info: BroadcastInfo): void {
    if (this.#follows.has(roomId)) this.push('state', { room: roomId, info });
  }

  /** The link as the origin sees it: the pipes' bitrate, and loss and round trip from the edge's reports. */
  async linkFigures(): Promise<EdgeLinkFigures> {
    const pipes = [...this.#pulls.values()].filter((p) => !p.closed);
    const figures = await Promise.all(pipes.map((p) => p.figures()));
    const rtts = figures.flatMap((f) => (f.roundTripMs === undefined ? [] : [f.roundTripMs]));
    const counts = new Map<string, number>();
    for (const [roomId, pipe] of this.#pulls) if (!pipe.closed) counts.set(roomId, (counts.get(roomId) ?? 0) + 1);
    return {
      sendKbps: figures.reduce((sum, f) => sum + f.sendKbps, 0),
      sentBytes: figures.reduce((sum, f) => sum + f.sentBytes, 0),
      lossPercent: Math.max(0, ...figures.map((f) => f.lossPercent)),
      roundTripMs: rtts.length > 0 ? Math.max(...rtts) : undefined,
      pulls: [...counts].map(([room, n]) => ({ room, pipes: n })),
    };
  }

  push(notification: string, data: unknown): void {
    if (this.#socket.readyState === this.#socket.OPEN) this.#socket.send(JSON.stringify({ notification, data }));
  }

  close(): void {
    if (this.#closed) return;
    this.#closed = true;
    for (const pipe of this.#pulls.values()) pipe.close();
    this.#pulls.clear();
    if (this.#socket.readyState === this.#socket.OPEN) this.#socket.close(1001, 'closing');
  }

  async #onMessage(text: string, isBinary: boolean): Promise<void> {
    const answer = await answerRequestFrame(text, isBinary, {
      schema: edgeRequestSchema,
      handle: (request) => this.#handle(request),
      onUnexpected: (error) => this.#logger.warn({ err: error }, 'edge request failed'),
    });
    if (this.#socket.readyState === this.#socket.OPEN) this.#socket.send(JSON.stringify(answer));
  }

  async #handle(request: EdgeRequest): Promise<unknown> {
    switch (request.method) {
      case 'ping':
        return { pong: Date.now() };
      case 'follow':
        this.#follows.add(request.data.room);
        return { info: this.#deps.broadcastInfo(request.data.room) };
      case 'unfollow':
        this.#follows.delete(request.data.room);
        return {};
      case 'pull':
        return this.#pull(request.data.room, request.data.edge);
      case 'unpull':
        this.#unpull(request.data.room);
        return {};
      case 'report':
        this.#report = { ...request.data, at: new Date() };
        return {};
    }
  }

  async #pull(roomId: string, edge: PipeEnd): Promise<PipeOffer> {
    const room = this.#deps.sfu.room(roomId);
    if (!room) throw new ClasscastError('SFU_NO_BROADCAST', `no broadcast ${roomId} here`);
    // A second pull replaces the first: one copy per broadcast crosses the link.
    this.#unpull(roomId);
    const pipe = await room.pipeOut(edge);
    if (this.#closed) {
      pipe.close();
      throw new ClasscastError('INVALID_STATE', 'the edge left');
    }
    this.#pulls.set(roomId, pipe);
    pipe.on('closed', () => {
      if (this.#pulls.get(roomId) !== pipe) return;
      this.#pulls.delete(roomId);
      this.push('unpiped', { room: roomId });
    });
    this.#logger.info({ room: roomId, edgeEnd: { ip: edge.ip, port: edge.port } }, 'edge pulls a broadcast');
    return pipe.offer;
  }

  #unpull(roomId: string): void {
    const pipe = this.#pulls.get(roomId);
    this.#pulls.delete(roomId);
    pipe?.close();
  }
}
