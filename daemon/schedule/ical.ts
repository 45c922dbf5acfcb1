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
    const instances = ical.expandRecurringEvent(event, {
      from: new Date(from - 24 * 3600_000),
      to: new Date(to),
      expandOngoing: true,
    });
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
