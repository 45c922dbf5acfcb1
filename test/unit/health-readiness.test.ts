import { describe, expect, it } from 'vitest';
import { LOW_DISK_BYTES, readiness, type ReadinessInput } from '../../daemon/health/readiness.ts';

const flowing = { framesOut: 100, framesDropped: 0, keyframeRequests: 0, keyframesForced: 0, cameras: [{ id: 'cam', state: 'online' as const, frames: 100 }], sinceOutputMs: 20, outputFps: 29.8, droppedShare: 0.1 };

function input(over: Partial<ReadinessInput> = {}): ReadinessInput {
  return {
    broadcast: 'live',
    pipeline: { health: 'online', figures: flowing },
    cameras: [{ id: 'cam', state: 'online' }],
    micArrays: [{ id: 'array', state: 'online' }],
    sfu: { workers: 2, configured: 2 },
    recording: { enabled: true, active: true },
    diskFreeBytes: 10 * LOW_DISK_BYTES,
    ...over,
  };
}

describe('readiness', () => {
  it('reports a slow compositor once more than half its frames are dropped, when a window is counted', () => {
    const pipeline = (droppedShare: number | undefined) => readiness(input({ pipeline: { health: 'online', figures: { ...flowing, droppedShare } } })).parts.pipeline;
    expect(pipeline(0.5)).toEqual({ state: 'ok' });
    expect(pipeline(0.51)).toMatchObject({ state: 'degraded' });
    // Not yet a whole window since the output started, or no frame pump: nothing to say.
    expect(pipeline(undefined)).toEqual({ state: 'ok' });
  });

  it('is ready while a live lesson goes out, with every part ok', () => {
    const r = readiness(input());
    expect(r.ready).toBe(true);
    expect(r.parts).toMatchObject({ pipeline: { state: 'ok' }, sfu: { state: 'ok' }, recording: { state: 'ok' }, disk: { state: 'ok' }, cameras: { cam: { state: 'ok' } }, micArrays: { array: { state: 'ok' } } });
  });

  it('is not ready when nothing goes out: idle, no pipeline, compositor down, output stale, no SFU worker', () => {
    expect(readiness(input({ broadcast: 'idle' })).ready).toBe(false);
    expect(readiness(input({ pipeline: undefined })).parts.pipeline).toMatchObject({ state: 'down' });
    expect(readiness(input({ pipeline: { health: 'degraded', figures: flowing } })).ready).toBe(false);
    expect(readiness(input({ pipeline: { health: 'online', figures: { ...flowing, sinceOutputMs: 5_000 } } })).ready).toBe(false);
    expect(readiness(input({ sfu: { workers: 0, configured: 2 } })).ready).toBe(false);
    expect(readiness(input({ sfu: { link: 'degraded' } })).ready).toBe(false);
  });

  it('stays ready but reports what is degraded: a lost camera, a mic array away, one worker down, low disk, no recording', () => {
    const r = readiness(
      input({
        pipeline: { health: 'online', figures: { ...flowing, cameras: [{ id: 'cam', state: 'offline', frames: 3 }], outputFps: 6.4, droppedShare: 0.79 } },
        micArrays: [{ id: 'array', state: 'offline' }],
        sfu: { workers: 1, configured: 2 },
        diskFreeBytes: LOW_DISK_BYTES - 1,
        recording: { enabled: true, active: false },
      }),
    );
    expect(r.ready).toBe(true);
    expect(r.parts).toMatchObject({
      pipeline: { state: 'degraded', detail: 'compositor slow: 6.4 frames a second out, 79 % of its frames dropped' },
      cameras: { cam: { state: 'degraded' } },
      micArrays: { array: { state: 'degraded' } },
      sfu: { state: 'degraded' },
      disk: { state: 'degraded' },
      recording: { state: 'degraded' },
    });
  });
});
