import { DateTime } from 'luxon';
import type { ScheduleConfig, Weekday } from '../../config/schema/schedule.ts';
import { WEEKDAYS } from '../../config/schema/schedule.ts';

export type DayKind = 'school' | 'makeup' | 'holiday' | 'out-of-term';

export interface DayPlan {
  /** YYYY-MM-DD */
  date: string;
  kind: DayKind;
  /** Whose weekly timetable runs that day; null when no weekly lessons. */
  follows: Weekday | null;
  /** Holiday or term name, when there is one. */
  note?: string;
}

/**
 * Decides what kind of day a date is. Precedence, most specific first: a make-up day (it runs
 * the named weekday's timetable even inside a holiday or outside a term), then a holiday, then
 * "outside every term" (only when terms are configured), else the date's own weekday.
 * Dates are ISO strings, which compare correctly as strings.
 */
export class SchoolCalendar {
  readonly #config: ScheduleConfig;

  constructor(config: ScheduleConfig) {
    this.#config = config;
  }

  dayPlan(date: string): DayPlan {
    const makeup = this.#config.makeupDays.find((m) => m.date === date);
    if (makeup) return { date, kind: 'makeup', follows: makeup.follows };
    const holiday = this.holidayOn(date);
    if (holiday !== undefined) return { date, kind: 'holiday', follows: null, note: holiday };
    const terms = this.#config.terms;
    if (terms.length > 0 && !terms.some((t) => t.start <= date && date <= t.end)) {
      return { date, kind: 'out-of-term', follows: null };
    }
    const weekday = WEEKDAYS[DateTime.fromISO(date, { zone: this.#config.timezone }).weekday - 1];
    return { date, kind: 'school', follows: weekday ?? null };
  }

  /** The holiday's name (or '') when `date` is a holiday and not a make-up day; else undefined. */
  holidayOn(date: string): string | undefined {
    if (this.#config.makeupDays.some((m) => m.date === date)) return undefined;
    const holiday = this.#config.holidays.find((h) => h.date <= date && date <= (h.end ?? h.date));
    return holiday ? (holiday.name ?? '') : undefined;
  }
}
