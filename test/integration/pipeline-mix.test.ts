import { pino } from 'pino';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { MediaPipeline } from '../../pipeline/media/media-pipeline.ts';
import { startSoundPipeline, toFloat32, tonePowerDb, type RtpSink } from './pipeline-rtp-sink.ts';

const logger = pino({ level: 'silent' });
const TEACHER_HZ = 440;
const STUDENT_HZ = 1000;

/**
 * Two channels with tones at different frequencies; the output is decoded from RTP and each
 * tone measured (Goertzel), so a mute or a gain is proven on the wire, not assumed.
 */
describe('audio mix: live gain and mute, measured', () => {
  let audio: RtpSink;
  let pipeline: MediaPipeline;

  let close: () => Promise<void>;

  beforeAll(async () => {
    ({ pipeline, audio, close } = await startSoundPipeline({
      audioChannels: [
        { id: 'teacher', name: 'Teacher mic', role: 'teacher', source: { kind: 'tone', frequency: TEACHER_HZ } },
        { id: 'students', name: 'Student array', role: 'student', source: { kind: 'tone', frequency: STUDENT_HZ } },
      ],
      audioSsrc: 4242,
      logger,
    }));
  });

  afterAll(async () => {
    await close?.();
  });

  async function measure(): Promise<{ teacher: number; students: number }> {
    const samples = toFloat32(await audio.decode({ ssrc: 4242, kind: 'audio', payloadType: 100, seconds: 1.2 }));
    // Skip the decoder's first 200 ms (Opus pre-roll and the start of the decode).
    const steady = samples.subarray(9600);
    return { teacher: tonePowerDb(steady, TEACHER_HZ), students: tonePowerDb(steady, STUDENT_HZ) };
  }

  it('hears both channels, then removes only the muted one, then brings it back', async () => {
    const both = await measure();
    expect(both.teacher).toBeGreaterThan(-35);
    expect(both.students).toBeGreaterThan(-35);

    await pipeline.setMuted('students', true);
    const muted = await measure();
    expect(muted.teacher).toBeGreaterThan(-35);
    expect(muted.students).toBeLessThan(both.students - 40);

    await pipeline.setMuted('students', false);
    const unmuted = await measure();
    expect(unmuted.students).toBeGreaterThan(both.students - 3);
    expect(pipeline.channels().find((c) => c.id === 'students')).toMatchObject({ muted: false, gainDb: 0 });
  });

  it('applies a gain in dB to one channel only', async () => {
    const before = await measure();
    await pipeline.setGain('teacher', -20);
    const after = await measure();
    expect(after.teacher - before.teacher).toBeGreaterThan(-23);
    expect(after.teacher - before.teacher).toBeLessThan(-17);
    expect(Math.abs(after.students - before.students)).toBeLessThan(3);
    await pipeline.setGain('teacher', 0);
  });

  it('reports per-channel levels and rejects unknown channels and bad gains', async () => {
    // ffmpeg's sine is 1/8 of full scale: -21 dBFS RMS. Meters run after the gain, so a
    // -20 dB gain shows up in them within a reading or two.
    const reading = async (channel: string, low: number, high: number) => {
      const deadline = Date.now() + 5_000;
      while (Date.now() < deadline) {
        const [id, db] = await pipeline.next('level', 2_000);
        if (id === channel && db > low && db < high) return db;
      }
      throw new Error(`no ${channel} level in (${low}, ${high})`);
    };
    await reading('teacher', -25, -17);
    await pipeline.setGain('teacher', -20);
    await reading('teacher', -45, -37);
    await pipeline.setMuted('students', true);
    expect(await reading('students', -Infinity, -90)).toBeLessThan(-90);
    await pipeline.setMuted('students', false);
    await pipeline.setGain('teacher', 0);
    await expect(pipeline.setGain('nope', 0)).rejects.toMatchObject({ code: 'NOT_FOUND' });
    await expect(pipeline.setGain('teacher', 40)).rejects.toThrow(TypeError);
  });
});
