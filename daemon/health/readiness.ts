import type { PipelineFigures } from '../../pipeline/media/media-pipeline.ts';

/** The state of one part of the box, as readiness reports it. */
export interface PartState {
  state: 'ok' | 'degraded' | 'down' | 'off';
  detail?: string;
}

export interface ReadinessInput {
  broadcast: string;
  /** The running pipeline's health and figures; undefined when none runs. */
  pipeline?: { health: string; figures: PipelineFigures };
  /** Cameras as the control side sees them (ONVIF), by id. */
  cameras: { id: string; state: string }[];
  micArrays: { id: string; state: string }[];
  /** Live SFU workers of this box (undefined: no SFU role), or the remote SFU link's state. */
  sfu?: { workers: number; configured: number } | { link: string };
  /** Whether a recording should run, and whether it does. */
  recording: { enabled: boolean; active: boolean };
  /** Free bytes where recordings and state go. */
  diskFreeBytes?: number;
  /** An edge SFU: whether its link to the origin is up (it has no lesson of its own). */
  originLink?: boolean;
}

export interface Readiness {
  /** The lesson is going out: live, the compositor up, RTP leaving for the SFU. */
  ready: boolean;
  parts: Record<string, PartState | Record<string, PartState>>;
}

/** RTP older than this means the output stopped flowing. */
export const OUTPUT_STALE_MS = 2_000;
/** A compositor that lets more than this share of its frames be dropped is reported slow. */
export const SLOW_DROPPED_SHARE = 0.5;
/** Less free disk than this is reported (a recording would soon fail). */
export const LOW_DISK_BYTES = 2 * 1024 ** 3;

/**
 * Readiness from a snapshot of the box: pure, so each rule is tested without a box. Ready
 * means the lesson is going out; every part is reported either way, so a technician (or a
 * load balancer, or systemd's view) sees what is wrong. A lost camera degrades the picture
 * (a slate or the other camera) but the lesson still goes out: it does not make the box
 * unready.
 */
export function readiness(input: ReadinessInput): Readiness {
  const figures = input.pipeline?.figures;
  const flowing = figures !== undefined && figures.sinceOutputMs < OUTPUT_STALE_MS;
  // A compositor that runs slow still sends the lesson, at fewer frames: degraded, not down.
  const slow = figures?.droppedShare !== undefined && figures.droppedShare > SLOW_DROPPED_SHARE;
  const pipeline: PartState = !input.pipeline
    ? { state: input.broadcast === 'live' ? 'down' : 'off', detail: 'no media pipeline running' }
    : input.pipeline.health !== 'online' || !flowing
      ? { state: 'down', detail: `compositor and mixer ${input.pipeline.health}, ${flowing ? 'output flowing' : 'no output for a while'}` }
      : slow
        ? { state: 'degraded', detail: `compositor slow: ${figures!.outputFps} frames a second out, ${Math.round(figures!.droppedShare! * 100)} % of its frames dropped` }
        : { state: 'ok' };
  const ingest = new Map((figures?.cameras ?? []).map((c) => [c.id, c.state]));
  const cameras = Object.fromEntries(
    input.cameras.map((c) => {
      const picture = ingest.get(c.id);
      const state: PartState =
        c.state === 'online' && picture !== 'offline'
          ? { state: 'ok' }
          : { state: 'degraded', detail: `control ${c.state}${picture ? `, picture ${picture}` : ''}` };
      return [c.id, state];
    }),
  );
  const micArrays = Object.fromEntries(
    input.micArrays.map((a): [string, PartState] => [a.id, a.state === 'online' ? { state: 'ok' } : { state: 'degraded', detail: a.state }]),
  );
  let sfu: PartState = { state: 'off' };
  if (input.sfu && 'workers' in input.sfu) {
    sfu = input.sfu.workers === 0 ? { state: 'down', detail: 'no mediasoup worker' } : input.sfu.workers < input.sfu.configured ? { state: 'degraded', detail: `${input.sfu.workers} of ${input.sfu.configured} workers` } : { state: 'ok' };
  } else if (input.sfu) {
    sfu = input.sfu.link === 'online' ? { state: 'ok' } : { state: 'down', detail: `link to the SFU ${input.sfu.link}` };
  }
  const recording: PartState = !input.recording.enabled ? { state: 'off' } : input.broadcast === 'live' && !input.recording.active ? { state: 'degraded', detail: 'not recording' } : { state: 'ok' };
  const disk: PartState =
    input.diskFreeBytes === undefined ? { state: 'degraded', detail: 'free space unknown' } : input.diskFreeBytes < LOW_DISK_BYTES ? { state: 'degraded', detail: `${Math.round(input.diskFreeBytes / 1024 ** 2)} MiB free` } : { state: 'ok' };
  if (input.originLink !== undefined) {
    // An edge is ready when it can serve classrooms: workers up and its origin reachable.
    const origin: PartState = input.originLink ? { state: 'ok' } : { state: 'down', detail: 'no link to the origin SFU' };
    return { ready: input.originLink && sfu.state !== 'down', parts: { sfu, origin, disk } };
  }
  const ready = input.broadcast === 'live' && pipeline.state !== 'down' && sfu.state !== 'down';
  return { ready, parts: { broadcast: { state: input.broadcast === 'live' ? 'ok' : 'off', detail: input.broadcast }, pipeline, sfu, recording, disk, cameras, micArrays } };
}
