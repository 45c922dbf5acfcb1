import type { Logger } from 'pino';
import type { WebSocket } from 'ws';
import { ClasscastError } from '../../config/foundation/errors.ts';
import type { BroadcastRoom } from '../../pipeline/sfu/room.ts';
import type { Sfu } from '../../pipeline/sfu/sfu.ts';
import type { Sender } from '../../pipeline/sfu/sender.ts';
import type { Viewer } from '../../pipeline/sfu/viewer.ts';
import type { JoinClaims, JoinTokens } from '../auth/join-tokens.ts';
import type { TalkbackDesk } from '../talkback/desk.ts';
import { chromiumRecvCapabilities, chromiumRecvOffer } from './browser-capabilities.ts';
import { answerRequestFrame } from './request-frame.ts';
import { requestSchema, type BroadcastInfo, type JoinAnswer, type Notification, type SignalAnswers, type SignalMethod, type SignalRequest } from './protocol.ts';

export interface MemberSessionDeps {
  sfu: Sfu;
  joinTokens: JoinTokens;
  /** Current state of a broadcast (room id). */
  broadcastInfo: (roomId: string) => BroadcastInfo;
  logger: Logger;
  /**
   * Asked before a join is accepted: may this token hold one more session? (MemberSignalling
   * counts sessions per token.) Throws a ClasscastError to refuse.
   */
  admit?: (session: MemberSession, token: string) => void;
  /** A socket that has not joined within this long is closed (default 10 s). */
  joinDeadlineMs?: number;
  /**
   * An edge SFU pulls a broadcast from its origin while a classroom holds it: called at the
   * join (resolves once pulled, when the lesson is on), its release when the session ends.
   */
  hold?: (roomId: string) => Promise<() => void>;
  /** Other SFUs' base URLs this classroom's page moves to when this one is gone (an edge's). */
  alternates?: () => string[];
  /** Where a broadcast (room id) takes raised hands (talk-back); none: a raised hand is refused. */
  talkback?: (roomId: string) => Pick<TalkbackDesk, 'enabled' | 'raise' | 'endOwned' | 'onAirFor' | 'placeOfClassroom'> | undefined;
  /** A join was answered: the box's own part of a classroom's way to its first picture. */
  onJoined?: (join: JoinTiming) => void;
}

/**
 * One answered join, on the wall clock (epoch ms, fractional): its frame arrived, its answer
 * left. `media`: the answer set the classroom's picture up (transport, consumers, offer).
 */
export interface JoinTiming {
  classroom: string;
  receivedAt: number;
  answeredAt: number;
  media: boolean;
}

type JoinMedia = NonNullable<Extract<SignalRequest, { method: 'join' }>['data']['media']>;

/** Epoch ms with the monotonic clock's fraction: two marks of one join a few ms apart stay apart. */
function wallClock(): number {
  return performance.timeOrigin + performance.now();
}

/** At most this many requests a second per connection; more get an error frame. */
const MAX_REQUESTS_PER_SECOND = 40;
/** Requests waiting for their turn on one connection; more get an error frame at once. */
const MAX_QUEUED_REQUESTS = 8;
/** Close code for a socket that never joined (4000–4999 are the application's). */
export const CLOSE_JOIN_DEADLINE = 4408;

/**
 * One member classroom's signalling connection. A join token is needed before anything
 * else; the session only ever reaches the room its token names. Bad frames get an error
 * frame and the connection stays up.
 */
export class MemberSession {
  readonly #socket: WebSocket;
  readonly #deps: MemberSessionDeps;
  readonly #logger: Logger;
  #claims: JoinClaims | undefined;
  #viewer: Viewer | undefined;
  /** This classroom's microphone and camera while its talk-back is on air. */
  #sender: Sender | undefined;
  #room: BroadcastRoom | undefined;
  #token: string | undefined;
  /** Lets go of the broadcast an edge pulled for this classroom. */
  #release: (() => void) | undefined;
  #windowStart = 0;
  #windowCount = 0;
  /**
   * Requests run one at a time, in order: two `createTransport`s in flight at once would
   * each close "the previous" viewer before either existed, and both transports would stay.
   */
  #queue: Promise<void> = Promise.resolve();
  #queued = 0;
  readonly #joinTimer: NodeJS.Timeout;
  readonly #detach: (() => void)[] = [];

