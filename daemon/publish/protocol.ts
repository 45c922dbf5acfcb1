import { z } from 'zod';

/**
 * `/ws/publish` frames, between a broadcast classroom (the publisher) and an SFU running the
 * `sfu` role on its own. The socket is authenticated at the upgrade (`Authorization: Bearer
 * <publisher token>`); a refused upgrade gets a 401 and nothing else.
 *
 * Requests `{id, method, data}`, answers `{id, ok: true, data}` or `{id, ok: false, error}`,
 * pushes `{notification, data}`:
 * - `open {room, plan}` → `{ingest}`: opens (or reuses) the room; `ingest` says where to send
 *   RTP while the room is published, and is null between lessons.
 * - `state {state, lesson?}` → `{}`: the broadcast's state, pushed to the room's members. It
 *   also publishes the room (`starting`, `live`, `stopping`: the ingest opens and is pushed) or
 *   ends that (`idle`: the ingest ports close).
 * - `ping` → `{pong}`.
 * - push `ingest {video, audio}`: the ingest opened (a lesson starts), or moved (the room was
 *   rebuilt after its origin worker died); send there now.
 *
 * Each ingest endpoint carries the session's SRTP keys (`srtp {send, receive}`): the media link
 * is encrypted and authenticated with keys agreed here, over the authenticated socket (use
 * `wss://` across networks), new ones each time the ingest opens.
 */
const srtpKey = z.string().regex(/^[A-Za-z0-9+/]{40}$/, 'a base64 AES_CM_128_HMAC_SHA1_80 key (30 bytes)');
const endpoint = z.object({ ip: z.string().min(1).max(255), port: z.number().int().min(1).max(65535) });
/** An ingest transport: where to send, and the session's SRTP keys (see pipeline/sfu/room.ts). */
const ingestEndpoint = endpoint.extend({ srtp: z.object({ send: srtpKey, receive: srtpKey }) });

const layerSchema = z.object({
  rid: z.string().min(1).max(16),
  ssrc: z.number().int().min(1).max(0xffff_ffff),
  width: z.number().int().min(2).max(7680),
  height: z.number().int().min(2).max(4320),
  bitrateKbps: z.number().int().min(16).max(100_000),
});

export const ingestPlanSchema = z.object({
  videoPayloadType: z.number().int().min(96).max(127),
  layers: z.array(layerSchema).min(1).max(3),
  audioPayloadType: z.number().int().min(96).max(127),
  audioSsrc: z.number().int().min(1).max(0xffff_ffff),
});

/** A broadcast's state as boxes tell each other (`BroadcastInfo`). */
export const broadcastInfoSchema = z.object({
  state: z.enum(['idle', 'starting', 'live', 'stopping']),
  lesson: z.object({ id: z.string().max(256), title: z.string().max(512), endsAt: z.string().max(64).optional() }).optional(),
});

export const publishRequestSchema = z.discriminatedUnion('method', [
  z.object({
    id: z.number().int(),
    method: z.literal('open'),
    data: z.object({ room: z.string().min(1).max(128), plan: ingestPlanSchema }),
  }),
  z.object({ id: z.number().int(), method: z.literal('state'), data: broadcastInfoSchema }),
  z.object({ id: z.number().int(), method: z.literal('ping'), data: z.unknown().optional() }),
]);

export type PublishRequest = z.infer<typeof publishRequestSchema>;

export const ingestEndpointsSchema = z.object({ video: ingestEndpoint, audio: ingestEndpoint });
