import { z } from 'zod';
import { id } from './common.ts';

export const audioBindingSchema = z.object({
  channel: id.describe('mix channel id from `pipeline.audioChannels`'),
  micArray: id.describe('mic array id from `micArrays`'),
  micChannel: z.number().int().min(1).max(64).describe('channel (lobe) on that array'),
});

export const audioSchema = z
  .object({
    meterIntervalMs: z
      .number()
      .int()
      .min(50)
      .max(5000)
      .default(100)
      .describe('least time between two audio.meters events (100 ms = at most 10 per second)'),
    bindings: z
      .array(audioBindingSchema)
      .default([])
      .describe('mix channels whose gain, mute and level live on a mic-array channel'),
  })
  .refine((a) => new Set(a.bindings.map((b) => b.channel)).size === a.bindings.length, {
    message: 'a mix channel can be bound once',
    path: ['bindings'],
  })
  .describe('the audio channels of /api/audio');

export type AudioConfig = z.infer<typeof audioSchema>;
