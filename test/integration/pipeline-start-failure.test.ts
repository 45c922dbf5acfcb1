import { mkdirSync, readdirSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { pino } from 'pino';
import { afterEach, describe, expect, it } from 'vitest';
import { isClasscastError } from '../../config/foundation/errors.ts';
import { pipelineSchema } from '../../config/schema/pipeline.ts';
import { MediaPipeline } from '../../pipeline/media/media-pipeline.ts';
import { defaultLayers } from '../../pipeline/media/targets.ts';
import { descendants } from '../helpers/processes.ts';

const logger = pino({ level: 'silent' });

describe('a media pipeline whose start fails half-way', () => {
  const saved = process.env.TMPDIR;
  let dir: string | undefined;
  afterEach(() => {
    process.env.TMPDIR = saved;
    if (dir) rmSync(dir, { recursive: true, force: true });
  });

  it('closes everything it had started: the camera ingest, its sockets and its work directory', async () => {
    // A temp dir so deep that a Unix socket in it cannot be bound (sun_path holds 108 bytes):
    // the frame pump fails after the camera's ingest ffmpeg is already running.
    dir = path.join(tmpdir(), `classcast-deep-${'d'.repeat(60)}`, 'e'.repeat(40));
    mkdirSync(dir, { recursive: true });
    process.env.TMPDIR = dir;
    const config = pipelineSchema.parse({ width: 320, height: 180, fps: 15, meters: false });
    const pipeline = new MediaPipeline({
      config,
      videoInputs: [{ id: 'cam', url: 'rtsp://127.0.0.1:9/nothing-here', role: 'teacher' }],
      targets: { video: { ip: '127.0.0.1', port: 9 }, videoPayloadType: 102, layers: defaultLayers(320, 180, 300), audio: { ip: '127.0.0.1', port: 9 }, audioPayloadType: 100, audioSsrc: 1 },
      logger,
    });
    const error = await pipeline.start().then(() => undefined, (e: unknown) => e);
    expect(isClasscastError(error)).toBe(true);
    expect(pipeline.cameras()).toEqual([{ id: 'cam', state: 'offline', frames: 0 }]);
    // Nothing left behind: no ffmpeg of ours, no work directory.
    expect(descendants(process.pid).filter((p) => p.command === 'ffmpeg' || p.command === 'setpriv')).toEqual([]);
    expect(readdirSync(dir).filter((name) => name.startsWith('classcast-media-'))).toEqual([]);
    await expect(pipeline.start()).rejects.toThrow(/already started|closed/);
  });
});
