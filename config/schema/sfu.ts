import { createHash } from 'node:crypto';
import { z } from 'zod';
import { host, port } from './common.ts';

/**
 * A broadcast classroom allowed to publish into this SFU over `/ws/publish`. Only the
 * SHA-256 of its token is kept: a plain `token` is hashed while the config is parsed, so the
 * frozen config never holds it.
 */
export const publisherSchema = z
  .object({
    name: z.string().min(1).describe('who publishes; shown in logs'),
    room: z
      .string()
      .min(1)
      .max(128)
      .describe('the only room (broadcast classroom id) this publisher may open or report on'),
    token: z.string().min(16).optional().describe('the publisher token (hashed at load)'),
    sha256: z.string().regex(/^[0-9a-f]{64}$/).optional().describe('hex SHA-256 of the publisher token'),
  })
  .refine((p) => (p.token === undefined) !== (p.sha256 === undefined), { message: 'give exactly one of token, sha256' })
  .transform(({ token, ...rest }) => ({
    ...rest,
    sha256: rest.sha256 ?? createHash('sha256').update(token!, 'utf8').digest('hex'),
  }));

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
