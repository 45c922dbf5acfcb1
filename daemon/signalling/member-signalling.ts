import type { WebSocket } from 'ws';
import { TypedEmitter } from '../../config/foundation/emitter.ts';
import { ClasscastError } from '../../config/foundation/errors.ts';
import { MemberSession, type JoinTiming, type MemberSessionDeps } from './member-session.ts';
import type { BroadcastInfo, TalkbackView } from './protocol.ts';

export interface MemberSignallingOptions extends Omit<MemberSessionDeps, 'admit' | 'onJoined'> {
  /**
   * Sessions one join token may hold at once. A kiosk needs one, plus one while a dropped
   * socket is still waiting to be noticed; a leaked link must not open a hundred transports.
   */
  maxSessionsPerToken?: number;
}

export type MemberSignallingEvents = {
  /** A classroom's join was answered (the metrics time the box's part of it). */
  joined: [JoinTiming];
};

/** All member-classroom sessions; pushes broadcast state changes to those following it. */
export class MemberSignalling extends TypedEmitter<MemberSignallingEvents> {
  readonly #deps: MemberSessionDeps;
  readonly #sessions = new Set<MemberSession>();
  readonly #maxPerToken: number;

  constructor(options: MemberSignallingOptions) {
    super();
    this.#maxPerToken = options.maxSessionsPerToken ?? 4;
    this.#deps = { ...options, admit: (session, token) => this.#admit(session, token), onJoined: (join) => this.safeEmit('joined', join) };
  }

  accept(socket: WebSocket): MemberSession {
    const session = new MemberSession(socket, this.#deps);
    this.#sessions.add(session);
    socket.on('close', () => this.#sessions.delete(session));
    return session;
  }

  sessions(): MemberSession[] {
    return [...this.#sessions];
  }

  broadcastChanged(roomId: string, info: BroadcastInfo): void {
    for (const session of this.#sessions) {
      if (session.roomId === roomId) session.notify({ notification: 'state', data: info });
    }
  }

  /** Tells a classroom's pages (of `roomId`) that its talk-back request changed. */
  talkbackChanged(roomId: string, classroom: string, request: TalkbackView): void {
    for (const session of this.#sessions) {
      if (session.roomId !== roomId || session.classroom !== classroom) continue;
      if (request.state === 'ended') session.stopSending();
      void session.talkbackChanged().catch((error: unknown) => this.#deps.logger.warn({ err: error }, 'switching the sound a classroom hears failed'));
      session.notify({ notification: 'talkback', data: request });
    }
  }

  #admit(session: MemberSession, token: string): void {
    let holding = 0;
    for (const other of this.#sessions) if (other !== session && other.token === token) holding += 1;
    if (holding >= this.#maxPerToken) {
      throw new ClasscastError('RATE_LIMITED', `this link already has ${holding} open sessions`);
    }
  }

  close(): void {
    for (const session of this.#sessions) session.close();
    this.#sessions.clear();
  }
}
