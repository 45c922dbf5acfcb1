import pino from 'pino';
import { describe, expect, it } from 'vitest';
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
    expect(c.state).toBe('live');
    expect(c.lesson?.id).toBe('physics');
  });

  it('does not set a lesson up again for a new part of it (a restart inside the lesson)', async () => {
    const { c, calls } = controller();
    await c.goLive(lesson('maths', { layout: 'pip' }));
    await c.goLive(lesson('maths', { layout: 'pip', part: 2 }));
    expect(calls).toEqual(['set-up maths {} pip', 'open media', 'begin maths.1', 'begin maths.2']);
  });
});
