import type { Logger } from 'pino';
import type { BroadcastRoom, RoomNetwork } from '../../pipeline/sfu/room.ts';
import { pipeFeed } from '../../pipeline/sfu/pipe-feed.ts';
import type { Sfu } from '../../pipeline/sfu/sfu.ts';
import type { BroadcastInfo } from '../signalling/protocol.ts';
import type { OriginLink } from './origin-link.ts';

export interface EdgeRoomsOptions {
  sfu: Sfu;
  link: OriginLink;
  network: RoomNetwork;
  /** How long a broadcast stays pulled after its last classroom here left. */
  lingerMs: number;
  /** This edge's own public base URL (left out of the places its classrooms move to). */
  selfUrl: () => string;
  /** A followed broadcast's state changed; said once the edge pulled it, when it is on. */
  broadcastChanged: (roomId: string, info: BroadcastInfo) => void;
  logger: Logger;
}

interface Held {
  /** Member classrooms (pages, WHEP players) holding the broadcast here. */
  holders: number;
  info: BroadcastInfo;
  followed: boolean;
  room?: BroadcastRoom;
  opening?: Promise<void>;
  linger?: NodeJS.Timeout;
  retry?: NodeJS.Timeout;
}

/** A pull that failed (the origin's lesson still starting, the link just back) is tried again after this. */
const RETRY_MS = 1_000;
/** The edge tells its origin its classrooms and what it sends them this often (ms). */
const REPORT_MS = 2_000;

/**
 * An edge SFU's broadcasts: a broadcast is pulled from the origin only while at least one
 * classroom here holds it (plus `lingerMs`, so a page reloading does not cost a re-pull), and
 * only while its lesson is on. The edge's room is an ordinary `BroadcastRoom` fed by a pipe
 * (`pipe-feed.ts`), so classrooms here get exactly what they get at the origin. A pipe that
 * breaks (lesson restarted, origin rebuilt the room, origin gone and back) is pulled again.
 */
export class EdgeRooms {
  readonly #options: EdgeRoomsOptions;
  readonly #logger: Logger;
  readonly #held = new Map<string, Held>();
  readonly #reporter: NodeJS.Timeout;
  #closed = false;

