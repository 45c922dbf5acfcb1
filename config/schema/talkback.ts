import { z } from 'zod';

/**
 * Talk-back: a member classroom raises its hand, a technician lets it speak, and its sound and
 * picture go into the lesson (the README's "Talk-back"). Off unless switched on.
 */
export const talkbackSchema = z
  .object({
    enabled: z.boolean().default(false).describe('member classrooms may raise their hand'),
    maxOnAir: z
      .number()
      .int()
      .min(1)
      .max(4)
      .default(1)
      .describe('rooms on air at once (each a place with its own mix-minus stream); accepting one more ends the longest on air'),
    maxMinutes: z.number().int().min(1).max(120).default(10).describe('a talk-back on air ends by itself after this long'),
    speaker: z
      .string()
      .min(1)
      .optional()
      .describe('ALSA device of the broadcast room\'s speakers, where the rooms on air are heard (e.g. "default", "hw:1,0"); none: they are heard in the program only'),
  })
  .describe('member classrooms that raise their hand');

export type TalkbackSlice = z.infer<typeof talkbackSchema>;
