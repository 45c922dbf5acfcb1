import { z } from 'zod';
import { apiSchema } from './api.ts';
import { audioSchema } from './audio.ts';
import { camerasSchema } from './cameras.ts';
import { directorSchema } from './director.ts';
import { edgeSchema } from './edge.ts';
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
        edge: z.boolean().default(false).describe('an edge SFU: pulls broadcasts from `edge.origin`, serves the classrooms near it'),
      })
      .prefault({}),
    dataDir: z.string().min(1).default('var').describe('state, presets, recordings, audit log'),
    logLevel: z.enum(['trace', 'debug', 'info', 'warn', 'error', 'fatal']).default('info'),
    api: apiSchema.prefault({}),
    sfu: sfuSchema.prefault({}),
    edge: edgeSchema.prefault({}),
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
    if (config.roles.edge) {
      // An edge is an SFU of its own kind: it has no classroom, and takes no publishers.
      if (config.roles.classroom) ctx.addIssue({ code: 'custom', path: ['roles', 'classroom'], message: 'an edge runs no classroom: set it to false' });
      if (config.roles.sfu) ctx.addIssue({ code: 'custom', path: ['roles', 'sfu'], message: 'an edge is not an origin SFU: set it to false' });
      if (!config.edge.origin) ctx.addIssue({ code: 'custom', path: ['edge', 'origin'], message: 'an edge needs the URL of its origin' });
      if (!config.edge.token) ctx.addIssue({ code: 'custom', path: ['edge', 'token'], message: 'an edge needs its token for the origin' });
    } else if (config.edge.origin || config.edge.token) {
      ctx.addIssue({ code: 'custom', path: ['roles', 'edge'], message: 'edge.origin and edge.token are for roles.edge: true' });
    }
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
