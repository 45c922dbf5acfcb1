import { z } from 'zod';
import { DateTime, IANAZone } from 'luxon';
import { id } from './common.ts';

export const WEEKDAYS = ['monday', 'tuesday', 'wednesday', 'thursday', 'friday', 'saturday', 'sunday'] as const;
export type Weekday = (typeof WEEKDAYS)[number];

const weekday = z.enum(WEEKDAYS).describe('a day of the week, in English, lower case');

const clockTime = z
  .string()
  .regex(/^([01]\d|2[0-3]):[0-5]\d$/, 'a wall-clock time "HH:MM" (24 h)')
  .describe('a wall-clock time "HH:MM" in the timetable time zone');

const isoDate = z
  .string()
  .regex(/^\d{4}-\d{2}-\d{2}$/, 'a date "YYYY-MM-DD"')
  .describe('a calendar date "YYYY-MM-DD" in the timetable time zone');

/**
 * A point in time: either with an offset (`2026-11-23T10:00:00+08:00`, `…Z`) or a local
 * date-time (`2026-11-23T10:00`) read in the timetable time zone.
 */
const dateTime = z
  .string()
  .regex(/^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}(:\d{2}(\.\d+)?)?(Z|[+-]\d{2}:?\d{2})?$/, 'an ISO date-time')
  .describe('an ISO date-time; without an offset it is read in the timetable time zone');

/** What every lesson may carry; weekly lessons inherit unset fields from `defaults`. */
const lessonFields = {
  title: z.string().min(1).max(200).describe('shown to member classrooms and in recordings'),
  subject: z.string().min(1).max(100).optional().describe('e.g. "math"'),
  teacher: z.string().min(1).max(100).optional().describe('who teaches'),
  classrooms: z.array(id).optional().describe('member classrooms that follow this lesson'),
  presets: z
    .record(id, z.string().min(1))
    .optional()
    .describe('camera id → preset to recall before the bell (pre-roll)'),
  layout: z.string().min(1).optional().describe('composite layout to set before the bell'),
};

export const lessonDefaultsSchema = z
  .object({
    classrooms: lessonFields.classrooms,
    presets: lessonFields.presets,
    layout: lessonFields.layout,
  })
  .strict()
  .describe('fields every lesson inherits unless it sets its own');

export const bellPeriodSchema = z
  .object({
    id: id.describe('period name used by weekly lessons, e.g. "p1"'),
    start: clockTime,
    end: clockTime.describe('end "HH:MM"; earlier than start means the period crosses midnight'),
  })
  .strict()
  .describe('one bell period of the school day');

export const weeklyLessonSchema = z
  .object({
    ...lessonFields,
    period: id.optional().describe('a bell period id; or give start and end'),
    start: clockTime.optional(),
    end: clockTime.optional(),
  })
  .strict()
  .refine((l) => (l.period !== undefined) !== (l.start !== undefined && l.end !== undefined), {
    message: 'give either period, or both start and end',
  })
  .describe('a lesson that repeats every week on its weekday');

export const termSchema = z
  .object({
    name: z.string().min(1).optional(),
    start: isoDate.describe('first day of the term'),
    end: isoDate.describe('last day of the term (inclusive)'),
  })
  .strict()
  .describe('a school term; weekly lessons only happen inside a term (when any term is given)');

export const holidaySchema = z
  .object({
    name: z.string().min(1).optional(),
    date: isoDate.describe('first day off'),
    end: isoDate.optional().describe('last day off (inclusive); default the same day'),
  })
  .strict()
  .describe('days without weekly lessons');

export const makeupDaySchema = z
  .object({
    date: isoDate.describe('the working day, usually a Saturday or Sunday next to a holiday'),
    follows: weekday.describe('whose weekly timetable that day follows'),
  })
  .strict()
  .describe('a make-up working day');

