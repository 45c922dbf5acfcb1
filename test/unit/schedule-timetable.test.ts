import { mkdtempSync, readFileSync, rmSync, unlinkSync, utimesSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { DateTime } from 'luxon';
import { afterEach, describe, expect, it } from 'vitest';
import { isClasscastError } from '../../config/foundation/errors.ts';
import { type ScheduleConfigInput, scheduleSchema } from '../../config/schema/schedule.ts';
import { desiredAt, layOut } from '../../daemon/schedule/planner.ts';
import { Timetable } from '../../daemon/schedule/timetable.ts';
import type { Lesson } from '../../daemon/schedule/types.ts';

const ZONE = 'Asia/Shanghai';
const FIXTURES = path.join(path.dirname(fileURLToPath(import.meta.url)), '..', 'fixtures');
const t = (local: string) => DateTime.fromISO(local, { zone: ZONE }).toMillis();
const hhmm = (ms: number) => DateTime.fromMillis(ms, { zone: ZONE }).toFormat('yyyy-LL-dd HH:mm');

function timetable(input: ScheduleConfigInput, baseDir?: string): Timetable {
  return new Timetable(scheduleSchema.parse(input), baseDir ? { baseDir } : {});
}

const base: ScheduleConfigInput = {
  enabled: true,
  periods: [
    { id: 'p1', start: '08:00', end: '08:45' },
    { id: 'p2', start: '08:55', end: '09:40' },
  ],
  weekly: {
    monday: [{ period: 'p1', title: 'Mathematics', subject: 'math', teacher: 'Ms Li', classrooms: ['school-a'] }],
    friday: [
      { period: 'p1', title: 'Chinese', presets: { cam1: 'teacher' } },
      { period: 'p2', title: 'English' },
    ],
  },
  defaults: { presets: { cam1: 'overview', cam2: 'board' }, layout: 'pip', classrooms: ['school-z'] },
  terms: [{ name: 'autumn', start: '2026-09-01', end: '2027-01-20' }],
};

describe('timetable', () => {
  it('builds weekly lessons from bell periods, with defaults and stable ids', () => {
    // 2026-11-23 is a Monday.
    const lessons = timetable(base).lessonsBetween(t('2026-11-23T00:00'), t('2026-11-24T00:00'));
    expect(lessons).toHaveLength(1);
    const [math] = lessons as [Lesson];
    expect(math).toMatchObject({
      id: '20261123-0800-math',
      title: 'Mathematics',
      teacher: 'Ms Li',
      classrooms: ['school-a'],
      presets: { cam1: 'overview', cam2: 'board' },
      layout: 'pip',
      source: 'weekly',
      day: '2026-11-23',
    });
    expect(hhmm(math.start)).toBe('2026-11-23 08:00');
    expect(hhmm(math.end)).toBe('2026-11-23 08:45');
  });

  it('runs a make-up Saturday on the timetable of the weekday it follows', () => {
    const tt = timetable({ ...base, makeupDays: [{ date: '2026-11-28', follows: 'friday' }] });
    const saturday = tt.lessonsBetween(t('2026-11-28T00:00'), t('2026-11-29T00:00'));
    expect(saturday.map((l) => [l.title, hhmm(l.start)])).toEqual([
      ['Chinese', '2026-11-28 08:00'],
      ['English', '2026-11-28 08:55'],
    ]);
    expect(saturday[0]?.presets).toEqual({ cam1: 'teacher', cam2: 'board' });
    expect(tt.calendar.dayPlan('2026-11-28')).toMatchObject({ kind: 'makeup', follows: 'friday' });
    // Without the make-up entry that Saturday is free.
    expect(timetable(base).lessonsBetween(t('2026-11-28T00:00'), t('2026-11-29T00:00'))).toEqual([]);
  });

  it('has no weekly lessons on holidays or outside every term, but keeps one-off lessons', () => {
    const tt = timetable({
      ...base,
      holidays: [{ name: 'sports week', date: '2026-11-23', end: '2026-11-27' }],
      oneOff: [{ id: 'open-class', title: 'Open class', start: '2026-11-24T10:00', end: '2026-11-24T10:40' }],
    });
    const week = tt.lessonsBetween(t('2026-11-23T00:00'), t('2026-11-28T00:00'));
    expect(week.map((l) => l.id)).toEqual(['open-class']);
    expect(tt.calendar.dayPlan('2026-11-25')).toMatchObject({ kind: 'holiday', note: 'sports week' });
    // After the autumn term ends there are no weekly lessons either.
    expect(tt.lessonsBetween(t('2027-01-25T00:00'), t('2027-01-30T00:00'))).toEqual([]);
    expect(tt.calendar.dayPlan('2027-01-25').kind).toBe('out-of-term');
  });

  it('lets a period cross midnight and finds it from the next day', () => {
    const tt = timetable({
      enabled: true,
      periods: [{ id: 'night', start: '23:30', end: '00:30' }],
      weekly: { monday: [{ period: 'night', title: 'Astronomy' }] },
    });
    const fromTuesday = tt.lessonsBetween(t('2026-11-24T00:00'), t('2026-11-24T12:00'));
    expect(fromTuesday).toHaveLength(1);
    expect(hhmm(fromTuesday[0]!.start)).toBe('2026-11-23 23:30');
    expect(hhmm(fromTuesday[0]!.end)).toBe('2026-11-24 00:30');
    expect(fromTuesday[0]!.day).toBe('2026-11-23');
  });

  it('reads one-off lessons with an offset or in the timetable zone', () => {
    const tt = timetable({
      enabled: true,
      oneOff: [
        { title: 'Guest talk', start: '2026-11-24T02:00:00Z', end: '2026-11-24T03:00:00Z' },
        { id: 'e2e', title: 'Local', start: '2026-11-24T14:00', end: '2026-11-24T14:30' },
      ],
    });
    const lessons = tt.lessonsBetween(t('2026-11-24T00:00'), t('2026-11-25T00:00'));
    expect(lessons.map((l) => [l.id, hhmm(l.start)])).toEqual([
      ['20261124-1000-guest-talk', '2026-11-24 10:00'],
      ['e2e', '2026-11-24 14:00'],
    ]);
  });

  it('imports an iCalendar file: RRULE expanded, EXDATE left out', () => {
    const tt = timetable(
      { enabled: true, ical: [{ file: 'schedule-lessons.ics', classrooms: ['school-b'], layout: 'side-by-side' }] },
      FIXTURES,
    );
    const lessons = tt.lessonsBetween(t('2026-11-01T00:00'), t('2026-11-30T00:00'));
    const physics = lessons.filter((l) => l.title === 'Physics').map((l) => hhmm(l.start));
    // Mondays and Wednesdays at 10:00 from 2 November, 8 occurrences, minus EXDATE 11 November.
    expect(physics).toEqual([
      '2026-11-02 10:00',
      '2026-11-04 10:00',
      '2026-11-09 10:00',
      '2026-11-16 10:00',
      '2026-11-18 10:00',
      '2026-11-23 10:00',
      '2026-11-25 10:00',
    ]);
    const open = lessons.find((l) => l.title === 'Open day lecture');
    expect(open && hhmm(open.start)).toBe('2026-11-07 09:00');
    expect(open).toMatchObject({ source: 'ical', classrooms: ['school-b'], layout: 'side-by-side' });
    expect(new Set(lessons.map((l) => l.id)).size).toBe(lessons.length);
  });

  it('skips iCalendar events on holidays unless told otherwise', () => {
    const holidays = [{ date: '2026-11-16' }];
    const count = (followHolidays: boolean) =>
      timetable({ enabled: true, holidays, ical: [{ file: 'schedule-lessons.ics', followHolidays }] }, FIXTURES)
        .lessonsBetween(t('2026-11-16T00:00'), t('2026-11-17T00:00')).length;
    expect(count(true)).toBe(0);
    expect(count(false)).toBe(1);
  });

  it('starts without an unreadable iCalendar file, reports it, and reads it once it appears', () => {
    const dir = mkdtempSync(path.join(os.tmpdir(), 'classcast-ics-'));
    try {
      writeFileSync(path.join(dir, 'broken.ics'), 'BEGIN:VCALENDAR\nBEGIN:VEVENT\nDTSTART:garbage');
      const tt = timetable({ enabled: true, ical: [{ file: 'missing.ics' }, { file: 'broken.ics' }] }, dir);
      expect(tt.startupFailures.map((f) => path.basename(f.file))).toContain('missing.ics');
      for (const failure of tt.startupFailures) expect(isClasscastError(failure.error, 'SCHEDULE_INVALID')).toBe(true);
      expect(tt.lessonsBetween(t('2026-11-01T00:00'), t('2026-11-30T00:00'))).toEqual([]);
      // The missing file appears (copied in by a timetabling system): it is read on the next refresh.
      writeFileSync(path.join(dir, 'missing.ics'), readFileSync(path.join(FIXTURES, 'schedule-lessons.ics')));
      expect(tt.refreshIcal().reloaded).toEqual([path.join(dir, 'missing.ics')]);
      expect(tt.lessonsBetween(t('2026-11-01T00:00'), t('2026-11-30T00:00')).length).toBeGreaterThan(0);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });

  it('leaves out events that repeat more often than hourly (no stall on FREQ=SECONDLY from years back)', () => {
    const dir = mkdtempSync(path.join(os.tmpdir(), 'classcast-ics-'));
    try {
      const event = (uid: string, rule: string) =>
        `BEGIN:VEVENT\r\nUID:${uid}\r\nDTSTART:20000101T080000Z\r\nDTEND:20000101T080001Z\r\nRRULE:${rule}\r\nSUMMARY:${uid}\r\nEND:VEVENT\r\n`;
      writeFileSync(
        path.join(dir, 'flood.ics'),
        `BEGIN:VCALENDAR\r\nVERSION:2.0\r\nPRODID:-//test//EN\r\n${event('seconds', 'FREQ=SECONDLY')}${event('minutes', 'FREQ=MINUTELY')}${event('daily', 'FREQ=DAILY')}END:VCALENDAR\r\n`,
      );
      const tt = timetable({ enabled: true, ical: [{ file: 'flood.ics' }] }, dir);
      const lessons = tt.lessonsBetween(t('2026-11-24T00:00'), t('2026-11-25T00:00'));
      expect(lessons.map((l) => l.title)).toEqual(['daily']);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });

  it('reads an iCalendar file again when it changes on disk, and keeps its lessons while it cannot be read', () => {
    const dir = mkdtempSync(path.join(os.tmpdir(), 'classcast-ics-'));
    const file = path.join(dir, 'export.ics');
    let version = 0;
    const write = (title: string, hour: string) => {
      writeFileSync(
        file,
        ['BEGIN:VCALENDAR', 'VERSION:2.0', 'BEGIN:VEVENT', `UID:${title}@x`, 'DTSTAMP:20260901T000000Z', `DTSTART;TZID=Asia/Shanghai:20261124T${hour}0000`, `DTEND;TZID=Asia/Shanghai:20261124T${hour}4500`, `SUMMARY:${title}`, 'END:VEVENT', 'END:VCALENDAR', ''].join('\r\n'),
      );
      // A later modification time each time, whatever the file system's resolution.
      version += 1;
      utimesSync(file, new Date(2026, 0, 1, 0, 0, version), new Date(2026, 0, 1, 0, 0, version));
    };
    const day = () => tt.lessonsBetween(t('2026-11-24T00:00'), t('2026-11-25T00:00')).map((l) => `${hhmm(l.start)} ${l.title}`);
    write('Chemistry', '10');
    const tt = timetable({ enabled: true, ical: [{ file: 'export.ics' }] }, dir);
    try {
      expect(day()).toEqual(['2026-11-24 10:00 Chemistry']);
      expect(tt.refreshIcal()).toEqual({ reloaded: [], failed: [] });
      write('Biology', '14');
      expect(tt.refreshIcal()).toEqual({ reloaded: [file], failed: [] });
      expect(day()).toEqual(['2026-11-24 14:00 Biology']);
      unlinkSync(file);
      const gone = tt.refreshIcal();
      expect(gone.failed.map((f) => f.file)).toEqual([file]);
      expect(isClasscastError(gone.failed[0]!.error, 'SCHEDULE_INVALID')).toBe(true);
      expect(day()).toEqual(['2026-11-24 14:00 Biology']);
      // Tried once per change, not on every wake.
      expect(tt.refreshIcal()).toEqual({ reloaded: [], failed: [] });
      write('Physics', '09');
      expect(tt.refreshIcal().reloaded).toEqual([file]);
      expect(day()).toEqual(['2026-11-24 09:00 Physics']);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });

  it('rejects a weekly lesson on an unknown period and a one-off that ends before it starts', () => {
    const result = scheduleSchema.safeParse({
      weekly: { monday: [{ period: 'p9', title: 'X' }] },
      oneOff: [{ title: 'Y', start: '2026-11-24T10:00', end: '2026-11-24T09:00' }],
      timezone: 'Mars/Olympus',
    });
    expect(result.success).toBe(false);
    const paths = result.error?.issues.map((i) => i.path.join('.'));
    expect(paths).toContain('timezone');
  });
});

describe('planner', () => {
  const lesson = (id: string, start: string, end: string): Lesson => ({
    id,
    title: id,
    classrooms: [],
    presets: {},
    start: t(start),
    end: t(end),
    source: 'oneoff',
    day: start.slice(0, 10),
  });
  const PRE = 3 * 60_000;
  const POST = 2 * 60_000;

  it('gives each lesson pre-roll and post-roll when there is room', () => {
    const [w] = layOut([lesson('a', '2026-11-23T08:00', '2026-11-23T08:45')], PRE, POST);
    expect(hhmm(w!.openAt)).toBe('2026-11-23 07:57');
    expect(hhmm(w!.closeAt)).toBe('2026-11-23 08:47');
    expect(desiredAt([w!], t('2026-11-23T07:58')).kind).toBe('prepare');
    expect(desiredAt([w!], t('2026-11-23T08:46')).kind).toBe('live');
    expect(desiredAt([w!], t('2026-11-23T08:47')).kind).toBe('idle');
  });

  it('hands over back-to-back lessons at one instant, without an idle gap', () => {
    const windows = layOut(
      [lesson('a', '2026-11-23T08:00', '2026-11-23T08:45'), lesson('b', '2026-11-23T08:45', '2026-11-23T09:30')],
      PRE,
      POST,
    );
    expect(hhmm(windows[0]!.closeAt)).toBe('2026-11-23 08:45');
    expect(windows[1]!.openAt).toBe(windows[0]!.closeAt);
    for (let m = t('2026-11-23T07:57'); m < t('2026-11-23T09:32'); m += 60_000) {
      expect(desiredAt(windows, m).kind).not.toBe('idle');
    }
  });

  it('cuts post-roll for a lesson whose pre-roll would overlap it', () => {
    const windows = layOut(
      [lesson('a', '2026-11-23T08:00', '2026-11-23T08:45'), lesson('b', '2026-11-23T08:49', '2026-11-23T09:30')],
      PRE,
      POST,
    );
    // b's pre-roll would start 08:46, inside a's post-roll (to 08:47): hand over at 08:46.
    expect(hhmm(windows[0]!.closeAt)).toBe('2026-11-23 08:46');
    expect(hhmm(windows[1]!.openAt)).toBe('2026-11-23 08:46');
    expect(desiredAt(windows, t('2026-11-23T08:47'))).toMatchObject({ kind: 'prepare' });
  });
});
