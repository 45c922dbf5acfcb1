import path from 'node:path';
import { parseArgs } from 'node:util';
import { DateTime } from 'luxon';
import { isClasscastError } from '../../../config/foundation/errors.ts';
import { ConfigInvalidError, formatProblems, loadConfigFile } from '../../../config/load.ts';
import type { DayKind } from '../../schedule/calendar.ts';
import { Timetable } from '../../schedule/timetable.ts';
import { type LessonView, lessonView } from '../../schedule/view.ts';
import type { Command } from '../command.ts';

const USAGE = `usage: classcast schedule --config FILE [--from YYYY-MM-DD] [--days N] [--json]

Prints the timetable of the coming week (or N days from --from) as the scheduler sees it:
terms, holidays and make-up days applied, iCalendar files expanded.`;

export interface ScheduleDayView {
  date: string;
  weekday: string;
  kind: DayKind;
  follows: string | null;
  note?: string;
  lessons: LessonView[];
}

const KIND_TEXT: Record<DayKind, string> = {
  school: 'school day',
  makeup: 'make-up day',
  holiday: 'holiday',
  'out-of-term': 'no term',
};

/** The days from `from` on, each with its lessons (by start day). */
export function scheduleDays(timetable: Timetable, from: string, days: number): ScheduleDayView[] {
  const zone = timetable.zone;
  const first = DateTime.fromISO(from, { zone }).startOf('day');
  const lessons = timetable.lessonsBetween(first.toMillis(), first.plus({ days }).toMillis());
  const out: ScheduleDayView[] = [];
  for (let i = 0; i < days; i++) {
    const day = first.plus({ days: i });
    const date = day.toISODate() ?? '';
    const plan = timetable.calendar.dayPlan(date);
    out.push({
      date,
      weekday: day.toFormat('ccc'),
      kind: plan.kind,
      follows: plan.follows,
      ...(plan.note ? { note: plan.note } : {}),
      lessons: lessons.filter((l) => l.day === date).map((l) => lessonView(l, zone)),
    });
  }
  return out;
}

/** Terminal columns: CJK ideographs, kana, hangul and full-width forms take two (titles are often Chinese). */
function displayWidth(text: string): number {
  let width = 0;
  for (const char of text) {
    const cp = char.codePointAt(0) ?? 0;
    const wide =
      (cp >= 0x1100 && cp <= 0x115f) ||
      (cp >= 0x2e80 && cp <= 0xa4cf) ||
      (cp >= 0xac00 && cp <= 0xd7a3) ||
      (cp >= 0xf900 && cp <= 0xfaff) ||
      (cp >= 0xfe30 && cp <= 0xfe4f) ||
      (cp >= 0xff00 && cp <= 0xff60) ||
      (cp >= 0xffe0 && cp <= 0xffe6) ||
      (cp >= 0x20000 && cp <= 0x3fffd);
    width += wide ? 2 : 1;
  }
  return width;
}

function table(rows: string[][]): string[] {
  const widths: number[] = [];
  for (const row of rows) row.forEach((cell, i) => (widths[i] = Math.max(widths[i] ?? 0, displayWidth(cell))));
  const pad = (cell: string, i: number) => cell + ' '.repeat(Math.max(0, (widths[i] ?? 0) - displayWidth(cell)));
  return rows.map((row) => row.map((cell, i) => (i === row.length - 1 ? cell : pad(cell, i))).join('  '));
}

function render(timetable: Timetable, days: ScheduleDayView[]): string {
  const config = timetable.config;
  const zone = timetable.zone;
  const lines = [
    `Timetable (${zone}), ${days[0]?.date ?? ''} to ${days.at(-1)?.date ?? ''}; ` +
      `pre-roll ${config.preRollSeconds} s, post-roll ${config.postRollSeconds} s` +
      (config.enabled ? '' : '; schedule.enabled is false: nothing starts on its own'),
  ];
  for (const day of days) {
    const follows = day.kind === 'makeup' && day.follows ? `, follows ${day.follows}` : '';
    const note = day.note ? ` (${day.note})` : '';
    lines.push('', `${day.weekday} ${day.date}  ${KIND_TEXT[day.kind]}${follows}${note}`);
    if (day.lessons.length === 0) {
      lines.push('  no lessons');
      continue;
    }
    const rows = day.lessons.map((l) => {
      const start = DateTime.fromISO(l.start, { zone });
      const end = DateTime.fromISO(l.end, { zone });
      const endText = end.hasSame(start, 'day') ? end.toFormat('HH:mm') : `${end.toFormat('HH:mm')}+1`;
      return [
        `${start.toFormat('HH:mm')}-${endText}`,
        l.title,
        l.teacher ?? '',
        l.classrooms.join(',') || '-',
        l.id,
      ];
    });
    lines.push(...table(rows).map((row) => `  ${row}`));
  }
  return `${lines.join('\n')}\n`;
}

export const scheduleCommand: Command = {
  name: 'schedule',
  summary: 'show the coming week of the timetable',
  usage: USAGE,
  async run(args, ctx) {
    let values: { config?: string; from?: string; days?: string; json?: boolean; help?: boolean };
    try {
      ({ values } = parseArgs({
        args,
        options: {
          config: { type: 'string', short: 'c' },
          from: { type: 'string' },
          days: { type: 'string' },
          json: { type: 'boolean' },
          help: { type: 'boolean', short: 'h' },
        },
        strict: true,
        allowPositionals: false,
      }));
    } catch (error) {
      ctx.stderr.write(`${error instanceof Error ? error.message : String(error)}\n${USAGE}\n`);
      return 2;
    }
    if (values.help) {
      ctx.stdout.write(`${USAGE}\n`);
      return 0;
    }
    const days = values.days === undefined ? 7 : Number(values.days);
    const fromOk = values.from === undefined || /^\d{4}-\d{2}-\d{2}$/.test(values.from);
    if (!values.config || !Number.isInteger(days) || days < 1 || days > 366 || !fromOk) {
      ctx.stderr.write(`${USAGE}\n`);
      return 2;
    }
    let timetable: Timetable;
    try {
      const config = loadConfigFile(values.config);
      timetable = new Timetable(config.schedule, { baseDir: path.dirname(path.resolve(values.config)) });
    } catch (error) {
      if (error instanceof ConfigInvalidError) {
        ctx.stderr.write(`${values.config}: invalid config\n${formatProblems(error.problems)}\n`);
      } else if (isClasscastError(error)) {
        ctx.stderr.write(`${error.code}: ${error.message}\n`);
      } else {
        throw error;
      }
      return 1;
    }
    // The daemon starts without an unreadable calendar; this command is where one is checked.
    if (timetable.startupFailures.length > 0) {
      for (const { error } of timetable.startupFailures) {
        ctx.stderr.write(isClasscastError(error) ? `${error.code}: ${error.message}\n` : `${String(error)}\n`);
      }
      return 1;
    }
    const from = values.from ?? DateTime.now().setZone(timetable.zone).toISODate() ?? '';
    const view = scheduleDays(timetable, from, days);
    if (values.json) {
      ctx.stdout.write(`${JSON.stringify({ timezone: timetable.zone, enabled: timetable.config.enabled, days: view }, null, 2)}\n`);
    } else {
      ctx.stdout.write(render(timetable, view));
    }
    return 0;
  },
};
