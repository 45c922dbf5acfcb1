import { pino } from 'pino';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { RtspRelay } from '../../devices/camera/sim/rtsp-relay.ts';
import type { MediaPipeline } from '../../pipeline/media/media-pipeline.ts';
import { defaultLayers } from '../../pipeline/media/targets.ts';
import type { Supervisor } from '../../config/foundation/process/supervisor.ts';
import { startRtspPush } from '../helpers/rtsp-source.ts';
import { startSoundPipeline, toFloat32, tonePowerDb, type RtpSink } from './pipeline-rtp-sink.ts';

const logger = pino({ level: 'silent' });
const MIC_HZ = 880;
const TEACHER_HZ = 440;

/**
 * An IP microphone (RTSP, AAC) as a channel: it has an ingest of its own feeding the
 * AudioPump, so when its stream disappears the channel goes silent while the rest of the mix
 * and the picture go on with the same encoder, and it comes back by itself.
 */
describe('an RTSP microphone that disappears', () => {
  const relay = new RtspRelay({ name: 'mic', host: '127.0.0.1', logger });
  let source: Supervisor;
  let video: RtpSink;
  let audio: RtpSink;
  let pipeline: MediaPipeline;
  let close: () => Promise<void>;

  beforeAll(async () => {
    await relay.start();
    await startSource();
    ({ pipeline, video, audio, close } = await startSoundPipeline({
      audioChannels: [
        { id: 'teacher', name: 'Teacher', role: 'teacher', source: { kind: 'tone', frequency: TEACHER_HZ } },
        { id: 'mic', name: 'IP microphone', role: 'student', source: { kind: 'rtsp', url: relay.clientUrl('mic') } },
      ],
      audioSsrc: 4545,
      config: { meters: false },
      logger,
    }));
  });

  afterAll(async () => {
    await close?.();
    await source?.stop();
    await relay.close();
  });

  /** A sine pushed as AAC over RTSP, like a microphone's stream. */
  async function startSource(): Promise<void> {
    source = await startRtspPush({ relay, path: 'mic', graph: `sine=frequency=${MIC_HZ}:sample_rate=48000`, encode: ['-c:a', 'aac', '-b:a', '64k'], logger });
  }

  async function tones(): Promise<{ mic: number; teacher: number }> {
    const samples = toFloat32(await audio.decode({ ssrc: 4545, kind: 'audio', payloadType: 100, seconds: 1.2 })).subarray(9600);
    return { mic: tonePowerDb(samples, MIC_HZ), teacher: tonePowerDb(samples, TEACHER_HZ) };
  }

  async function until(accept: (t: { mic: number; teacher: number }) => boolean, timeoutMs: number, what: string): Promise<{ mic: number; teacher: number }> {
    const deadline = Date.now() + timeoutMs;
    for (;;) {
      const t = await tones();
      if (accept(t)) return t;
      if (Date.now() > deadline) throw new Error(`${what}: last ${JSON.stringify(t)}`);
    }
  }

  it('goes silent without stalling the mix or the picture, and comes back by itself', async () => {
    await until((t) => t.mic > -35 && t.teacher > -35, 20_000, 'both tones');
    const pid = pipeline.encoderPid;

    await source.stop();
    const gone = await until((t) => t.mic < -60, 15_000, 'the microphone silent');
    expect(gone.teacher).toBeGreaterThan(-35);
    const videoBefore = video.packets.get(defaultLayers(160, 90, 150)[0]!.ssrc) ?? 0;
    const stillGone = await tones();
    expect(stillGone.teacher).toBeGreaterThan(-35);
    expect(video.packets.get(defaultLayers(160, 90, 150)[0]!.ssrc) ?? 0).toBeGreaterThan(videoBefore);
    expect(pipeline.encoderPid).toBe(pid);
    expect(pipeline.health).toBe('online');

    await startSource();
    await until((t) => t.mic > -35 && t.teacher > -35, 30_000, 'the microphone back');
    expect(pipeline.encoderPid).toBe(pid);
  }, 90_000);
});
