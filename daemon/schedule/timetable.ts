import { statSync } from 'node:fs';
import path from 'node:path';
import type { CalendarResponse } from 'node-ical';
import { DateTime } from 'luxon';
import type { ScheduleConfig, WeeklyLesson } from '../../config/schema/schedule.ts';
import { SchoolCalendar } from './calendar.ts';
import { icalOccurrences, loadIcalFile } from './ical.ts';
import { lessonId, slug } from './lesson-id.ts';
import type { Lesson } from './types.ts';

const DAY_MS = 24 * 3600_000;

export interface TimetableOptions {
  /** Directory relative iCalendar paths resolve from (the config file's directory). */
  baseDir?: string;
}

/** What `refreshIcal` did: files read again, and files that could not be (their old lessons stay). */
export interface IcalRefresh {
  reloaded: string[];
  failed: { file: string; error: unknown }[];
}

/**
 * Turns the timetable config (weekly lessons on bell periods, terms, holidays, make-up days,
 * one-off lessons and imported iCalendar files) into concrete lessons with absolute times.
 * Pure apart from reading the .ics files: in the constructor, and again by `refreshIcal` when
 * one changed on disk.
 */
export class Timetable {
  readonly config: ScheduleConfig;
  readonly calendar: SchoolCalendar;
  readonly #ical: { source: ScheduleConfig['ical'][number]; file: string; calendar: CalendarResponse; stamp: string }[];
  readonly #days: { start: number; end: number; lessons: Lesson[] }[] = [];

