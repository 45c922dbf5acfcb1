import { z } from 'zod';
import { broadcastInfoSchema } from '../publish/protocol.ts';

/**
 * `/ws/edge` frames, between an edge SFU and its origin SFU. The socket is authenticated at
 * the upgrade (`Authorization: Bearer <edge token>`, an `sfu.edges` entry of the origin); a
 * refused upgrade gets a 401 and nothing else. Use `wss://` across networks: the pipes' SRTP
 * keys travel here.
 *
 * Requests (edge → origin) `{id, method, data}`, answered `{id, ok: true, data}` or
 * `{id, ok: false, error: {code, message}}`:
 * - `follow {room}` → `{info}`: the edge has classrooms for this broadcast; its state changes
 *   are pushed from now on. `unfollow {room}` → `{}`.
 * - `pull {room, edge: {ip, port, srtp}}` → `{ip, port, srtp, producers}`: one pipe for the
 *   room from the origin to the edge's PipeTransport (SRTP keys of each side's sending
 *   direction), and the producers to re-create there. A second pull of a room replaces the
 *   first: one copy per broadcast crosses the link. `unpull {room}` → `{}`.
 * - `report {classrooms, sendKbps, lossPercent}` → `{}`: the edge's own figures, for the
 *   origin's status, metrics and console.
 * - `ping` → `{pong}`.
 *
 * Pushes (origin → edge) `{notification, data}`:
 * - `peers {origin, edges}`: where else member classrooms may go when this edge is gone.
 * - `state {room, info}`: a followed broadcast's state changed.
 * - `unpiped {room}`: the room's pipe closed (the lesson ended, or its producers were
 *   re-created); the edge pulls again if the lesson is live and it still has classrooms.
 */
const room = z.string().min(1).max(128);

const srtpParameters = z.object({
  cryptoSuite: z.enum(['AEAD_AES_256_GCM', 'AEAD_AES_128_GCM', 'AES_CM_128_HMAC_SHA1_80', 'AES_CM_128_HMAC_SHA1_32']),
  keyBase64: z.string().min(16).max(128),
});

export const pipeEndSchema = z.object({ ip: z.string().min(1).max(255), port: z.number().int().min(1).max(65535), srtp: srtpParameters });

export const edgeRequestSchema = z.discriminatedUnion('method', [
  z.object({ id: z.number().int(), method: z.literal('follow'), data: z.object({ room }) }),
  z.object({ id: z.number().int(), method: z.literal('unfollow'), data: z.object({ room }) }),
  z.object({ id: z.number().int(), method: z.literal('pull'), data: z.object({ room, edge: pipeEndSchema }) }),
  z.object({ id: z.number().int(), method: z.literal('unpull'), data: z.object({ room }) }),
  z.object({
    id: z.number().int(),
    method: z.literal('report'),
    data: z.object({
      classrooms: z.number().int().min(0).max(1_000_000),
      sendKbps: z.number().min(0).max(100_000_000),
      lossPercent: z.number().min(0).max(100),
    }),
  }),
  z.object({ id: z.number().int(), method: z.literal('ping'), data: z.unknown().optional() }),
]);

export type EdgeRequest = z.infer<typeof edgeRequestSchema>;
export type EdgeReport = Extract<EdgeRequest, { method: 'report' }>['data'];

/** The origin's answer to `pull`, as the edge checks it before handing it to mediasoup. */
export const pipeOfferSchema = pipeEndSchema.extend({
  producers: z
    .array(
      z.object({
        id: z.string().min(1).max(64),
        kind: z.enum(['audio', 'video']),
        rtpParameters: z.object({ codecs: z.array(z.record(z.string(), z.unknown())).min(1) }).loose(),
        paused: z.boolean(),
        minus: z.boolean(),
      }),
    )
    .min(1)
    .max(16),
});

export const peersSchema = z.object({
  origin: z.string().max(2048),
  edges: z.array(z.object({ name: z.string().max(64), url: z.string().max(2048) })).max(1000),
});

export type Peers = z.infer<typeof peersSchema>;

export const edgePushSchemas = {
  peers: peersSchema,
  state: z.object({ room, info: broadcastInfoSchema }),
  unpiped: z.object({ room }),
};
