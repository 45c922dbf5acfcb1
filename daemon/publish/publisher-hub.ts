import type { IncomingMessage } from 'node:http';
import type { Logger } from 'pino';
import type { WebSocket } from 'ws';
import type { PublisherEntry } from '../../config/schema/sfu.ts';
import type { Sfu } from '../../pipeline/sfu/sfu.ts';
import { bearerToken } from '../auth/bearer.ts';
import type { BroadcastInfo } from '../signalling/protocol.ts';
import { HashedTokens } from '../auth/hashed-tokens.ts';
import { PublisherSession } from './publisher-session.ts';

export interface PublisherHubOptions {
  sfu: Sfu;
  publishers: readonly PublisherEntry[];
  /** Pushes a state change to the member classrooms following `roomId`. */
  broadcastChanged: (roomId: string, info: BroadcastInfo) => void;
  logger: Logger;
}

/**
 * The SFU side of `/ws/publish` (see protocol.ts): authenticates publishers at the upgrade
 * and keeps the last broadcast state each room's publisher reported, which is what member
 * classrooms of that room are told when they join.
 */
export class PublisherHub {
  readonly #options: PublisherHubOptions;
  readonly #auth: HashedTokens<PublisherEntry>;
  readonly #states = new Map<string, BroadcastInfo>();
  readonly #sessions = new Set<PublisherSession>();

  constructor(options: PublisherHubOptions) {
    this.#options = options;
    this.#auth = new HashedTokens(options.publishers);
  }

  /** For SocketRouter's `accept`: 401 unless the upgrade carries a known publisher token. */
  refuse(request: IncomingMessage): number | undefined {
    return this.#publisherOf(request) ? undefined : 401;
  }

  accept(socket: WebSocket, request: IncomingMessage): void {
    const publisher = this.#publisherOf(request);
    if (!publisher) {
      socket.close(4401, 'unauthorized');
      return;
    }
    const session = new PublisherSession(socket, publisher, {
      sfu: this.#options.sfu,
      onState: (roomId, info) => {
        this.#states.set(roomId, info);
        this.#options.broadcastChanged(roomId, info);
      },
      logger: this.#options.logger,
    });
    this.#sessions.add(session);
    socket.on('close', () => this.#sessions.delete(session));
  }

  /** The last reported state of a room; idle when no publisher ever said otherwise. */
  info(roomId: string): BroadcastInfo {
    return this.#states.get(roomId) ?? { state: 'idle' };
  }

  close(): void {
    for (const session of this.#sessions) session.close();
    this.#sessions.clear();
  }

  #publisherOf(request: IncomingMessage): PublisherEntry | undefined {
    const token = bearerToken(request.headers.authorization);
    return token ? this.#auth.authenticate(token) : undefined;
  }
}
