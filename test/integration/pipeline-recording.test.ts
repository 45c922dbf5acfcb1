import { execFile } from 'node:child_process';
import { createSocket } from 'node:dgram';
import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { pino } from 'pino';
import { afterEach, describe, expect, it } from 'vitest';
import { pipelineSchema } from '../../config/schema/pipeline.ts';
import { recordingSchema } from '../../config/schema/recording.ts';
import { MediaPipeline } from '../../pipeline/media/media-pipeline.ts';
import { defaultLayers } from '../../pipeline/media/targets.ts';
import { isAlive } from '../helpers/processes.ts';
import { RtpSink, waitUntil } from './pipeline-rtp-sink.ts';

const run = promisify(execFile);
const logger = pino({ level: 'silent' });
const FPS = 15;

async function probe(path: string): Promise<{ codecs: string[]; duration: number; videoFrames: number }> {
  const { stdout } = await run('ffprobe', ['-v', 'error', '-count_frames', '-show_entries', 'format=duration:stream=codec_name,codec_type,nb_read_frames', '-of', 'json', path]);
  const info = JSON.parse(stdout) as { format: { duration: string }; streams: { codec_name: string; codec_type: string; nb_read_frames: string }[] };
  return {
    codecs: info.streams.map((s) => s.codec_name).sort(),
    duration: Number(info.format.duration),
    videoFrames: Number(info.streams.find((s) => s.codec_type === 'video')?.nb_read_frames ?? 0),
  };
}

describe('recording', () => {
  const cleanup: (() => Promise<void>)[] = [];
  afterEach(async () => {
    for (const fn of cleanup.splice(0).reverse()) await fn();
  });

  it('writes valid, complete segments, survives a recorder crash, and indexes parts', async () => {
    const dir = await mkdtemp(join(tmpdir(), 'rec-it-'));
    cleanup.push(() => rm(dir, { recursive: true, force: true }));
    const video = await RtpSink.open();
    const audio = await RtpSink.open();
    cleanup.push(() => video.close(), () => audio.close());
    const config = pipelineSchema.parse({
      width: 320,
      height: 180,
      fps: FPS,
      videoBitrateKbps: 400,
      keyframeIntervalMs: 1000,
      meters: false,
      audioChannels: [{ id: 'teacher', name: 'Teacher', source: { kind: 'tone', frequency: 440 } }],
    });
    const pipeline = new MediaPipeline({
      config,
      videoInputs: [],
      targets: { video: video.endpoint, videoPayloadType: 102, layers: defaultLayers(320, 180, 400), audio: audio.endpoint, audioPayloadType: 100, audioSsrc: 6161 },
      logger,
      recordingDir: dir,
      recording: recordingSchema.parse({ segmentSeconds: 1 }),
    });
    cleanup.push(() => pipeline.close());
    await pipeline.start();

    const runs = async () => (await pipeline.listRecordings())[0]?.parts[0]?.runs ?? [];
    await pipeline.startRecording({ lessonId: 'math-7b-2026-11-22', part: 1 });
    await waitUntil(async () => ((await runs())[0]?.segments ?? 0) >= 3, 20_000, 'three segments');

    // A crash of the recorder keeps what was written and goes on in a new run, even when
    // another process takes its ports the moment they are free.
    const ports = [...(await readFile(join(dir, 'math-7b-2026-11-22', 'part-1', 'input.sdp'), 'utf8')).matchAll(/^m=\w+ (\d+)/gm)].map((m) => Number(m[1]));
    expect(ports).toHaveLength(2);
    const pid = pipeline.recorderPid!;
    process.kill(pid, 'SIGKILL');
    await waitUntil(async () => !isAlive(pid), 5_000, 'the recorder gone');
    for (const port of ports.flatMap((p) => [p, p + 1])) {
      const squatter = createSocket('udp4');
      squatter.on('error', () => {});
      squatter.bind(port, '127.0.0.1');
      cleanup.push(async () => void squatter.close());
    }
    await waitUntil(async () => ((await runs())[1]?.segments ?? 0) >= 2, 20_000, 'segments of the second run');
    await pipeline.stopRecording();

    await pipeline.startRecording({ lessonId: 'math-7b-2026-11-22', part: 2 });
    await waitUntil(async () => ((await pipeline.listRecordings())[0]?.parts[1]?.runs[0]?.segments ?? 0) >= 1, 20_000, 'part 2');
    await pipeline.stopRecording();

    const [lesson] = await pipeline.listRecordings();
    expect(lesson!.parts.map((p) => p.part)).toEqual([1, 2]);
    const [run1, run2] = lesson!.parts[0]!.runs;
    expect(run1!.complete).toBe(false); // cut short by the crash …
    expect(run1!.segments).toBeGreaterThanOrEqual(3); // … but every finished segment is kept
    expect(run2!.complete).toBe(true);
    expect(lesson!.parts[1]!.runs[0]!.complete).toBe(true);
    expect(lesson!.bytes).toBeGreaterThan(10_000);

    // Each run, and the joined lesson playlist, is valid media with every frame in it.
    for (const r of [run1!, run2!]) {
      const info = await probe(join(dir, lesson!.lessonId, r.playlist));
      expect(info.codecs).toEqual(['h264', 'opus']);
      expect(Math.abs(info.duration - r.durationSec)).toBeLessThan(1.5);
      expect(info.videoFrames).toBeGreaterThan(info.duration * FPS * 0.85);
    }
    const whole = await probe(join(dir, lesson!.playlist));
    expect(whole.codecs).toEqual(['h264', 'opus']);
    const total = lesson!.parts.flatMap((p) => p.runs).reduce((s, r) => s + r.durationSec, 0);
    expect(whole.duration).toBeGreaterThan(total * 0.8);
    const playlist = await readFile(join(dir, lesson!.playlist), 'utf8');
    expect(playlist.match(/#EXT-X-DISCONTINUITY/g)).toHaveLength(2);
    expect(playlist).toContain('#EXT-X-ENDLIST');
  });
});
