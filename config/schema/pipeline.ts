import { z } from 'zod';
import { id } from './common.ts';

export const audioSourceSchema = z.discriminatedUnion('kind', [
  z.object({
    kind: z.literal('tone'),
    frequency: z.number().positive().max(20000).default(440),
    stamped: z
      .boolean()
      .default(false)
      .describe("sounds only in the first 100 ms of each second of the wall clock: a stamp for timing the sound's way to a member classroom (`bench glass`)"),
  }),
  z.object({ kind: z.literal('file'), path: z.string().min(1), loop: z.boolean().default(true) }),
  z.object({ kind: z.literal('rtsp'), url: z.string().min(1) }),
  z.object({ kind: z.literal('alsa'), device: z.string().min(1) }),
  z
    .object({ kind: z.literal('camera'), camera: id })
    .describe("a camera's own microphone: the audio track of its stream, read with its picture so the two stay in sync"),
]);

export const audioChannelSchema = z.object({
  id,
  name: z.string().min(1),
  source: audioSourceSchema,
  gainDb: z.number().min(-60).max(20).default(0),
  muted: z.boolean().default(false),
  role: z
    .enum(['teacher', 'student', 'room'])
    .default('teacher')
    .describe('teacher mics duck the student channels when ducking is on; room = the spare omni pickup'),
});

export const layoutSchema = z
  .enum(['teacher', 'students', 'pip', 'side-by-side', 'courseware'])
  .describe('teacher/students: one camera full; pip: teacher with students inset; side-by-side; courseware with the teacher inset');

export const videoSourceSchema = z.discriminatedUnion('kind', [
  z.object({ kind: z.literal('rtsp'), url: z.string().min(1) }),
  z.object({ kind: z.literal('file'), path: z.string().min(1), loop: z.boolean().default(true) }),
  z.object({ kind: z.literal('test'), pattern: z.enum(['testsrc2', 'smptebars', 'rgbtestsrc']).default('smptebars') }),
]);

export const pipelineSchema = z
  .object({
    width: z.number().int().min(160).max(3840).default(1280),
    height: z.number().int().min(90).max(2160).default(720),
    fps: z.number().int().min(5).max(60).default(30),
    videoBitrateKbps: z.number().int().min(100).max(20000).default(2000).describe('the high layer'),
    lowLayer: z
      .object({
        enabled: z.boolean().default(true).describe('a second, small layer for weak links (simulcast)'),
        width: z.number().int().min(160).max(1920).default(640),
        bitrateKbps: z.number().int().min(50).max(5000).default(400),
      })
      .prefault({}),
    keyframeIntervalMs: z
      .number()
      .int()
      .min(200)
      .max(10000)
      .default(4000)
      .describe('IDR period of the high layer; the SFU asks for one whenever a classroom needs it (a newcomer, a loss, a layer switch), so this is a fallback and the recording\'s segment rhythm'),
    lowKeyframeIntervalMs: z
      .number()
      .int()
      .min(200)
      .max(10000)
      .default(4000)
      .describe('IDR period of the low layer; as the high layer, a fallback to keyframes on request'),
    audioBitrateKbps: z.number().int().min(16).max(256).default(64),
    layout: layoutSchema.default('pip'),
    cameraRoles: z
      .object({
        teacher: id.optional().describe('camera id shown as the teacher; default the first camera'),
        students: id.optional().describe('camera id shown as the students; default the second camera'),
      })
      .prefault({}),
    courseware: videoSourceSchema.optional().describe('the board / screen capture feed'),
    audioChannels: z.array(audioChannelSchema).default([]),
    audioDelayMs: z
      .number()
      .int()
      .min(0)
      .max(2000)
      .default(0)
      .describe('holds the sound (every audio RTP packet) back so it meets its picture; a camera microphone needs none (its sound is already the slower path), rooms with ALSA mics add about the camera\'s latency (pipeline/MEDIA.md "Lip sync")'),
    ducking: z
      .object({
        enabled: z.boolean().default(false),
        thresholdDb: z.number().min(-60).max(0).default(-30),
        ratio: z.number().min(1).max(20).default(6),
        attackMs: z.number().min(1).max(2000).default(20),
        releaseMs: z.number().min(10).max(9000).default(400),
      })
      .prefault({})
      .describe('students duck under the teacher (sidechaincompress)'),
    meters: z.boolean().default(true).describe('per-channel RMS levels, about 4 per second'),
    cameraFrameSize: z
      .enum(['canvas', 'half'])
      .default('canvas')
      .describe('size at which camera pictures reach the compositor: canvas (sharpest full-screen camera) or half (a quarter of the bytes through the frame pump; full-screen cameras are upscaled)'),
    cameraLossMs: z.number().int().min(200).max(30000).default(1500).describe('no frame this long = camera lost, show the other camera or a slate'),
  })
  .describe('the media pipeline');

export type PipelineSlice = z.infer<typeof pipelineSchema>;
export type AudioChannelConfig = z.infer<typeof audioChannelSchema>;
export type Layout = z.infer<typeof layoutSchema>;
export type VideoSource = z.infer<typeof videoSourceSchema>;
export const LAYOUTS = layoutSchema.options;
