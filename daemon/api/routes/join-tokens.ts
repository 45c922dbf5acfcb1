import { z } from 'zod';
import type { JoinTokens } from '../../auth/join-tokens.ts';
import type { RoutePlugin } from '../types.ts';
import { parseInput } from '../validate.ts';

export interface JoinTokenRouteDeps {
  joinTokens: JoinTokens;
  /** The broadcast (room) this daemon's tokens are for. */
  broadcast: string;
  /** Base URL a member classroom opens, e.g. http://10.1.2.3:8080 (its edge's, when it has one). */
  publicUrl: (classroom: string) => string;
}

const bodySchema = z.object({
  classroom: z.string().trim().min(1).max(128).describe('name of the member classroom'),
  minutes: z.number().int().min(1).max(60 * 24 * 366).describe('how long the link stays valid'),
});

export const joinTokenRoutes: RoutePlugin<JoinTokenRouteDeps> = (app, deps) => {
  app.post('/join-tokens', { config: { role: 'technician', audit: 'join-token.issue' } }, async (request, reply) => {
    const body = parseInput(bodySchema, request.body, 'body');
    const { token, expiresAt } = deps.joinTokens.issue(body.classroom, deps.broadcast, body.minutes);
    const url = `${deps.publicUrl(body.classroom)}/classroom/?token=${encodeURIComponent(token)}`;
    return reply.status(201).send({ token, url, classroom: body.classroom, expiresAt: expiresAt.toISOString() });
  });
};
