import { randomUUID } from 'node:crypto';
import type { Logger } from 'pino';
import { TypedEmitter } from '../../config/foundation/emitter.ts';
import { ClasscastError } from '../../config/foundation/errors.ts';
import type { TalkbackSlice } from '../../config/schema/talkback.ts';

export type TalkbackState = 'waiting' | 'on-air' | 'ended';

/** One raised hand, as `GET /api/talkback` lists it. */
export interface TalkbackRequest {
  id: string;
  classroom: string;
  state: TalkbackState;
  /** When it entered its state (ISO). */
  since: string;
  /** Why it ended: `lowered`, `ended` (by a technician), `left` (the page went), `time`, `replaced`. */
  reason?: string;
}

export type TalkbackDeskEvents = {
  changed: [TalkbackRequest];
};

/** Ended requests stay listed this long, so the console sees how each one finished. */
const KEEP_ENDED_MS = 60_000;

/**
 * Raised hands and who is on air. A classroom has at most one request open; accepting one
 * when `maxOnAir` rooms already speak ends the one on air longest; a talk-back on air ends by
 * itself after `maxMinutes`, and any request ends when its classroom's page leaves.
 */
export class TalkbackDesk extends TypedEmitter<TalkbackDeskEvents> {
  readonly #config: TalkbackSlice;
  readonly #logger: Logger;
  readonly #requests = new Map<string, TalkbackRequest>();
  readonly #timers = new Map<string, NodeJS.Timeout>();
  /** Who raised each open request (a page's session): only its leaving ends the request. */
  readonly #owners = new Map<string, object>();
  /**
   * The place each request on air speaks on (0 … maxOnAir-1): its sound channel and its
   * mix-minus in the pipeline, its picture's source.
   */
  readonly #places = new Map<string, number>();

  constructor(config: TalkbackSlice, logger: Logger) {
    super();
    this.#config = config;
    this.#logger = logger.child({ component: 'talkback' });
  }

  get enabled(): boolean {
    return this.#config.enabled;
  }

  /** Open requests first (on air, then waiting, oldest first), then those ended lately. */
  list(): TalkbackRequest[] {
    const rank = { 'on-air': 0, waiting: 1, ended: 2 } as const;
    return [...this.#requests.values()].sort((a, b) => rank[a.state] - rank[b.state] || a.since.localeCompare(b.since)).map((r) => ({ ...r }));
  }

  get(id: string): TalkbackRequest | undefined {
    const request = this.#requests.get(id);
    return request && { ...request };
  }

  /**
   * A classroom raises its hand; raising it again while it is up changes nothing but its owner
   * (a page that reconnected raises it again on its new connection).
   */
  raise(classroom: string, owner: object): TalkbackRequest {
    if (!this.#config.enabled) throw new ClasscastError('FORBIDDEN', 'talk-back is not enabled for this broadcast');
    const open = [...this.#requests.values()].find((r) => r.classroom === classroom && r.state !== 'ended');
    if (open) {
      this.#owners.set(open.id, owner);
      return { ...open };
    }
    const request: TalkbackRequest = { id: randomUUID(), classroom, state: 'waiting', since: new Date().toISOString() };
    this.#requests.set(request.id, request);
    this.#owners.set(request.id, owner);
    this.#logger.info({ id: request.id, classroom }, 'hand raised');
    this.safeEmit('changed', { ...request });
    return { ...request };
  }

  /** A technician lets a waiting classroom speak. */
  accept(id: string): TalkbackRequest {
    const request = this.#require(id);
    if (request.state === 'on-air') return { ...request };
    if (request.state === 'ended') throw new ClasscastError('CONFLICT', `talk-back ${id} has ended`);
    const onAir = [...this.#requests.values()].filter((r) => r.state === 'on-air').sort((a, b) => a.since.localeCompare(b.since));
    for (const oldest of onAir.slice(0, Math.max(0, onAir.length - this.#config.maxOnAir + 1))) this.#end(oldest, 'replaced');
    const taken = new Set(this.#places.values());
    let place = 0;
    while (taken.has(place)) place += 1;
    this.#places.set(id, place);
    this.#set(request, 'on-air');
    const timer = setTimeout(() => this.#end(request, 'time'), this.#config.maxMinutes * 60_000);
    timer.unref();
    this.#timers.set(id, timer);
    return { ...request };
  }

  /** A technician ends a request, waiting or on air; ending an ended one changes nothing. */
  end(id: string, reason = 'ended'): TalkbackRequest {
    const request = this.#require(id);
    this.#end(request, reason);
    return { ...request };
  }

  /** Whether the request `owner` raised is on air now (only then may its page send). */
  onAirFor(owner: object): boolean {
    return this.placeFor(owner) !== undefined;
  }

  /** The place the request `owner` raised speaks on, while it is on air. */
  placeFor(owner: object): number | undefined {
    for (const [id, holder] of this.#owners) {
      if (holder === owner && this.#requests.get(id)?.state === 'on-air') return this.#places.get(id);
    }
    return undefined;
  }

  /** The place classroom `classroom` speaks on, while its request is on air (all its pages hear its mix-minus). */
  placeOfClassroom(classroom: string): number | undefined {
    const request = [...this.#requests.values()].find((r) => r.classroom === classroom && r.state === 'on-air');
    return request && this.#places.get(request.id);
  }

  /** The place request `id` speaks on, while it is on air. */
  placeOf(id: string): number | undefined {
    return this.#requests.get(id)?.state === 'on-air' ? this.#places.get(id) : undefined;
  }

  /** A page lowered its hand (`lowered`) or left (`left`): the request it owns ends. */
  endOwned(owner: object, reason: string): void {
    for (const [id, holder] of this.#owners) {
      const request = this.#requests.get(id);
      if (holder === owner && request) this.#end(request, reason);
    }
  }

  close(): void {
    for (const timer of this.#timers.values()) clearTimeout(timer);
    this.#timers.clear();
  }

  #require(id: string): TalkbackRequest {
    const request = this.#requests.get(id);
    if (!request) throw new ClasscastError('NOT_FOUND', `no talk-back request ${id}`);
    return request;
  }

  #end(request: TalkbackRequest, reason: string): void {
    if (request.state === 'ended') return;
    clearTimeout(this.#timers.get(request.id));
    this.#owners.delete(request.id);
    this.#places.delete(request.id);
    request.reason = reason;
    this.#set(request, 'ended');
    const forget = setTimeout(() => {
      this.#timers.delete(request.id);
      this.#requests.delete(request.id);
    }, KEEP_ENDED_MS);
    forget.unref();
    this.#timers.set(request.id, forget);
  }

  #set(request: TalkbackRequest, state: TalkbackState): void {
    request.state = state;
    request.since = new Date().toISOString();
    this.#logger.info({ id: request.id, classroom: request.classroom, state, reason: request.reason }, 'talk-back');
    this.safeEmit('changed', { ...request });
  }
}
