import { pino } from 'pino';
import { afterEach, describe, expect, it } from 'vitest';
import { pipelineSchema } from '../../config/schema/pipeline.ts';
import { MediaPipeline } from '../../pipeline/media/media-pipeline.ts';
import { defaultLayers } from '../../pipeline/media/targets.ts';
import { RtpSink, regionMean, toFloat32, tonePowerDb, waitUntil } from './pipeline-rtp-sink.ts';

const logger = pino({ level: 'silent' });
const W = 320;
const H = 180;

describe('compositor and mixer crashes', () => {
  const cleanup: (() => Promise<void>)[] = [];
  afterEach(async () => {
    for (const fn of cleanup.splice(0).reverse()) await fn();
  });
  /** Stops `pid` (alive, silent: a hung ffmpeg), and kills it at the end whatever came of it. */
  const hang = (pid: number) => {
    process.kill(pid, 'SIGSTOP');
    cleanup.push(async () => {
      try {
        process.kill(pid, 'SIGKILL');
      } catch {
        // already gone
      }
    });
  };

  it('comes back by itself, with the live layout and mutes, continuing the RTP numbering; the sound never waits for the picture', async () => {
    const video = await RtpSink.open();
    const audio = await RtpSink.open();
    cleanup.push(() => video.close(), () => audio.close());
    const layers = defaultLayers(W, H, 400);
    const config = pipelineSchema.parse({
      width: W,
      height: H,
      fps: 15,
      videoBitrateKbps: 400,
      keyframeIntervalMs: 1000,
      meters: false,
      layout: 'teacher',
      audioChannels: [
        { id: 'teacher', name: 'Teacher', source: { kind: 'tone', frequency: 440 } },
        { id: 'students', name: 'Students', role: 'student', source: { kind: 'tone', frequency: 1000 } },
      ],
    });
    const pipeline = new MediaPipeline({
      config,
      videoInputs: [],
      targets: { video: video.endpoint, videoPayloadType: 102, layers, audio: audio.endpoint, audioPayloadType: 100, audioSsrc: 5151 },
      logger,
    });
    cleanup.push(() => pipeline.close());
    await pipeline.start();
    // Live changes before the crashes: the students' slate full screen, the students muted.
    await pipeline.setLayout('students');
    await pipeline.setMuted('students', true);
    const high = layers[0]!.ssrc;

    // The compositor hangs (SIGSTOP: alive, silent, until the stall watchdog after 6 s): its
    // picture stops, and the sound goes on, from the same mixer.
    const pid = pipeline.encoderPid!;
    const mixer = pipeline.mixerPid!;
    hang(pid);
    // The packets already on their way when it stopped arrive within the first tenth of a second.
    const soundAtStop = audio.packets.get(5151) ?? 0;
    await waitUntil(() => (audio.packets.get(5151) ?? 0) > soundAtStop + 10, 5_000, 'a tenth of a second of sound');
    const frozen = video.packets.get(high) ?? 0;
    const soundBefore = audio.packets.get(5151) ?? 0;
    await waitUntil(() => (audio.packets.get(5151) ?? 0) > soundBefore + 50, 5_000, 'half a second of sound while the picture hangs');
    expect(video.packets.get(high) ?? 0).toBe(frozen);
    expect(pipeline.mixerPid).toBe(mixer);
    expect(pipeline.health).toBe('online');

    // It dies: it comes back by itself, with the live layout.
    const exited = pipeline.next('encoderExit', 5_000);
    process.kill(pid, 'SIGKILL');
    expect(await exited).toEqual([null, 'SIGKILL', 'compositor']);
    const before = video.packets.get(high) ?? 0;
    await waitUntil(() => pipeline.encoderState === 'running' && (video.packets.get(high) ?? 0) > before + 20, 15_000, 'output after the restart');
    expect(pipeline.encoderPid).not.toBe(pid);
    expect(pipeline.mixerPid).toBe(mixer);
    expect(pipeline.health).toBe('online');
    // The picture is still the students' slate (rgb 29,43,58), not the teacher's test picture.
    const [frame] = await video.decode({ ssrc: high, kind: 'video', payloadType: 102, width: W, height: H, count: 1 });
    for (const region of [{ x: 10, y: 10, w: 40, h: 40 }, { x: 250, y: 120, w: 40, h: 40 }]) {
      const [r, g, b] = regionMean(frame!, W, region);
      expect(Math.abs(r - 29) + Math.abs(g - 43) + Math.abs(b - 58)).toBeLessThan(30);
    }

    // The mixer dies: it comes back by itself with the live mutes, and the picture goes on.
    const compositor = pipeline.encoderPid!;
    const mixerExited = pipeline.next('encoderExit', 5_000);
    process.kill(mixer, 'SIGKILL');
    expect(await mixerExited).toEqual([null, 'SIGKILL', 'mixer']);
    const soundAfter = audio.packets.get(5151) ?? 0;
    await waitUntil(() => pipeline.mixerState === 'running' && (audio.packets.get(5151) ?? 0) > soundAfter + 20, 15_000, 'sound after the restart');
    expect(pipeline.mixerPid).not.toBe(mixer);
    expect(pipeline.encoderPid).toBe(compositor);
    const samples = toFloat32(await audio.decode({ ssrc: 5151, kind: 'audio', payloadType: 100, seconds: 1 })).subarray(9600);
    expect(tonePowerDb(samples, 440)).toBeGreaterThan(-35);
    expect(tonePowerDb(samples, 1000)).toBeLessThan(-60);

    // A new ffmpeg numbers from random values; the forwarder continued the old numbering, so
    // the SFU saw one unbroken stream per SSRC (at most the packets of the dead time missing).
    expect(video.maxSeqStep.get(high)).toBeLessThanOrEqual(2);
    expect(audio.maxSeqStep.get(5151)).toBeLessThanOrEqual(2);
  });

  it('restarts an encoder that hangs without exiting', async () => {
    const video = await RtpSink.open();
    const audio = await RtpSink.open();
    cleanup.push(() => video.close(), () => audio.close());
    const layers = defaultLayers(160, 90, 150).slice(0, 1);
    const pipeline = new MediaPipeline({
      config: pipelineSchema.parse({ width: 160, height: 90, fps: 10, videoBitrateKbps: 150, meters: false }),
      videoInputs: [],
      targets: { video: video.endpoint, videoPayloadType: 102, layers, audio: audio.endpoint, audioPayloadType: 100, audioSsrc: 5252 },
      logger,
    });
    cleanup.push(() => pipeline.close());
    await pipeline.start();
    const pid = pipeline.encoderPid!;
    // A hung ffmpeg (e.g. blocked on a stalled input) stays alive and prints nothing.
    hang(pid);
    await waitUntil(() => pipeline.encoderPid !== undefined && pipeline.encoderPid !== pid && pipeline.encoderState === 'running', 20_000, 'a new encoder');
    const before = video.packets.get(layers[0]!.ssrc) ?? 0;
    await waitUntil(() => (video.packets.get(layers[0]!.ssrc) ?? 0) > before + 10, 10_000, 'output from the new encoder');
  });
});
