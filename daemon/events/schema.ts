import { z } from 'zod';
import { LAYOUTS } from '../../config/schema/pipeline.ts';
import { lessonSchema } from '../schedule/state-store.ts';

/**
 * Every live event of the daemon, by `type`: what services publish on the EventBus, what
 * `/ws/events` sends (each event is checked against this before it leaves the process) and
 * what the console reads (it imports these types). A dotted prefix per domain.
 */
const id = z.string().min(1);
const nullableNumber = z.number().nullable();
const ptz = z.object({ pan: z.number(), tilt: z.number(), zoom: z.number() });
/** A lesson as events show it: the state file's, with its times as ISO strings. */
const lessonView = lessonSchema.extend({ start: z.string(), end: z.string() });

export const daemonEventSchema = z.discriminatedUnion('type', [
  z.object({ type: z.literal('camera.state'), camera: id, state: z.string(), previous: z.string(), error: z.object({ code: z.string(), message: z.string() }).optional() }),
  z.object({ type: z.literal('camera.moved'), camera: id, kind: z.enum(['continuous', 'absolute', 'preset', 'home']), target: z.string().optional() }),
  z.object({ type: z.literal('camera.arrived'), camera: id, position: ptz }),
  z.object({ type: z.literal('micarray.state'), micArray: id, state: z.string(), previous: z.string() }),
  z.object({ type: z.literal('audio.channel'), channel: id, gainDb: z.number(), muted: z.boolean(), control: z.enum(['mixer', 'micarray']) }),
  z.object({ type: z.literal('audio.meters'), channels: z.array(z.object({ id, levelDb: nullableNumber })) }),
  z.object({ type: z.literal('audio.talker'), micArray: id, zones: z.array(z.number().int()), channels: z.array(id) }),
  z.object({ type: z.literal('health.part'), part: z.string(), state: z.enum(['ok', 'degraded', 'down', 'off']), detail: z.string().optional() }),
  z.object({ type: z.literal('health.ready'), ready: z.boolean() }),
  z.object({ type: z.literal('program.changed'), layout: z.enum(LAYOUTS), main: id, second: id }),
  z.object({
    type: z.literal('broadcast.state'),
    state: z.enum(['idle', 'starting', 'live', 'stopping']),
    lesson: lessonView.nullable(),
    part: z.number().int().nullable(),
    manual: z.boolean(),
    since: z.string(),
    stopAt: z.string().nullable(),
  }),
  z.object({
    type: z.literal('schedule.lesson'),
    phase: z.enum(['preparing', 'live', 'ended', 'failed', 'skipped']),
    lesson: lessonView,
    part: z.number().int().nullable(),
    reason: z.string().optional(),
  }),
  z.object({
    type: z.literal('talkback.changed'),
    id,
    classroom: z.string(),
    state: z.enum(['waiting', 'on-air', 'ended']),
    since: z.string(),
    reason: z.string().optional(),
  }),
  z.object({ type: z.literal('director.cut'), camera: id, zone: nullableNumber, reason: z.enum(['talker', 'overview', 'cover']) }),
  z.object({
    type: z.literal('director.state'),
    enabled: z.boolean(),
    pausedUntil: nullableNumber,
    onAir: z.string().nullable(),
    zone: nullableNumber,
    target: z.object({ camera: id, preset: z.string().optional() }).nullable(),
  }),
]);

/** An event as a service publishes it. */
export type DaemonEvent = z.infer<typeof daemonEventSchema>;
export type DaemonEventType = DaemonEvent['type'];
/** One kind of event, by its type. */
export type EventOf<T extends DaemonEventType> = Extract<DaemonEvent, { type: T }>;
/** An event as it leaves the process: stamped with the time it was published. */
export type StampedEvent = DaemonEvent & { at: string };
