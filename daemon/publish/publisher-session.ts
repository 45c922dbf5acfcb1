import type { Logger } from 'pino';
import type { WebSocket } from 'ws';
import { ClasscastError } from '../../config/foundation/errors.ts';
import type { PublisherEntry } from '../../config/schema/sfu.ts';
import type { IngestPlan } from '../../pipeline/sfu/codecs.ts';
import type { IngestEndpoints, BroadcastRoom } from '../../pipeline/sfu/room.ts';
import type { Sfu } from '../../pipeline/sfu/sfu.ts';
import type { BroadcastInfo } from '../signalling/protocol.ts';
import { publishRequestSchema, type PublishRequest } from './protocol.ts';
import { answerRequestFrame } from '../signalling/request-frame.ts';

export interface PublisherSessionDeps {
  sfu: Sfu;
  /** A publisher reported its broadcast state. */
  onState: (roomId: string, info: BroadcastInfo) => void;
  logger: Logger;
}

/**
 * One broadcast classroom publishing into this SFU. It may open only the room its entry
 * names; bad frames get an error frame and the connection stays up. The room outlives the
 * socket: a publisher that reconnects reopens the same room and keeps its member classrooms.
 */
export class PublisherSession {
  readonly #socket: WebSocket;
  readonly #publisher: PublisherEntry;
  readonly #deps: PublisherSessionDeps;
  readonly #logger: Logger;
  #room: BroadcastRoom | undefined;
  #detach: (() => void) | undefined;

  constructor(socket: WebSocket, publisher: PublisherEntry, deps: PublisherSessionDeps) {
    this.#socket = socket;
    this.#publisher = publisher;
    this.#deps = deps;
    this.#logger = deps.logger.child({ component: 'publisher-session', publisher: publisher.name });
    socket.on('message', (raw, isBinary) => void this.#onMessage(raw.toString(), isBinary));
    socket.on('close', () => this.close());
  }

  get roomId(): string | undefined {
    return this.#room?.id;
  }

  close(): void {
    this.#detach?.();
    this.#detach = undefined;
  }

  async #onMessage(text: string, isBinary: boolean): Promise<void> {
    const answer = await answerRequestFrame(text, isBinary, {
      schema: publishRequestSchema,
      handle: (request) => this.#handle(request),
      onUnexpected: (error) => this.#logger.warn({ err: error }, 'publish request failed'),
    });
    this.#send(answer);
  }

  async #handle(request: PublishRequest): Promise<unknown> {
    switch (request.method) {
      case 'ping':
        return { pong: Date.now() };
      case 'open':
        return { ingest: await this.#open(request.data.room, request.data.plan) };
      case 'state': {
        const room = this.#room;
        if (!room) throw new ClasscastError('INVALID_STATE', 'open a room first');
        this.#deps.onState(room.id, request.data);
        // The ingest is open while a lesson is published, and only then; a newly opened one
        // reaches the publisher as an `ingest` push.
        if (request.data.state === 'idle') room.unpublish();
        else await room.publish();
        return {};
      }
    }
  }

  async #open(roomId: string, plan: IngestPlan): Promise<IngestEndpoints | null> {
    if (this.#publisher.room !== roomId) {
      throw new ClasscastError('FORBIDDEN', `this publisher may not open room ${roomId}`);
    }
    if (this.#room && this.#room.id !== roomId) throw new ClasscastError('CONFLICT', 'this connection already opened another room');
    let room = this.#deps.sfu.room(roomId);
    // Another encoding plan (layers, SSRCs) needs other producers: start the room afresh.
    if (room && JSON.stringify(room.plan) !== JSON.stringify(plan)) {
      await this.#deps.sfu.closeRoom(roomId);
      room = undefined;
    }
    room ??= await this.#deps.sfu.openRoom(roomId, plan);
    this.#watch(room);
    this.#logger.info({ room: roomId, publishing: room.publishing }, 'publisher opened its room');
    return room.ingest ?? null;
  }

  #watch(room: BroadcastRoom): void {
    if (this.#room === room) return;
    this.#detach?.();
    this.#room = room;
    const onIngest = (ingest: IngestEndpoints) => this.#send({ notification: 'ingest', data: ingest });
    room.on('ingest', onIngest);
    this.#detach = () => room.off('ingest', onIngest);
  }

  #send(frame: unknown): void {
    if (this.#socket.readyState === this.#socket.OPEN) this.#socket.send(JSON.stringify(frame));
  }
}
