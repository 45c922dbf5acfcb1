import { z } from 'zod';
import { apiSchema } from './api.ts';
import { audioSchema } from './audio.ts';
import { camerasSchema } from './cameras.ts';
import { directorSchema } from './director.ts';
import { micArraysSchema } from './micarrays.ts';
import { pipelineSchema } from './pipeline.ts';
import { recordingSchema } from './recording.ts';
import { scheduleSchema } from './schedule.ts';
import { sfuSchema } from './sfu.ts';
import { talkbackSchema } from './talkback.ts';

/**
 * The whole config file. Each component gets its own slice (`config.sfu`, `config.cameras`, …);
 * each slice's schema lives in its own file beside this one.
 */
export const configSchema = z
  .object({
    site: z
      .object({
        name: z.string().min(1).default('classcast'),
        classroom: z.string().min(1).default('broadcast-1').describe('this broadcast classroom'),
      })
      .prefault({}),
    roles: z
      .object({
        classroom: z.boolean().default(true).describe('devices, pipeline, scheduler, API'),
        sfu: z.boolean().default(true).describe('mediasoup and the member-classroom page'),
      })
      .prefault({}),
    dataDir: z.string().min(1).default('var').describe('state, presets, recordings, audit log'),
    logLevel: z.enum(['trace', 'debug', 'info', 'warn', 'error', 'fatal']).default('info'),
    api: apiSchema.prefault({}),
    sfu: sfuSchema.prefault({}),
    cameras: camerasSchema,
    micArrays: micArraysSchema,
    director: directorSchema.prefault({}),
    audio: audioSchema.prefault({}),
    pipeline: pipelineSchema.prefault({}),
    recording: recordingSchema.prefault({}),
    schedule: scheduleSchema.prefault({}),
    talkback: talkbackSchema.prefault({}),
  })
  .strict()
  .superRefine((config, ctx) => {
    // A camera's microphone must name a camera of this classroom.
    const cameras = new Set(config.cameras.map((c) => c.id));
    config.pipeline.audioChannels.forEach((channel, index) => {
      if (channel.source.kind === 'camera' && !cameras.has(channel.source.camera)) {
        ctx.addIssue({ code: 'custom', path: ['pipeline', 'audioChannels', index, 'source', 'camera'], message: `no camera "${channel.source.camera}" in cameras` });
      }
    });
  });

export type Config = z.infer<typeof configSchema>;
export type ConfigInput = z.input<typeof configSchema>;
