import { createHash } from 'node:crypto';
import { z } from 'zod';
import { host, port } from './common.ts';

/**
 * An entry that authenticates with a token keeps only its SHA-256: a plain `token` is hashed
 * while the config is parsed, so the frozen config never holds it.
 */
const tokenFields = {
  token: z.string().min(16).optional().describe('the token (hashed at load)'),
  sha256: z.string().regex(/^[0-9a-f]{64}$/).optional().describe('hex SHA-256 of the token'),
};
const exactlyOneToken = (p: { token?: string; sha256?: string }) => (p.token === undefined) !== (p.sha256 === undefined);
const ONE_TOKEN = { message: 'give exactly one of token, sha256' };
function hashToken<T extends { token?: string; sha256?: string }>({ token, ...rest }: T): Omit<T, 'token' | 'sha256'> & { sha256: string } {
  return { ...rest, sha256: rest.sha256 ?? createHash('sha256').update(token!, 'utf8').digest('hex') } as Omit<T, 'token' | 'sha256'> & { sha256: string };
}

/** A broadcast classroom allowed to publish into this SFU over `/ws/publish`. */
export const publisherSchema = z
  .object({
    name: z.string().min(1).describe('who publishes; shown in logs'),
    room: z.string().min(1).max(128).describe('the only room (broadcast classroom id) this publisher may open or report on'),
    ...tokenFields,
  })
  .refine(exactlyOneToken, ONE_TOKEN)
  .transform(hashToken);

/**
 * An edge SFU allowed to pull broadcasts from this one (its origin) over `/ws/edge`, and where
 * the member classrooms near it are sent.
 */
export const edgeEntrySchema = z
  .object({
    name: z.string().min(1).max(64).describe('the edge; shown in status, metrics and logs'),
    url: z.url().describe("the edge's public base URL, e.g. https://edge-north.district.example:8443"),
    classrooms: z
      .array(z.string().min(1).max(128))
      .default([])
      .describe('member classrooms served by this edge: their join links point at it'),
    ...tokenFields,
  })
  .refine(exactlyOneToken, ONE_TOKEN)
  .transform(hashToken);

export const sfuSchema = z
  .object({
    workers: z.number().int().min(1).max(64).optional().describe('mediasoup workers; default one per core'),
    listenIp: host.default('127.0.0.1').describe('address the WebRTC and RTP transports bind'),
    announcedAddress: host
      .optional()
      .describe('address announced to browsers in ICE candidates and to remote publishers (public IP or name)'),
    rtcMinPort: port.default(40000),
    rtcMaxPort: port.default(49999),
    logLevel: z.enum(['debug', 'warn', 'error', 'none']).default('warn'),
    publishers: z
      .array(publisherSchema)
      .default([])
      .describe('sfu role: broadcast classrooms that may publish over /ws/publish'),
    edges: z.array(edgeEntrySchema).default([]).describe('sfu role (origin): edge SFUs that may pull broadcasts over /ws/edge'),
    url: z
      .url()
      .optional()
      .describe('classroom role without the sfu role: base URL of the SFU to publish to, e.g. http://sfu.example:8080'),
    publisherToken: z
      .string()
      .min(16)
      .optional()
      .describe('classroom role without the sfu role: token presented on the SFU publish socket'),
  })
  .refine((s) => s.rtcMinPort <= s.rtcMaxPort, { message: 'rtcMinPort must not exceed rtcMaxPort', path: ['rtcMaxPort'] })
  .refine((s) => (s.url === undefined) === (s.publisherToken === undefined), {
    message: 'url and publisherToken go together',
    path: ['publisherToken'],
  })
  .describe('the mediasoup SFU');

export type SfuSlice = z.infer<typeof sfuSchema>;
export type PublisherEntry = z.infer<typeof publisherSchema>;
export type EdgeEntry = z.infer<typeof edgeEntrySchema>;