  constructor(socket: WebSocket, deps: MemberSessionDeps) {
    this.#socket = socket;
    this.#deps = deps;
    this.#logger = deps.logger.child({ component: 'member-session' });
    socket.on('message', (raw, isBinary) => this.#enqueue(raw.toString(), isBinary));
    socket.on('close', () => this.close());
    this.#joinTimer = setTimeout(() => {
      if (!this.#claims) socket.close(CLOSE_JOIN_DEADLINE, 'join deadline passed');
    }, deps.joinDeadlineMs ?? 10_000);
    this.#joinTimer.unref();
  }

  /** The join token this session joined with (sessions are counted per token). */
  get token(): string | undefined {
    return this.#token;
  }

  get classroom(): string | undefined {
    return this.#claims?.classroom;
  }

  get roomId(): string | undefined {
    return this.#claims?.broadcast;
  }

  get viewer(): Viewer | undefined {
    return this.#viewer;
  }

  notify(message: Notification): void {
    if (this.#socket.readyState === this.#socket.OPEN) this.#socket.send(JSON.stringify(message));
  }

  /**
   * This classroom's talk-back changed: while it is on air, every page of it (not only the one
   * that sends: a room may have a second screen) hears its place's mix-minus, everything but
   * its own voice; otherwise the program's sound.
   */
  async talkbackChanged(): Promise<void> {
    const viewer = this.#viewer;
    if (!viewer || viewer.closed || !this.#claims) return;
    const place = this.#deps.talkback?.(this.#claims.broadcast)?.placeOfClassroom(this.#claims.classroom);
    const room = this.#deps.sfu.room(this.#claims.broadcast);
    await viewer.hear(place === undefined ? undefined : room?.audioFor(place));
  }

  /** The talk-back ended: the classroom's microphone and camera stop reaching the SFU at once. */
  stopSending(): void {
    this.#sender?.close();
    this.#sender = undefined;
  }

  close(): void {
    clearTimeout(this.#joinTimer);
    this.stopSending();
    // A page that leaves takes its raised hand (and its turn on air) with it.
    if (this.#claims) this.#deps.talkback?.(this.#claims.broadcast)?.endOwned(this, 'left');
    for (const detach of this.#detach.splice(0)) detach();
    this.#viewer?.close();
    this.#viewer = undefined;
    this.#release?.();
    this.#release = undefined;
  }

  #enqueue(text: string, isBinary: boolean): void {
    if (this.#queued >= MAX_QUEUED_REQUESTS) {
      // Answered now, out of turn, with the request's id when it has one.
      void answerRequestFrame(text, isBinary, {
        schema: requestSchema,
        handle: () => Promise.reject(new ClasscastError('RATE_LIMITED', 'too many requests in flight')),
        onUnexpected: () => {},
      }).then((answer) => this.#send(answer));
      return;
    }
    this.#queued += 1;
    const receivedAt = wallClock();
    this.#queue = this.#queue.then(() => this.#onMessage(text, isBinary, receivedAt)).finally(() => {
      this.#queued -= 1;
    });
  }

  async #onMessage(text: string, isBinary: boolean, receivedAt: number): Promise<void> {
    let joined: { media: boolean } | undefined;
    const answer = await answerRequestFrame(text, isBinary, {
      schema: requestSchema,
      guard: () => this.#rateLimit(),
      handle: async (request) => {
        const result = await this.#handle(request);
        if (request.method === 'join') joined = { media: (result as JoinAnswer).media !== undefined };
        return result;
      },
      onUnexpected: (error) => this.#logger.warn({ err: error }, 'signalling request failed'),
    });
    this.#send(answer);
    if (joined && this.#claims) this.#deps.onJoined?.({ classroom: this.#claims.classroom, receivedAt, answeredAt: wallClock(), ...joined });
  }

  /** One handler per method, each answering with what `SignalAnswers` says that method returns. */
  readonly #handlers: { [M in SignalMethod]: (data: Extract<SignalRequest, { method: M }>['data']) => Promise<SignalAnswers[M]> } = {
    ping: async () => ({ pong: Date.now() }),
    join: (data) => this.#join(data.token, data.media),
    createTransport: async (data) => {
      const room = this.#requireRoom();
      const viewer = await this.#newViewer(room, data.forceTcp);
      return { ...viewer.transportInfo, rtpCapabilities: room.rtpCapabilities() };
    },
    connectTransport: async (data) => {
      await this.#requireViewer().connect(data.dtlsParameters as never);
      return {};
    },
    consume: async (data) => {
      const room = this.#requireRoom();
      return this.#requireViewer().consume(room.producerIds, data.rtpCapabilities as never);
    },
    resume: async (data) => {
      const viewer = this.#requireViewer();
      await Promise.all((data.consumerIds ?? [data.consumerId!]).map((id) => viewer.resume(id)));
      return {};
    },
    shown: async () => {
      this.#requireViewer().pictureShown();
      return {};
    },
    sendTransport: async (data) => {
      this.#requireOnAir();
      this.stopSending();
      const sender = await this.#requireRoom().createSender(this.#claims!.classroom, { forceTcp: data.forceTcp });
      // The turn may have ended while the transport was being made: then it goes at once.
      if (!this.#onAir()) {
        sender.close();
        this.#requireOnAir();
      }
      this.#sender = sender;
      return sender.transportInfo;
    },
    connectSendTransport: async (data) => {
      await this.#requireSender().connect(data.dtlsParameters as never);
      return {};
    },
    produce: async (data) => {
      this.#requireOnAir();
      return { id: await this.#requireSender().produce(data.kind, data.rtpParameters as never) };
    },
    raiseHand: async () => {
      const desk = this.#deps.talkback?.(this.#claims!.broadcast);
      if (!desk) throw new ClasscastError('FORBIDDEN', 'talk-back is not available for this broadcast here');
      const { id, state } = desk.raise(this.#claims!.classroom, this);
      return { id, state };
    },
    lowerHand: async () => {
      if (this.#claims) this.#deps.talkback?.(this.#claims.broadcast)?.endOwned(this, 'lowered');
      return {};
    },
  };

  async #handle(request: SignalRequest): Promise<unknown> {
    if (request.method !== 'ping' && request.method !== 'join') {
      const claims = this.#claims;
      if (!claims) throw new ClasscastError('UNAUTHORIZED', 'join with a token first');
      if (claims.expiresAt.getTime() <= Date.now()) throw new ClasscastError('FORBIDDEN', 'join token has expired');
    }
    return (this.#handlers[request.method] as (data: unknown) => Promise<unknown>)(request.data);
  }

  async #newViewer(room: BroadcastRoom, forceTcp: boolean | undefined): Promise<Viewer> {
    this.#viewer?.close();
    const viewer = await room.createViewer(this.#claims!.classroom, { forceTcp });
    this.#viewer = viewer;
    // A page that reconnects while it speaks goes on hearing its mix-minus.
    await this.talkbackChanged();
    viewer.on('closed', (reason) => {
      if (this.#viewer === viewer) this.notify({ notification: 'reconnect', data: { reason } });
    });
    return viewer;
  }

  async #join(token: string, media: JoinMedia | undefined): Promise<JoinAnswer> {
    const claims = this.#deps.joinTokens.verify(token);
    if (this.#claims && this.#claims.broadcast !== claims.broadcast) {
      throw new ClasscastError('CONFLICT', 'this connection already joined another broadcast');
    }
    if (this.#token !== token) this.#deps.admit?.(this, token);
    this.#claims = claims;
    this.#token = token;
    this.#logger.info({ classroom: claims.classroom, broadcast: claims.broadcast }, 'member classroom joined');
    if (this.#deps.hold && !this.#release) {
      const release = await this.#deps.hold(claims.broadcast);
      // The page may have left while the edge pulled.
      if (this.#socket.readyState === this.#socket.OPEN) this.#release = release;
      else release();
    }
    this.#watchRoom();
    const room = this.#deps.sfu.room(claims.broadcast);
    const info = this.#deps.broadcastInfo(claims.broadcast);
    const available = Boolean(room && room.producerIds.length > 0);
    const talkback = this.#deps.talkback?.(claims.broadcast)?.enabled ?? false;
    const alternates = this.#deps.alternates?.() ?? [];
    const answer: JoinAnswer = {
      classroom: claims.classroom,
      broadcast: claims.broadcast,
      expiresAt: claims.expiresAt.toISOString(),
      ...info,
      available,
      talkback,
      ...(alternates.length > 0 ? { alternates } : {}),
    };
    if (!media || !room || !available || info.state !== 'live') return answer;
    try {
      const rtpCapabilities = media.rtpCapabilities ?? chromiumRecvCapabilities(media.nativeOffer!, room.rtpCapabilities());
      const viewer = await this.#newViewer(room, media.forceTcp);
      // With the page's DTLS parameters, the transport is connected now and the picture
      // started: the page's ICE begins the moment it has set up its receivers.
      const connected = media.dtlsParameters !== undefined;
      // Connected while the consumers are made: neither waits for the other's round trips.
      const [consumers] = await Promise.all([
        viewer.consume(room.producerIds, rtpCapabilities as never, { startPicture: connected }),
        connected ? viewer.connect(media.dtlsParameters as never) : undefined,
      ]);
      const transport = viewer.transportInfo;
      const offer = connected && media.nativeOffer ? { offer: chromiumRecvOffer(transport, consumers) } : {};
      return { ...answer, media: { transport, consumers, connected, ...offer } };
    } catch (error) {
      // The page can still go step by step (createTransport, consume); the join itself stands.
      this.#logger.warn({ err: error }, 'media set-up in the join failed');
      return answer;
    }
  }

  #watchRoom(): void {
    const room = this.#deps.sfu.room(this.#claims!.broadcast);
    if (!room || room === this.#room) return;
    this.#room = room;
    const onProducers = () => this.notify({ notification: 'producers', data: { reason: 'producers recreated' } });
    room.on('producers', onProducers);
    this.#detach.push(() => room.off('producers', onProducers));
  }

  #requireRoom(): BroadcastRoom {
    const room = this.#deps.sfu.room(this.#claims!.broadcast);
    if (!room) throw new ClasscastError('SFU_NO_BROADCAST', 'the broadcast is not available');
    this.#watchRoom();
    return room;
  }

  /** Whether this page's talk-back is on air (only then may it send). */
  #onAir(): boolean {
    return Boolean(this.#claims && this.#deps.talkback?.(this.#claims.broadcast)?.onAirFor(this));
  }

  #requireOnAir(): void {
    if (!this.#onAir()) throw new ClasscastError('FORBIDDEN', 'only a classroom whose talk-back is on air sends');
  }

  #requireSender(): Sender {
    if (!this.#sender || this.#sender.closed) throw new ClasscastError('INVALID_STATE', 'create a send transport first');
    return this.#sender;
  }

  #requireViewer(): Viewer {
    if (!this.#viewer || this.#viewer.closed) throw new ClasscastError('INVALID_STATE', 'create a transport first');
    return this.#viewer;
  }

  #rateLimit(): void {
    const now = Date.now();
    if (now - this.#windowStart >= 1000) {
      this.#windowStart = now;
      this.#windowCount = 0;
    }
    this.#windowCount += 1;
    if (this.#windowCount > MAX_REQUESTS_PER_SECOND) throw new ClasscastError('RATE_LIMITED', 'too many messages');
  }

  #send(frame: unknown): void {
    if (this.#socket.readyState === this.#socket.OPEN) this.#socket.send(JSON.stringify(frame));
  }
}
