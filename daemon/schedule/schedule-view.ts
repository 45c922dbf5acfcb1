import { DateTime } from 'luxon';
import type { DayKind } from './calendar.ts';
import type { ScheduledLesson, ScheduleEngine } from './engine.ts';
import type { LessonRecord, OverrideRecord } from './state-store.ts';
import { type BroadcastStatusView, iso, type LessonView, lessonView, statusView } from './view.ts';

export interface ScheduledLessonView extends LessonView {
  /** planned | preparing | live | ended | stopped | failed | skipped */
  status: 'planned' | LessonRecord['status'];
  /** Broadcast window (pre-roll start, stop after post-roll); null when the lesson is suppressed. */
  opensAt: string | null;
  closesAt: string | null;
  parts: number;
}

export interface ScheduleView {
  timezone: string;
  enabled: boolean;
  now: string;
  preRollSeconds: number;
  postRollSeconds: number;
  state: BroadcastStatusView;
  today: { date: string; kind: DayKind; follows: string | null; note?: string; lessons: ScheduledLessonView[] };
  next: ScheduledLessonView[];
  overrides: (Omit<OverrideRecord, 'at'> & { at: string })[];
}

const DAY_MS = 24 * 3600_000;

export function scheduledLessonView(entry: ScheduledLesson, zone: string): ScheduledLessonView {
  return {
    ...lessonView(entry.lesson, zone),
    status: entry.record?.status ?? 'planned',
    opensAt: entry.window ? iso(entry.window.openAt, zone) : null,
    closesAt: entry.window ? iso(entry.window.closeAt, zone) : null,
    parts: entry.record?.parts.length ?? 0,
  };
}

/** What `GET /api/schedule` answers. */
export function scheduleView(
  engine: Pick<ScheduleEngine, 'timetable' | 'status' | 'lessonsBetween' | 'overrides'>,
  now: number,
  nextCount: number,
): ScheduleView {
  const { timetable } = engine;
  const zone = timetable.zone;
  const config = timetable.config;
  const day = DateTime.fromMillis(now, { zone }).startOf('day');
  const date = day.toISODate() ?? '';
  const plan = timetable.calendar.dayPlan(date);
  const today = engine
    .lessonsBetween(day.toMillis(), day.plus({ days: 1 }).toMillis())
    .filter((l) => l.lesson.day === date)
    .map((l) => scheduledLessonView(l, zone));
  const next = engine
    .lessonsBetween(now, now + 14 * DAY_MS)
    .filter((l) => l.lesson.end > now)
    .slice(0, nextCount)
    .map((l) => scheduledLessonView(l, zone));
  return {
    timezone: zone,
    enabled: config.enabled,
    now: iso(now, zone),
    preRollSeconds: config.preRollSeconds,
    postRollSeconds: config.postRollSeconds,
    state: statusView(engine.status(), zone),
    today: {
      date,
      kind: plan.kind,
      follows: plan.follows,
      ...(plan.note !== undefined ? { note: plan.note } : {}),
      lessons: today,
    },
    next,
    overrides: engine
      .overrides()
      .slice(-10)
      .map((o) => ({ ...o, at: iso(o.at, zone) })),
  };
}
