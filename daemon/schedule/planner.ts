import type { Lesson } from './types.ts';

/** When a lesson's broadcast opens (pre-roll), goes live (bell) and closes (stop). */
export interface LessonWindow {
  lesson: Lesson;
  openAt: number;
  liveAt: number;
  closeAt: number;
}

export type Desired =
  | { kind: 'idle' }
  | { kind: 'prepare'; window: LessonWindow }
  | { kind: 'live'; window: LessonWindow };

/**
 * Lays lessons out as non-overlapping windows [start − preRoll, end + postRoll). When the next
 * lesson's window would open before this one closes (back-to-back), both meet at one hand-over
 * instant `h = max(this.end, next.start − preRoll)`: this lesson's post-roll is cut at `h`, the
 * next lesson's pre-roll starts at `h` (or it goes live right there), and the broadcast never
 * stops in between. A lesson entirely swallowed by the one before it is dropped.
 * `lessons` must be sorted by start.
 */
export function layOut(lessons: readonly Lesson[], preRollMs: number, postRollMs: number): LessonWindow[] {
  const out: LessonWindow[] = [];
  for (const lesson of lessons) {
    const window: LessonWindow = {
      lesson,
      openAt: lesson.start - preRollMs,
      liveAt: lesson.start,
      closeAt: lesson.end + postRollMs,
    };
    const previous = out[out.length - 1];
    if (previous && window.openAt < previous.closeAt) {
      const handover = Math.max(previous.lesson.end, window.openAt);
      if (handover >= lesson.end) continue;
      previous.closeAt = handover;
      window.openAt = Math.max(window.openAt, handover);
      window.liveAt = Math.max(window.liveAt, handover);
    }
    out.push(window);
  }
  return out;
}

export function desiredAt(windows: readonly LessonWindow[], now: number): Desired {
  const window = windows.find((w) => w.openAt <= now && now < w.closeAt);
  if (!window) return { kind: 'idle' };
  return now < window.liveAt ? { kind: 'prepare', window } : { kind: 'live', window };
}

/** The next instant after `now` when the desired state may change, or null. */
export function nextChange(windows: readonly LessonWindow[], now: number): number | null {
  let next: number | null = null;
  for (const w of windows) {
    for (const t of [w.openAt, w.liveAt, w.closeAt]) {
      if (t > now && (next === null || t < next)) next = t;
    }
  }
  return next;
}
