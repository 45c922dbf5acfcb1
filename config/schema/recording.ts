import { z } from 'zod';

export const recordingSchema = z
  .object({
    enabled: z.boolean().default(true),
    dir: z.string().min(1).optional().describe('where lessons are kept; default <dataDir>/recordings'),
    segmentSeconds: z.number().int().min(1).max(60).default(4).describe('a crash loses at most the segment in progress'),
    retentionDays: z.number().int().min(0).max(3650).default(30).describe('0 keeps everything'),
  })
  .describe('recordings of each broadcast, for on-demand viewing');

export type RecordingSlice = z.infer<typeof recordingSchema>;
