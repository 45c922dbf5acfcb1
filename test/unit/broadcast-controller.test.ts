import pino from 'pino';
import { describe, expect, it } from 'vitest';
import { withDeadline } from '../../config/foundation/errors.ts';
import { BroadcastController, type LessonRef } from '../../daemon/broadcast/controller.ts';

function controller() {
  const calls: string[] = [];
  const c = new BroadcastController({
    logger: pino({ level: 'silent' }),
    preRoll: async (lesson) => void calls.push(`set-up ${lesson.id} ${JSON.stringify(lesson.presets ?? {})} ${lesson.layout ?? ''}`),
    openMedia: async () => {
      calls.push('open media');
      return { beginLesson: async (lesson) => void calls.push(`begin ${lesson.id}.${lesson.part}`), close: async () => void calls.push('close media') };
    },
  });
  return { c, calls };
}

const lesson = (id: string, extra: Partial<LessonRef> = {}): LessonRef => ({ id, title: id, part: 1, ...extra });

describe('BroadcastController', () => {
  it('applies the next lesson\'s presets and layout at its bell when it follows another on air', async () => {
    const { c, calls } = controller();
    await c.prepare(lesson('maths', { presets: { 'teacher-cam': 'board' }, layout: 'pip' }));
    await c.goLive(lesson('maths', { presets: { 'teacher-cam': 'board' }, layout: 'pip' }));
    // The next lesson's pre-roll comes while maths is on air: nothing moves yet.
    await c.prepare(lesson('physics', { presets: { 'teacher-cam': 'desk' }, layout: 'side-by-side' }));
    expect(calls).toEqual(['set-up maths {"teacher-cam":"board"} pip', 'open media', 'begin maths.1']);
    await c.goLive(lesson('physics', { presets: { 'teacher-cam': 'desk' }, layout: 'side-by-side' }));
    expect(calls.slice(3)).toEqual(['set-up physics {"teacher-cam":"desk"} side-by-side', 'begin physics.1']);
    expect(c.mediaOpen).toBe(true);
    expect(c.lesson?.id).toBe('physics');
  });

  it('does not set a lesson up again for a new part of it (a restart inside the lesson)', async () => {
    const { c, calls } = controller();
    await c.goLive(lesson('maths', { layout: 'pip' }));
    await c.goLive(lesson('maths', { layout: 'pip', part: 2 }));
    expect(calls).toEqual(['set-up maths {} pip', 'open media', 'begin maths.1', 'begin maths.2']);
  });

  it('closes media that comes up after the caller gave up waiting, and is idle again', async () => {
    const calls: string[] = [];
    let release!: () => void;
    const slow = new Promise<void>((resolve) => (release = resolve));
    const c = new BroadcastController({
      logger: pino({ level: 'silent' }),
      openMedia: async () => {
        calls.push('open media');
        await slow;
        return { beginLesson: async () => void calls.push('begin'), close: async () => void calls.push('close media') };
      },
    });
    // The engine's control timeout: its deadline passes while the media is still coming up.
    const late = withDeadline((signal) => c.goLive(lesson('maths'), signal), 50, 'TIMEOUT', 'broadcast goLive');
    await expect(late).rejects.toMatchObject({ code: 'TIMEOUT' });
    release();
    await expect.poll(() => calls).toEqual(['open media', 'close media']);
    expect(c.mediaOpen).toBe(false);
    expect(c.lesson).toBeUndefined();
    // The next try starts from scratch and goes on air.
    await c.goLive(lesson('maths'));
    expect(calls.slice(2)).toEqual(['open media', 'begin']);
    expect(c.lesson?.id).toBe('maths');
  });
});

describe('withDeadline', () => {
  it('aborts the task\'s signal with the coded error when the deadline passes, and not before', async () => {
    let seen: AbortSignal | undefined;
    const timedOut = withDeadline((signal) => ((seen = signal), new Promise(() => {})), 30, 'TIMEOUT', 'a hung step');
    await expect(timedOut).rejects.toMatchObject({ code: 'TIMEOUT', message: 'a hung step timed out after 30 ms' });
    expect(seen!.aborted).toBe(true);
    let quick: AbortSignal | undefined;
    expect(await withDeadline(async (signal) => ((quick = signal), 7), 1_000, 'TIMEOUT', 'a quick step')).toBe(7);
    expect(quick!.aborted).toBe(false);
  });
});
