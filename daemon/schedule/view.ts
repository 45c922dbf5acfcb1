import { DateTime } from 'luxon';
import type { BroadcastStatus, Lesson } from './types.ts';

/** JSON shapes for the API, the event bus and `classcast schedule --json`: times as ISO with offset. */
export interface LessonView extends Omit<Lesson, 'start' | 'end'> {
  start: string;
  end: string;
}

export interface BroadcastStatusView {
  state: BroadcastStatus['state'];
  lesson: LessonView | null;
  part: number | null;
  manual: boolean;
  since: string;
  stopAt: string | null;
}

export function iso(ms: number, zone: string): string {
  return DateTime.fromMillis(ms, { zone }).toISO({ suppressMilliseconds: true }) ?? new Date(ms).toISOString();
}

export function lessonView(lesson: Lesson, zone: string): LessonView {
  return { ...lesson, start: iso(lesson.start, zone), end: iso(lesson.end, zone) };
}

export function statusView(status: BroadcastStatus, zone: string): BroadcastStatusView {
  return {
    state: status.state,
    lesson: status.lesson ? lessonView(status.lesson, zone) : null,
    part: status.part,
    manual: status.manual,
    since: iso(status.since, zone),
    stopAt: status.stopAt === null ? null : iso(status.stopAt, zone),
  };
}
