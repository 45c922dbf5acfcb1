import { z } from 'zod';

/**
 * `/ws/sfu` frames. Requests `{id, method, data}`; answers `{id, ok: true, data}` or
 * `{id, ok: false, error: {code, message}}`; server pushes `{notification, data}`.
 * mediasoup's own parameter objects are checked for shape here and in depth by mediasoup.
 */
const anyObject = z.record(z.string(), z.unknown());

export const requestSchema = z.discriminatedUnion('method', [
  z.object({ id: z.number().int(), method: z.literal('join'), data: z.object({ token: z.string().min(1).max(2048) }) }),
  z.object({
    id: z.number().int(),
    method: z.literal('createTransport'),
    data: z.object({ forceTcp: z.boolean().optional() }).prefault({}),
  }),
  z.object({
    id: z.number().int(),
    method: z.literal('connectTransport'),
    data: z.object({
      dtlsParameters: z.object({ role: z.enum(['auto', 'client', 'server']).optional(), fingerprints: z.array(anyObject).min(1) }),
    }),
  }),
  z.object({
    id: z.number().int(),
    method: z.literal('consume'),
    data: z.object({ rtpCapabilities: z.object({ codecs: z.array(anyObject).optional(), headerExtensions: z.array(anyObject).optional() }) }),
  }),
  z.object({ id: z.number().int(), method: z.literal('resume'), data: z.object({ consumerId: z.string().min(1).max(64) }) }),
  z.object({ id: z.number().int(), method: z.literal('ping'), data: z.unknown().optional() }),
]);

export type SignalRequest = z.infer<typeof requestSchema>;

export type BroadcastState = 'idle' | 'starting' | 'live' | 'stopping';

export interface BroadcastInfo {
  state: BroadcastState;
  lesson?: { id: string; title: string; endsAt?: string };
}

export type Notification =
  | { notification: 'state'; data: BroadcastInfo }
  | { notification: 'producers'; data: { reason: string } }
  | { notification: 'reconnect'; data: { reason: string } };
