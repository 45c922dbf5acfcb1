import { createHash } from 'node:crypto';
import type { DateTime } from 'luxon';

/** A file-name-safe slug; titles in other scripts (e.g. Chinese) fall back to a short hash. */
export function slug(text: string): string {
  const ascii = text
    .toLowerCase()
    .replace(/[^a-z0-9]+/g, '-')
    .replace(/^-+|-+$/g, '')
    .slice(0, 32)
    .replace(/-+$/g, '');
  return ascii.length > 0 ? ascii : `h${createHash('sha1').update(text).digest('hex').slice(0, 8)}`;
}

/**
 * `YYYYMMDD-HHMM-<slug>` in the timetable zone: readable in a recordings folder, and the same
 * on every restart as long as the timetable entry is unchanged.
 */
export function lessonId(start: DateTime, name: string): string {
  return `${start.toFormat('yyyyLLdd-HHmm')}-${slug(name)}`;
}