  constructor(config: ScheduleConfig, options: TimetableOptions = {}) {
    this.config = config;
    this.calendar = new SchoolCalendar(config);
    const baseDir = options.baseDir ?? process.cwd();
    // A file missing or broken at start is no reason to stay off the air: its lessons are
    // missing until it is fixed (it is read again when it changes), and the failure is kept
    // for the engine to report.
    this.#ical = config.ical.map((source) => {
      const file = path.resolve(baseDir, source.file);
      const stamp = fileStamp(file);
      try {
        return { source, file, stamp, calendar: loadIcalFile(file) };
      } catch (error) {
        this.startupFailures.push({ file, error });
        return { source, file, stamp, calendar: {} };
      }
    });
  }

  /** iCalendar files that could not be read at start (they are tried again when they change). */
  readonly startupFailures: { file: string; error: unknown }[] = [];

  /**
   * Reads again every iCalendar file that changed on disk since it was last read (size or
   * modification time), e.g. one a timetabling system exports every night. A file that cannot
   * be read or parsed keeps the lessons read from it before, and is tried again when it
   * changes once more. Lessons are re-planned from the next call on.
   */
  refreshIcal(): IcalRefresh {
    const result: IcalRefresh = { reloaded: [], failed: [] };
    for (const entry of this.#ical) {
      const stamp = fileStamp(entry.file);
      if (stamp === entry.stamp) continue;
      entry.stamp = stamp;
      try {
        entry.calendar = loadIcalFile(entry.file);
        result.reloaded.push(entry.file);
      } catch (error) {
        result.failed.push({ file: entry.file, error });
      }
    }
    if (result.reloaded.length > 0) this.#days.length = 0;
    return result;
  }

  get zone(): string {
    return this.config.timezone;
  }

  /**
   * Lessons that overlap [from, to), sorted by start; ids are unique. Lessons are made per
   * start day and cached, because the engine asks on every wake (at least twice a minute).
   */
  lessonsBetween(from: number, to: number): Lesson[] {
    const out: Lesson[] = [];
    // A day earlier: a lesson that started yesterday evening may cross midnight into range.
    let at = from - DAY_MS;
    for (;;) {
      const day = this.#dayAt(at);
      for (const lesson of day.lessons) if (lesson.end > from && lesson.start < to) out.push(lesson);
      if (day.end > to) break;
      at = day.end;
    }
    return out;
  }

  /** The date (YYYY-MM-DD) of `at` in the timetable zone. */
  dateOf(at: number): string {
    return DateTime.fromMillis(at, { zone: this.zone }).toISODate() ?? '';
  }

  /** The cached calendar day containing `at`; days differ in length across DST changes. */
  #dayAt(at: number): { start: number; end: number; lessons: Lesson[] } {
    const cached = this.#days.find((d) => d.start <= at && at < d.end);
    if (cached) return cached;
    const day = DateTime.fromMillis(at, { zone: this.zone }).startOf('day');
    const date = day.toISODate() ?? '';
    const start = day.toMillis();
    const end = day.plus({ days: 1 }).toMillis();
    const lessons = [
      ...this.#weekly(day, date),
      ...this.#oneOff().filter((l) => l.day === date),
      ...this.#fromIcal(start, end).filter((l) => l.day === date),
    ];
    lessons.sort((a, b) => a.start - b.start || a.end - b.end || a.id.localeCompare(b.id));
    const seen = new Map<string, number>();
    const unique = lessons.map((lesson) => {
      const count = (seen.get(lesson.id) ?? 0) + 1;
      seen.set(lesson.id, count);
      return count === 1 ? lesson : { ...lesson, id: `${lesson.id}-${count}` };
    });
    if (this.#days.length >= 64) this.#days.splice(0, 32);
    const entry = { start, end, lessons: unique };
    this.#days.push(entry);
    return entry;
  }

  #weekly(day: DateTime, date: string): Lesson[] {
    const plan = this.calendar.dayPlan(date);
    if (plan.follows === null) return [];
    const out: Lesson[] = [];
    for (const entry of this.config.weekly[plan.follows] ?? []) {
      const lesson = this.#weeklyLesson(day, date, entry);
      if (lesson) out.push(lesson);
    }
    return out;
  }

  #weeklyLesson(day: DateTime, date: string, entry: WeeklyLesson): Lesson | undefined {
    const period = entry.period === undefined ? undefined : this.config.periods.find((p) => p.id === entry.period);
    const startText = period?.start ?? entry.start;
    const endText = period?.end ?? entry.end;
    if (startText === undefined || endText === undefined) return undefined;
    const start = at(day, startText);
    let end = at(day, endText);
    if (end <= start) end = at(day.plus({ days: 1 }), endText);
    return this.#lesson({
      id: lessonId(start, entry.subject ?? entry.title),
      fields: entry,
      start: start.toMillis(),
      end: end.toMillis(),
      source: 'weekly',
      day: date,
    });
  }

  #oneOff(): Lesson[] {
    return this.config.oneOff.map((entry) => {
      const start = DateTime.fromISO(entry.start, { zone: this.zone });
      const end = DateTime.fromISO(entry.end, { zone: this.zone });
      return this.#lesson({
        id: entry.id ?? lessonId(start, entry.subject ?? entry.title),
        fields: entry,
        start: start.toMillis(),
        end: end.toMillis(),
        source: 'oneoff',
        day: start.toISODate() ?? '',
      });
    });
  }

  #fromIcal(from: number, to: number): Lesson[] {
    const out: Lesson[] = [];
    for (const { source, calendar } of this.#ical) {
      for (const occurrence of icalOccurrences(calendar, from, to)) {
        const start = DateTime.fromMillis(occurrence.start, { zone: this.zone });
        const date = start.toISODate() ?? '';
        if (source.followHolidays && this.calendar.holidayOn(date) !== undefined) continue;
        out.push(
          this.#lesson({
            id: `${lessonId(start, occurrence.title)}-${slug(occurrence.uid).slice(0, 12)}`,
            fields: { title: occurrence.title, ...source },
            start: occurrence.start,
            end: occurrence.end,
            source: 'ical',
            day: date,
          }),
        );
      }
    }
    return out;
  }

  #lesson(input: {
    id: string;
    fields: Partial<Pick<Lesson, 'subject' | 'teacher' | 'layout' | 'classrooms' | 'presets'>> & { title: string };
    start: number;
    end: number;
    source: Lesson['source'];
    day: string;
  }): Lesson {
    const { fields } = input;
    const defaults = this.config.defaults;
    const layout = fields.layout ?? defaults.layout;
    return {
      id: input.id,
      title: fields.title,
      ...(fields.subject !== undefined ? { subject: fields.subject } : {}),
      ...(fields.teacher !== undefined ? { teacher: fields.teacher } : {}),
      classrooms: [...(fields.classrooms ?? defaults.classrooms ?? [])],
      presets: { ...(defaults.presets ?? {}), ...(fields.presets ?? {}) },
      ...(layout !== undefined ? { layout } : {}),
      start: input.start,
      end: input.end,
      source: input.source,
      day: input.day,
    };
  }
}

function at(day: DateTime, hhmm: string): DateTime {
  const [hour, minute] = hhmm.split(':').map(Number);
  return day.set({ hour: hour ?? 0, minute: minute ?? 0, second: 0, millisecond: 0 });
}

/** Size and modification time of a file, or `missing`. */
function fileStamp(file: string): string {
  try {
    const stat = statSync(file);
    return `${stat.size}:${stat.mtimeMs}`;
  } catch {
    return 'missing';
  }
}
