import { pino } from 'pino';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { MediaPipeline } from '../../pipeline/media/media-pipeline.ts';
import { startSoundPipeline, toFloat32, tonePowerDb, type RtpSink } from './pipeline-rtp-sink.ts';

const logger = pino({ level: 'silent' });
const HZ = 440;
const DELAY_MS = 1500;
const RATE = 48_000;

/**
 * `audioDelayMs` holds the sound back on the wire (lip sync, see MEDIA.md): proven by muting
 * a tone and hearing it go on for the delay, and by an encoder restart that keeps it working.
 */
describe('audio delay for lip sync', () => {
  let audio: RtpSink;
  let pipeline: MediaPipeline;
  let close: () => Promise<void>;

  beforeAll(async () => {
    ({ pipeline, audio, close } = await startSoundPipeline({
      audioChannels: [{ id: 'teacher', name: 'Teacher mic', role: 'teacher', source: { kind: 'tone', frequency: HZ } }],
      audioSsrc: 4343,
      config: { meters: false, audioDelayMs: DELAY_MS },
      logger,
    }));
  });

  afterAll(async () => {
    await close?.();
  });

  const decode = async (seconds: number) => toFloat32(await audio.decode({ ssrc: 4343, kind: 'audio', payloadType: 100, seconds }));
  const toneDb = (samples: Float32Array, fromS: number, toS: number) => tonePowerDb(samples.subarray(fromS * RATE, toS * RATE), HZ);

  async function hearTone(timeoutMs: number): Promise<void> {
    const deadline = Date.now() + timeoutMs;
    for (;;) {
      const samples = await decode(0.6);
      if (toneDb(samples, 0.2, 0.6) > -35) return;
      if (Date.now() > deadline) throw new Error('no tone on the wire');
    }
  }

  it('keeps sending the sound for the delay after a mute, then silence', async () => {
    await hearTone(15_000);
    await pipeline.setMuted('teacher', true);
    const samples = await decode(3);
    // Decoder-relative times; the decoder starts a few hundred ms after the mute at most.
    expect(toneDb(samples, 0.1, 0.6)).toBeGreaterThan(-35);
    expect(toneDb(samples, 2.4, 3)).toBeLessThan(-70);
    await pipeline.setMuted('teacher', false);
  });

  it('keeps the delay and the mix through a mixer restart', async () => {
    const pid = pipeline.mixerPid!;
    const exited = pipeline.next('encoderExit', 5_000);
    process.kill(pid, 'SIGKILL');
    expect(await exited).toEqual([null, 'SIGKILL', 'mixer']);
    await hearTone(20_000);
    expect(pipeline.mixerPid).not.toBe(pid);
    await pipeline.setMuted('teacher', true);
    const samples = await decode(3);
    expect(toneDb(samples, 0.1, 0.6)).toBeGreaterThan(-35);
    expect(toneDb(samples, 2.4, 3)).toBeLessThan(-70);
  });
});