  constructor(options: EdgeRoomsOptions) {
    this.#options = options;
    this.#logger = options.logger.child({ component: 'edge-rooms' });
    const { link } = options;
    link.on('state', (roomId, info) => void this.#stateChanged(roomId, info));
    link.on('unpiped', (roomId) => void this.#unpiped(roomId));
    link.on('down', () => this.#linkDown());
    link.on('up', () => this.#linkUp());
    this.#reporter = setInterval(() => void this.#report(), REPORT_MS);
    this.#reporter.unref();
  }

  /**
   * A classroom here wants the broadcast: follows it at the origin and, while its lesson is
   * on, pulls it (resolves once pulled, or once the attempt failed: the classroom then waits
   * for the `producers` of a later pull). Returns the release to call when it leaves.
   */
  async hold(roomId: string): Promise<() => void> {
    const held: Held = this.#held.get(roomId) ?? { holders: 0, info: { state: 'idle' }, followed: false };
    this.#held.set(roomId, held);
    held.holders += 1;
    clearTimeout(held.linger);
    let released = false;
    const release = () => {
      if (released) return;
      released = true;
      held.holders -= 1;
      if (held.holders > 0 || this.#closed) return;
      held.linger = setTimeout(() => void this.#drop(roomId, held), this.#options.lingerMs);
      held.linger.unref();
    };
    await this.#ensure(roomId, held);
    return release;
  }

  info(roomId: string): BroadcastInfo {
    return this.#held.get(roomId)?.info ?? { state: 'idle' };
  }

  /** Where this edge's classrooms go when it is gone: the other edges, then the origin. */
  alternates(): string[] {
    const peers = this.#options.link.peers;
    if (!peers) return [];
    const self = normalise(this.#options.selfUrl());
    return [...peers.edges.map((e) => e.url), peers.origin].map(normalise).filter((url) => url !== self);
  }

  /** Broadcasts held here, and how many classrooms hold each. */
  holdings(): { room: string; holders: number; pulled: boolean }[] {
    return [...this.#held].map(([room, h]) => ({ room, holders: h.holders, pulled: Boolean(h.room && h.room.producerIds.length > 0) }));
  }

  close(): void {
    this.#closed = true;
    clearInterval(this.#reporter);
    for (const held of this.#held.values()) {
      clearTimeout(held.linger);
      clearTimeout(held.retry);
    }
    this.#held.clear();
  }

  /** For the origin's status, metrics and console: classrooms here, what they get, their worst loss. */
  async #report(): Promise<void> {
    if (!this.#options.link.up) return;
    try {
      const viewers = this.#options.sfu.rooms().flatMap((room) => room.viewers());
      const stats = await Promise.all(viewers.map((v) => v.stats()));
      await this.#options.link.report({
        classrooms: stats.length,
        sendKbps: stats.reduce((sum, s) => sum + s.bitrateKbps, 0),
        lossPercent: Math.max(0, ...stats.map((s) => s.lossPercent)),
      });
    } catch (error) {
      this.#logger.debug({ err: error }, 'edge report failed');
    }
  }

  async #ensure(roomId: string, held: Held): Promise<void> {
    held.opening ??= this.#open(roomId, held).finally(() => (held.opening = undefined));
    await held.opening;
  }

  async #open(roomId: string, held: Held): Promise<void> {
    const { link, sfu, network } = this.#options;
    try {
      held.room ??= await sfu.openRoom(
        roomId,
        pipeFeed({
          net: network,
          pull: (end) => link.pull(roomId, end),
          released: () => void link.unpull(roomId).catch(() => undefined),
        }),
      );
      if (!held.followed && link.up) {
        held.info = await link.follow(roomId);
        held.followed = true;
      }
      if (held.info.state !== 'idle' && held.holders > 0 && link.up) await held.room.pull();
    } catch (error) {
      this.#logger.warn({ room: roomId, err: error }, 'pulling a broadcast failed; trying again');
      this.#retryLater(roomId, held);
    }
  }

  #retryLater(roomId: string, held: Held): void {
    clearTimeout(held.retry);
    held.retry = setTimeout(() => {
      if (this.#closed || this.#held.get(roomId) !== held || held.holders === 0) return;
      void this.#ensure(roomId, held);
    }, RETRY_MS);
    held.retry.unref();
  }

  async #stateChanged(roomId: string, info: BroadcastInfo): Promise<void> {
    const held = this.#held.get(roomId);
    if (!held) return;
    held.info = info;
    if (info.state === 'idle') held.room?.unpublish();
    else await this.#ensure(roomId, held);
    this.#options.broadcastChanged(roomId, info);
  }

  async #unpiped(roomId: string): Promise<void> {
    const held = this.#held.get(roomId);
    if (!held?.room) return;
    held.room.unpublish();
    if (held.info.state !== 'idle') await this.#ensure(roomId, held);
  }

  #linkDown(): void {
    this.#logger.warn('origin link down: the pipes from it are dead');
    for (const held of this.#held.values()) {
      held.followed = false;
      held.room?.unpublish();
    }
  }

  #linkUp(): void {
    for (const [roomId, held] of this.#held) {
      if (held.holders === 0) continue;
      void this.#ensure(roomId, held).then(() => this.#options.broadcastChanged(roomId, held.info));
    }
  }

  async #drop(roomId: string, held: Held): Promise<void> {
    await held.opening;
    if (held.holders > 0 || this.#held.get(roomId) !== held) return;
    this.#held.delete(roomId);
    clearTimeout(held.retry);
    held.room?.unpublish();
    await this.#options.sfu.closeRoom(roomId);
    if (held.followed && this.#options.link.up) await this.#options.link.unfollow(roomId).catch(() => undefined);
    this.#logger.info({ room: roomId }, 'no classroom left: broadcast no longer pulled');
  }
}

function normalise(url: string): string {
  return url.replace(/\/+$/, '');
}
