import { z } from 'zod';

/**
 * The `edge` role: an SFU near a group of schools that pulls each broadcast from its origin
 * SFU (over `/ws/edge` and mediasoup PipeTransports, SRTP on) while a classroom behind it
 * watches, and serves those classrooms exactly as the origin would. Its own WebRTC ports and
 * addresses are the `sfu` slice's (`listenIp`, `announcedAddress`, `rtcMinPort`…).
 */
export const edgeSchema = z
  .object({
    origin: z.url().optional().describe('base URL of the origin SFU, e.g. https://sfu.district.example:8443'),
    token: z.string().min(16).optional().describe("this edge's token, as the origin's sfu.edges entry knows it"),
    lingerMs: z
      .number()
      .int()
      .min(0)
      .max(600_000)
      .default(5_000)
      .describe('how long a broadcast stays pulled after its last classroom here left (a reload comes back at once)'),
  })
  .describe('edge role: where to pull broadcasts from');

export type EdgeSlice = z.infer<typeof edgeSchema>;
