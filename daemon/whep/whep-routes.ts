import { randomUUID } from 'node:crypto';
import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import type { Logger } from 'pino';
import { ClasscastError, isClasscastError } from '../../config/foundation/errors.ts';
import type { ConsumerInfo, Viewer } from '../../pipeline/sfu/viewer.ts';
import type { Sfu } from '../../pipeline/sfu/sfu.ts';
import { parseWhepOffer, playerCodecs, whepAnswer } from '../../pipeline/sfu/whep-sdp.ts';
import { statusForCode } from '../api/error-status.ts';
import { bearerToken } from '../auth/bearer.ts';
import type { JoinClaims, JoinTokens } from '../auth/join-tokens.ts';
import type { BroadcastInfo } from '../signalling/protocol.ts';

export interface WhepDeps {
  sfu: Sfu;
  joinTokens: JoinTokens;
  broadcastInfo: (roomId: string) => BroadcastInfo;
  /** An edge pulls the broadcast while a player holds it; the origin always has it. */
  hold?: (roomId: string) => Promise<() => void>;
  logger: Logger;
}

interface WhepSession {
  token: string;
  viewer: Viewer;
  release: () => void;
}

/** Players one join token may run at once (a hardware decoder and a spare, a monitor). */
const MAX_SESSIONS_PER_TOKEN = 4;
/** After the first picture, a player may move up from the newcomer's low layer (ms). */
const LOW_LAYER_MS = 2_000;

const CORS = {
  'access-control-allow-origin': '*',
  'access-control-allow-methods': 'POST, DELETE, PATCH, OPTIONS',
  'access-control-allow-headers': 'authorization, content-type',
  'access-control-expose-headers': 'location',
};

/**
 * WHEP playback (RFC 9725) on the SFU roles, origin and edges: `POST /whep` with the member
 * classroom's join token as `Authorization: Bearer …` and an SDP offer (`application/sdp`)
 * answers 201 with the SDP answer and the session's `Location`; `DELETE` there ends it. The
 * player gets the program's picture and sound as a member page does (the newcomer's low layer
 * first, then what its bandwidth estimate allows). mediasoup is ICE-lite and every candidate
 * is in the answer, so there is no trickle (`PATCH` is 405). CORS is open: a browser player on
 * another site may use it; the token is what protects it.
 */
export async function registerWhep(app: FastifyInstance, deps: WhepDeps): Promise<{ close(): void }> {
  const sessions = new Map<string, WhepSession>();
  const logger = deps.logger.child({ component: 'whep' });

  const fail = (reply: FastifyReply, error: unknown) => {
    const code = isClasscastError(error) ? error.code : 'INTERNAL';
    if (!isClasscastError(error)) logger.warn({ err: error }, 'WHEP request failed');
    const status = statusForCode(code);
    if (status === 503) reply.header('retry-after', '5');
    return reply.status(status).headers(CORS).send({ error: { code, message: isClasscastError(error) ? error.message : 'internal error' } });
  };

  const end = (id: string) => {
    const session = sessions.get(id);
    if (!session) return;
    sessions.delete(id);
    session.viewer.close();
    session.release();
  };

  const claimsOf = (request: FastifyRequest): { token: string; claims: JoinClaims } => {
    const token = bearerToken(request.headers.authorization);
    if (!token) throw new ClasscastError('UNAUTHORIZED', 'a join token is needed (Authorization: Bearer …)');
    return { token, claims: deps.joinTokens.verify(token) };
  };

  await app.register(async (scope) => {
    scope.addContentTypeParser('application/sdp', { parseAs: 'string' }, (_request, body, done) => done(null, String(body)));
    scope.options('/whep', async (_request, reply) => reply.status(204).headers(CORS).send());
    scope.options('/whep/sessions/:id', async (_request, reply) => reply.status(204).headers(CORS).send());

    scope.post('/whep', async (request, reply) => {
      let release: (() => void) | undefined;
      try {
        const { token, claims } = claimsOf(request);
        if (request.headers['content-type']?.split(';')[0]?.trim() !== 'application/sdp') {
          throw new ClasscastError('UNSUPPORTED_MEDIA_TYPE', 'the offer goes as application/sdp');
        }
        if ([...sessions.values()].filter((s) => s.token === token).length >= MAX_SESSIONS_PER_TOKEN) {
          throw new ClasscastError('RATE_LIMITED', `this link already plays ${MAX_SESSIONS_PER_TOKEN} times`);
        }
        const offer = parseWhepOffer(String(request.body ?? ''));
        // A bad offer is refused before an edge pulls anything for it.
        const codecs = playerCodecs(offer);
        release = (await deps.hold?.(claims.broadcast)) ?? (() => {});
        const room = deps.sfu.room(claims.broadcast);
        if (!room?.videoProducerId || deps.broadcastInfo(claims.broadcast).state !== 'live') {
          throw new ClasscastError('SFU_NO_BROADCAST', 'the lesson is not live; try again later');
        }
        const { viewer, video, audio } = await room.createPlayerViewer(`whep:${claims.classroom}`, codecs);
        try {
          await viewer.connect(offer.dtlsParameters);
          const consumers = new Map<string, ConsumerInfo>();
          const wanted: Record<string, string | undefined> = { video, audio };
          for (const section of offer.sections) {
            const producerId = section.kind === 'other' ? undefined : wanted[section.kind];
            if (!producerId) continue;
            wanted[section.kind] = undefined;
            const [consumer] = await viewer.consume([producerId], offer.rtpCapabilities);
            if (consumer) consumers.set(section.mid, consumer);
          }
          if (consumers.size === 0) throw new ClasscastError('BAD_REQUEST', 'the offer can receive neither the picture (H.264) nor the sound (Opus)');
          for (const consumer of consumers.values()) await viewer.resume(consumer.id);
          const id = randomUUID();
          const answer = whepAnswer(offer, viewer.transportInfo, consumers, id);
          sessions.set(id, { token, viewer, release });
          viewer.on('closed', () => end(id));
          // WHEP has no renegotiation: new producers (a new lesson) end the session; the player posts again.
          viewer.on('consumerclosed', () => end(id));
          viewer.on('icestate', (state) => state === 'disconnected' && end(id));
          setTimeout(() => !viewer.closed && viewer.pictureShown(), LOW_LAYER_MS).unref();
          logger.info({ classroom: claims.classroom, broadcast: claims.broadcast, session: id }, 'WHEP player joined');
          return reply
            .status(201)
            .headers(CORS)
            .header('content-type', 'application/sdp')
            .header('location', `/whep/sessions/${id}`)
            .send(answer);
        } catch (error) {
          viewer.close();
          throw error;
        }
      } catch (error) {
        release?.();
        return fail(reply, error);
      }
    });

    scope.delete<{ Params: { id: string } }>('/whep/sessions/:id', async (request, reply) => {
      try {
        const { token } = claimsOf(request);
        const session = sessions.get(request.params.id);
        if (!session || session.token !== token) throw new ClasscastError('NOT_FOUND', 'no such WHEP session');
        end(request.params.id);
        return reply.status(200).headers(CORS).send();
      } catch (error) {
        return fail(reply, error);
      }
    });

    scope.patch('/whep/sessions/:id', async (_request, reply) =>
      reply.status(405).headers(CORS).header('allow', 'DELETE').send({ error: { code: 'BAD_REQUEST', message: 'no trickle ICE: every candidate is in the answer' } }),
    );
  });

  return {
    close() {
      for (const id of [...sessions.keys()]) end(id);
    },
  };
}
