import { z } from 'zod';
import { durationMs, id } from './common.ts';

export const directorShotSchema = z.object({
  camera: id.describe('camera id from `cameras`'),
  preset: z.string().min(1).optional().describe('preset to recall for this shot; none = wherever the camera is'),
});

export const directorZoneSchema = z.object({
  zone: z.number().int().min(1).max(64).describe('talker zone = mic-array channel reporting the talker'),
  camera: id.describe('camera that turns to this zone (usually the students camera)'),
  preset: z.string().min(1).describe('preset of that camera aimed at the zone'),
});

/**
 * Voice tracking: talker zones from a mic array turn cameras to presets. Default timings are
 * those of Cisco's room macros: 2 s before cutting to a new talker, 10 s of silence before the
 * overview, about 500 ms after a preset recall before cutting to that camera.
 */
export const directorSchema = z
  .object({
    enabled: z.boolean().default(false).describe('start with automatic camera switching on'),
    micArray: id.optional().describe('mic array whose talker reports drive the director; default the first'),
    overview: directorShotSchema.optional().describe('the shot when nobody talks (and while a zone camera moves)'),
    zones: z.array(directorZoneSchema).default([]),
    holdMs: durationMs.default(2000).describe('a new talker must talk this long before the cut'),
    silenceMs: durationMs.default(10000).describe('silence this long returns to the overview'),
    settleMs: durationMs.default(500).describe('wait after the camera arrives before showing it'),
    moveTimeoutMs: durationMs.min(100).default(8000).describe('treat a camera as arrived after this even without news'),
    manualPauseMs: durationMs.default(60000).describe('a technician action pauses automation this long'),
  })
  .refine((d) => !d.enabled || d.overview !== undefined, { message: 'an enabled director needs an overview shot', path: ['overview'] })
  .refine((d) => new Set(d.zones.map((z) => z.zone)).size === d.zones.length, { message: 'each zone once', path: ['zones'] })
  .describe('voice tracking: cameras follow whoever speaks');

export type DirectorConfig = z.infer<typeof directorSchema>;