export const oneOffLessonSchema = z
  .object({
    ...lessonFields,
    id: id.optional().describe('stable lesson id (recordings are named by it); default from start and title'),
    start: dateTime,
    end: dateTime,
  })
  .strict()
  .describe('a lesson that happens once, at absolute times');

export const icalSourceSchema = z
  .object({
    file: z.string().min(1).describe('path of an .ics file; a relative path resolves from the config file directory'),
    followHolidays: z.boolean().default(true).describe('skip events on configured holidays'),
    ...lessonDefaultsSchema.shape,
  })
  .strict()
  .describe('an iCalendar file whose events (RRULE, EXDATE, RECURRENCE-ID) become lessons');

export const scheduleSchema = z
  .object({
    enabled: z.boolean().default(false).describe('start and stop broadcasts from the timetable'),
    timezone: z
      .string()
      .default('Asia/Shanghai')
      .refine((zone) => IANAZone.isValidZone(zone), { message: 'an IANA time zone, e.g. Asia/Shanghai' })
      .describe('time zone of the bell schedule and of dates'),
    preRollSeconds: z
      .number()
      .int()
      .min(0)
      .max(1800)
      .default(120)
      .describe('before the bell: cameras to presets, pipeline and SFU room ready'),
    postRollSeconds: z
      .number()
      .int()
      .min(0)
      .max(1800)
      .default(60)
      .describe('after the bell: keep broadcasting and recording this long'),
    manualDefaultMinutes: z
      .number()
      .int()
      .min(1)
      .max(600)
      .default(45)
      .describe('length of a manual broadcast started without minutes'),
    controlTimeoutSeconds: z
      .number()
      .int()
      .min(1)
      .max(600)
      .default(30)
      .describe('how long prepare/goLive/stop may take before they count as failed'),
    defaults: lessonDefaultsSchema.prefault({}),
    periods: z.array(bellPeriodSchema).default([]).describe('the bell schedule'),
    weekly: z
      .partialRecord(weekday, z.array(weeklyLessonSchema))
      .default({})
      .describe('weekday → lessons of that day'),
    terms: z.array(termSchema).default([]),
    holidays: z.array(holidaySchema).default([]),
    makeupDays: z.array(makeupDaySchema).default([]),
    oneOff: z.array(oneOffLessonSchema).default([]).describe('lessons at absolute times'),
    ical: z.array(icalSourceSchema).default([]).describe('iCalendar files to import'),
  })
  .strict()
  .superRefine((s, ctx) => {
    const periods = new Set(s.periods.map((p) => p.id));
    for (const [day, lessons] of Object.entries(s.weekly)) {
      lessons?.forEach((lesson, index) => {
        if (lesson.period !== undefined && !periods.has(lesson.period)) {
          ctx.addIssue({
            code: 'custom',
            path: ['weekly', day, index, 'period'],
            message: `no bell period "${lesson.period}"`,
          });
        }
      });
    }
    const oneOffIds = new Set<string>();
    s.oneOff.forEach((lesson, index) => {
      if (lesson.id === undefined) return;
      if (oneOffIds.has(lesson.id)) {
        ctx.addIssue({ code: 'custom', path: ['oneOff', index, 'id'], message: `duplicate id "${lesson.id}"` });
      }
      oneOffIds.add(lesson.id);
    });
    s.oneOff.forEach((lesson, index) => {
      const start = DateTime.fromISO(lesson.start, { zone: s.timezone });
      const end = DateTime.fromISO(lesson.end, { zone: s.timezone });
      if (!start.isValid || !end.isValid || end <= start) {
        ctx.addIssue({ code: 'custom', path: ['oneOff', index, 'end'], message: 'end must be a valid time after start' });
      }
    });
  })
  .describe('the class timetable');

export type ScheduleConfig = z.infer<typeof scheduleSchema>;
export type ScheduleConfigInput = z.input<typeof scheduleSchema>;
export type WeeklyLesson = z.infer<typeof weeklyLessonSchema>;
export type OneOffLesson = z.infer<typeof oneOffLessonSchema>;
