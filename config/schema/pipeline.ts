import { z } from 'zod';
import { id } from './common.ts';

export const audioSourceSchema = z.discriminatedUnion('kind', [
  z.object({ kind: z.literal('tone'), frequency: z.number().positive().max(20000).default(440) }),
  z.object({ kind: z.literal('file'), path: z.string().min(1), loop: z.boolean().default(true) }),
  z.object({ kind: z.literal('rtsp'), url: z.string().min(1) }),
  z.object({ kind: z.literal('alsa'), device: z.string().min(1) }),
]);

export const audioChannelSchema = z.object({
  id,
  name: z.string().min(1),
  source: audioSourceSchema,
  gainDb: z.number().min(-60).max(20).default(0),
  muted: z.boolean().default(false),
});

export const pipelineSchema = z
  .object({
    width: z.number().int().min(160).max(3840).default(1280),
    height: z.number().int().min(90).max(2160).default(720),
    fps: z.number().int().min(5).max(60).default(25),
    videoBitrateKbps: z.number().int().min(100).max(20000).default(2000),
    audioChannels: z.array(audioChannelSchema).default([]),
  })
  .describe('the media pipeline');
