/** Where a lesson came from. */
export type LessonSource = 'weekly' | 'oneoff' | 'ical' | 'manual';

/** One concrete lesson occurrence, with absolute times (epoch ms). */
export interface Lesson {
  /**
   * Stable id, safe in file names: the same occurrence gets the same id after a restart, so a
   * recorder names files `<id>-part-<n>` and a recovered lesson continues as the next part.
   */
  id: string;
  title: string;
  subject?: string;
  teacher?: string;
  /** Member classrooms that follow the lesson. */
  classrooms: string[];
  /** Camera id → preset to recall in pre-roll. */
  presets: Record<string, string>;
  layout?: string;
  /** The bell: live from here. */
  start: number;
  /** The closing bell; post-roll follows. */
  end: number;
  source: LessonSource;
  /** The date (YYYY-MM-DD, timetable zone) whose timetable produced it. */
  day: string;
}

/** One stretch of live broadcast of a lesson; a restart mid-lesson makes part 2, 3, … */
export interface LessonRun {
  lesson: Lesson;
  /** 1 for the first stretch; recorders name files by lesson id and part. */
  part: number;
  /** The closing bell (epoch ms). */
  endsAt: number;
  /** When the engine will call stop(), after post-roll (epoch ms); later for a following lesson. */
  stopAt: number;
  /** Started by a technician rather than the timetable. */
  manual: boolean;
}

export type StopReason = 'schedule' | 'manual' | 'shutdown' | 'failure';

/**
 * What the engine drives; the broadcast controller (composition root) implements it. The
 * engine calls one method at a time, never concurrently, each under a timeout.
 * - `prepare(lesson, part)`: pre-roll — cameras to the lesson's presets, layout, pipeline and SFU
 *   room ready; `part` is the part number the following `goLive` will carry. May be called while
 *   another lesson is live (back-to-back hand-over); keeping that output running until `goLive`
 *   makes the hand-over gapless.
 * - `goLive(run)`: broadcast and record `run.lesson` as `run.part`. When another lesson is live
 *   this is a hand-over: switch title and recording file, do not tear the broadcast down.
 * - `stop(reason)`: end the broadcast and close the recording.
 */
/**
 * What the engine drives. `signal` is aborted when the engine stops waiting (its control
 * timeout): what is still being set up then is closed again, not left running unseen.
 */
export interface BroadcastControl {
  prepare(lesson: Lesson, part: number, signal?: AbortSignal): Promise<void>;
  goLive(run: LessonRun, signal?: AbortSignal): Promise<void>;
  stop(reason: StopReason): Promise<void>;
}

export type BroadcastState = 'idle' | 'starting' | 'live' | 'stopping';

export interface BroadcastStatus {
  state: BroadcastState;
  /** The lesson being prepared, live or stopped; null when idle. */
  lesson: Lesson | null;
  part: number | null;
  manual: boolean;
  /** When the state was entered (epoch ms). */
  since: number;
  /** When the current run stops (epoch ms), if live. */
  stopAt: number | null;
}

export type LessonPhase = 'preparing' | 'live' | 'ended' | 'failed' | 'skipped';

export interface LessonEvent {
  phase: LessonPhase;
  lesson: Lesson;
  part: number | null;
  /** Why it failed or was skipped, or how it ended. */
  reason?: string;
}

/** The engine's typed events (TypedEmitter map). */
export type ScheduleEngineEvents = {
  state: [BroadcastStatus];
  lesson: [LessonEvent];
};
