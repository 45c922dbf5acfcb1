import type { WebSocket } from 'ws';
import { MemberSession, type MemberSessionDeps } from './member-session.ts';
import type { BroadcastInfo } from './protocol.ts';

/** All member-classroom sessions; pushes broadcast state changes to those following it. */
export class MemberSignalling {
  readonly #deps: MemberSessionDeps;
  readonly #sessions = new Set<MemberSession>();

  constructor(deps: MemberSessionDeps) {
    this.#deps = deps;
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

  close(): void {
    for (const session of this.#sessions) session.close();
    this.#sessions.clear();
  }
}
