import { z } from 'zod';

/**
 * Talk-back: a member classroom raises its hand, a technician lets it speak. This slice holds
 * the request workflow's limits; the answering room's sound and picture on air are not built
 * yet (see the README), so it is off unless switched on.
 */
export const talkbackSchema = z
  .object({
    enabled: z.boolean().default(false).describe('member classrooms may raise their hand'),
    maxOnAir: z.number().int().min(1).max(8).default(1).describe('rooms on air at once; accepting one more ends the longest on air'),
    maxMinutes: z.number().int().min(1).max(120).default(10).describe('a talk-back on air ends by itself after this long'),
  })
  .describe('member classrooms that raise their hand');

export type TalkbackSlice = z.infer<typeof talkbackSchema>;
