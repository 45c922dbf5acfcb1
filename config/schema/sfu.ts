import { z } from 'zod';
import { host, port } from './common.ts';

export const sfuSchema = z
  .object({
    workers: z.number().int().min(1).max(64).optional().describe('mediasoup workers; default one per core'),
    listenIp: host.default('127.0.0.1').describe('address the WebRTC and RTP transports bind'),
    announcedAddress: host.optional().describe('address announced to browsers (public IP or name)'),
    rtcMinPort: port.default(40000),
    rtcMaxPort: port.default(49999),
    logLevel: z.enum(['debug', 'warn', 'error', 'none']).default('warn'),
  })
  .refine((s) => s.rtcMinPort <= s.rtcMaxPort, { message: 'rtcMinPort must not exceed rtcMaxPort', path: ['rtcMaxPort'] })
  .describe('the mediasoup SFU');
