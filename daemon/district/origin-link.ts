import type { Logger } from 'pino';
import { TypedEmitter } from '../../config/foundation/emitter.ts';
import type { PipeEnd, PipeOffer } from '../../pipeline/sfu/pipe-out.ts';
import type { BroadcastInfo } from '../signalling/protocol.ts';
import { LinkSocket } from '../ws/link-socket.ts';
import { broadcastInfoSchema } from '../publish/protocol.ts';
import { edgePushSchemas, pipeOfferSchema, type EdgeReport, type Peers } from './protocol.ts';

export interface OriginLinkOptions {
  /** Base URL of the origin SFU (`/ws/edge` is appended). */
  url: string;
  token: string;
  logger: Logger;
}

export type OriginLinkEvents = {
  /** Connected (again): the edge follows its broadcasts anew. */
  up: [];
  /** The link is gone: every pipe from the origin is dead with it. */
  down: [];
  peers: [Peers];
  state: [room: string, info: BroadcastInfo];
  unpiped: [room: string];
};

/** An edge SFU's authenticated socket to its origin (`/ws/edge`, see protocol.ts). */
export class OriginLink extends TypedEmitter<OriginLinkEvents> {
  readonly #link: LinkSocket;
  readonly #logger: Logger;
  #up = false;
  #peers: Peers | undefined;

  constructor(options: OriginLinkOptions) {
    super();
    this.#logger = options.logger.child({ component: 'origin-link' });
    this.#link = new LinkSocket({ url: options.url, path: '/ws/edge', token: options.token, logger: this.#logger });
    this.#link.on('open', () => {
      this.#up = true;
      this.#link.settled();
      this.#logger.info('connected to the origin');
      this.safeEmit('up');
    });
    this.#link.on('close', () => {
      if (!this.#up) return;
      this.#up = false;
      this.safeEmit('down');
    });
    this.#link.on('push', (name, data) => this.#onPush(name, data));
  }

  get up(): boolean {
    return this.#up;
  }

  /** Where else member classrooms may go (the origin's last word on it). */
  get peers(): Peers | undefined {
    return this.#peers;
  }

  start(): void {
    this.#link.start();
  }

  async follow(room: string): Promise<BroadcastInfo> {
    const answer = (await this.#link.request('follow', { room })) as { info: unknown };
    return broadcastInfoSchema.parse(answer.info);
  }

  async unfollow(room: string): Promise<void> {
    await this.#link.request('unfollow', { room });
  }

  async pull(room: string, edge: PipeEnd): Promise<PipeOffer> {
    return pipeOfferSchema.parse(await this.#link.request('pull', { room, edge })) as PipeOffer;
  }

  async unpull(room: string): Promise<void> {
    await this.#link.request('unpull', { room });
  }

  async report(report: EdgeReport): Promise<void> {
    await this.#link.request('report', report);
  }

  close(): void {
    this.#link.close();
  }

  #onPush(name: string, data: unknown): void {
    const schema = edgePushSchemas[name as keyof typeof edgePushSchemas];
    const parsed = schema?.safeParse(data);
    if (!parsed?.success) {
      this.#logger.warn({ notification: name }, 'unreadable push from the origin');
      return;
    }
    if (name === 'peers') {
      this.#peers = parsed.data as Peers;
      this.safeEmit('peers', this.#peers);
    } else if (name === 'state') {
      const { room, info } = parsed.data as { room: string; info: BroadcastInfo };
      this.safeEmit('state', room, info);
    } else {
      this.safeEmit('unpiped', (parsed.data as { room: string }).room);
    }
  }
}
