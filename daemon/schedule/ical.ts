import { readFileSync } from 'node:fs';
import ical, { type CalendarResponse, type ParameterValue, type VEvent } from 'node-ical';
import { ClasscastError } from '../../config/foundation/errors.ts';

/** One occurrence of an iCalendar event, RRULE expanded, EXDATEs and RECURRENCE-IDs applied. */
export interface IcalOccurrence {
  uid: string;
  title: string;
  description?: string;
  start: number;
  end: number;
}

function text(value: ParameterValue | undefined): string | undefined {
  if (value === undefined) return undefined;
  if (typeof value === 'string') return value;
  return (value as { val?: string }).val;
}

/** Parses an .ics file once; throws SCHEDULE_INVALID when it cannot be read or parsed. */
export function loadIcalFile(file: string): CalendarResponse {
  let body: string;
  try {
    body = readFileSync(file, 'utf8');
  } catch (error) {
    throw new ClasscastError('SCHEDULE_INVALID', `cannot read iCalendar file ${file}`, { cause: error });
  }
  try {
    return ical.sync.parseICS(body);
  } catch (error) {
    throw new ClasscastError('SCHEDULE_INVALID', `cannot parse iCalendar file ${file}`, { cause: error });
  }
}

/**
 * No timetable repeats a lesson more often than hourly; expanding a minutely or secondly rule
 * from a start years back takes millions of steps on the event loop that also forwards media.
 * node-ical's wrapper names the frequency (`'SECONDLY'`); rrule's own enum numbers it
 * (HOURLY = 4, MINUTELY = 5, SECONDLY = 6).
 */
function tooFrequent(event: VEvent): boolean {
  const freq = (event.rrule as { options?: { freq?: unknown } } | undefined)?.options?.freq;
  return freq === 'SECONDLY' || freq === 'MINUTELY' || (typeof freq === 'number' && freq > 4);
}

/**
 * Occurrences that overlap [from, to). Expansion (RRULE, EXDATE, RECURRENCE-ID overrides, time
 * zones) is node-ical's `expandRecurringEvent`; all-day, multi-day and cancelled events are
 * not lessons.
 */
export function icalOccurrences(calendar: CalendarResponse, from: number, to: number): IcalOccurrence[] {
  const out: IcalOccurrence[] = [];
  for (const component of Object.values(calendar)) {
    if (!component || component.type !== 'VEVENT') continue;
    const event = component as VEvent;
    // Overrides are reached through their base event's `recurrences`; a lone one has no rrule.
    if (event.recurrenceid !== undefined && event.rrule === undefined) continue;
    if (tooFrequent(event)) continue;
    let instances: ReturnType<typeof ical.expandRecurringEvent>;
    try {
      instances = ical.expandRecurringEvent(event, {
        from: new Date(from - 24 * 3600_000),
        to: new Date(to),
        expandOngoing: true,
      });
    } catch {
      // An event the expander gives up on (rrule-temporal stops after 10,000 steps) is no
      // lesson; the rest of the calendar stands.
      continue;
    }
    for (const instance of instances) {
      if (instance.isFullDay || instance.event.status === 'CANCELLED') continue;
      const start = instance.start.getTime();
      const end = instance.end.getTime();
      // A lesson is shorter than a day; longer events (trips, exam weeks) are not broadcasts.
      if (!(end > start) || end - start > 24 * 3600_000 || end <= from || start >= to) continue;
      const description = text(instance.event.description);
      out.push({
        uid: event.uid,
        title: text(instance.summary) || 'Lesson',
        ...(description !== undefined ? { description } : {}),
        start,
        end,
      });
    }
  }
  return out.sort((a, b) => a.start - b.start);
}
