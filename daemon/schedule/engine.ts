import { DateTime } from 'luxon';
import type { Logger } from 'pino';
import { Backoff } from '../../config/foundation/backoff.ts';
import { TypedEmitter } from '../../config/foundation/emitter.ts';
import { ClasscastError, InvalidStateError, withDeadline, withTimeout } from '../../config/foundation/errors.ts';
import type { DaemonEvent } from '../events/bus.ts';
import { type Clock, systemClock } from './clock.ts';
import { type Desired, type LessonWindow, desiredAt, layOut, nextChange } from './planner.ts';
import type { LessonRecord, PersistedState, ScheduleStateStore } from './state-store.ts';
import type { Timetable } from './timetable.ts';
import type {
  BroadcastControl,
  BroadcastState,
  BroadcastStatus,
  Lesson,
  LessonPhase,
  LessonRun,
  ScheduleEngineEvents,
  StopReason,
} from './types.ts';
import { type BroadcastStatusView, lessonView, statusView } from './view.ts';

const DAY_MS = 24 * 3600_000;
/** No wait is longer than this: a wall-clock jump is noticed within one cap. */
export const MAX_WAIT_MS = 30_000;

export interface ScheduleEngineOptions {
  timetable: Timetable;
  control: BroadcastControl;
  store: ScheduleStateStore;
  logger: Logger;
  clock?: Clock;
  /** Publishes `broadcast.state` and `schedule.lesson` on the daemon EventBus. */
  publish?: (event: DaemonEvent) => void;
}

export interface ScheduledLesson {
  lesson: Lesson;
  window: LessonWindow | null;
  record: LessonRecord | null;
}

/**
 * Drives a BroadcastControl from the timetable, manual overrides and what ran before a crash.
 * Every wake re-plans from the wall clock (`reconcile`): it computes what should be on air now
 * and moves towards it with one control call at a time. Recovery needs no special path: after
 * a restart inside a lesson the plan says "live", and the next part number comes from the
 * persisted record.
 */
export class ScheduleEngine extends TypedEmitter<ScheduleEngineEvents> {
  readonly timetable: Timetable;
  readonly #control: BroadcastControl;
  readonly #store: ScheduleStateStore;
  readonly #logger: Logger;
  readonly #clock: Clock;
  readonly #publish: (event: DaemonEvent) => void;
  readonly #timeoutMs: number;
  #state: PersistedState | null = null;
  #status: BroadcastStatus;
  #run: LessonRun | null = null;
  #prepared: Lesson | null = null;
  #stopReason: StopReason | null = null;
  #retry: { lessonId: string; at: number; backoff: Backoff } | null = null;
  #queue: Promise<void> = Promise.resolve();
  #queued: Promise<void> | null = null;
  #cancelTimer: (() => void) | null = null;
  /** The wall-clock instant the last reconcile planned for; the next wake is counted from it. */
  #plannedAt: number | null = null;
  #closed = false;

  constructor(options: ScheduleEngineOptions) {
    super();
    this.timetable = options.timetable;
    this.#control = options.control;
    this.#store = options.store;
    this.#logger = options.logger.child({ component: 'schedule' });
    this.#clock = options.clock ?? systemClock;
    this.#publish = options.publish ?? (() => {});
    this.#timeoutMs = this.timetable.config.controlTimeoutSeconds * 1000;
    this.#status = { state: 'idle', lesson: null, part: null, manual: false, since: this.#clock.now(), stopAt: null };
  }

  get closed(): boolean {
    return this.#closed;
  }

  status(): BroadcastStatus {
    return { ...this.#status };
  }

  /** `status()` as JSON for the API and the event bus (times as ISO with the timetable's offset). */
  view(): BroadcastStatusView {
    return statusView(this.#status, this.timetable.zone);
  }

  /** Loads the persisted state, notes a run the previous process left on air, and plans. */
  async start(): Promise<void> {
    this.#assertOpen();
    if (this.#state) return;
    for (const { file, error } of this.timetable.startupFailures) {
      this.#logger.error({ file, err: error }, 'iCalendar file cannot be read; its lessons are missing until it is fixed');
    }
    const now = this.#clock.now();
    const state = this.#store.load();
    this.#state = state;
    if (state.current) {
      const record = state.lessons[state.current.lessonId];
      const part = record?.parts.find((p) => p.part === state.current?.part);
      if (part && part.endedAt === undefined) {
        part.endedAt = now;
        part.endReason = 'interrupted';
      }
      this.#logger.warn({ lessonId: state.current.lessonId, part: state.current.part }, 'previous run was interrupted');
      state.current = null;
    }
    const postRollMs = this.timetable.config.postRollSeconds * 1000;
    for (const record of Object.values(state.lessons)) {
      if ((record.status === 'live' || record.status === 'preparing') && record.end + postRollMs <= now) {
        record.status = 'ended';
      }
    }
    this.#persist();
    this.#logger.info({ enabled: this.timetable.config.enabled, file: this.#store.file }, 'schedule engine started');
    await this.#kick();
  }

  /** Manual start: wins over the timetable until it ends; CONFLICT when something is on air. */
  async startManual(input: { title?: string; minutes?: number; by: string }): Promise<BroadcastStatus> {
    const state = this.#ready();
    if (this.#run || this.#prepared || this.#status.state !== 'idle') {
      throw new ClasscastError('CONFLICT', `the broadcast is ${this.#status.state}; stop it first`);
    }
    const config = this.timetable.config;
    const now = this.#clock.now();
    const minutes = input.minutes ?? config.manualDefaultMinutes;
    const start = DateTime.fromMillis(now, { zone: this.timetable.zone });
    const layout = config.defaults.layout;
    const lesson: Lesson = {
      id: `manual-${start.toFormat('yyyyLLdd-HHmmss')}`,
      title: input.title ?? 'Manual broadcast',
      classrooms: [...(config.defaults.classrooms ?? [])],
      presets: { ...(config.defaults.presets ?? {}) },
      ...(layout !== undefined ? { layout } : {}),
      start: now,
      end: now + minutes * 60_000,
      source: 'manual',
      day: start.toISODate() ?? '',
    };
    state.manual = { lesson };
    state.overrides.push({ at: now, action: 'start', by: input.by, lessonId: lesson.id, title: lesson.title, minutes });
    this.#persist();
    this.#logger.info({ lessonId: lesson.id, minutes, by: input.by }, 'manual broadcast start');
    await this.#kick();
    return this.status();
  }

  /**
   * Manual stop: ends whatever is on air or in pre-roll, and that lesson stays off (also after
   * a restart) for the rest of its slot; the next lesson starts as planned.
   */
  async stopManual(input: { by: string }): Promise<BroadcastStatus> {
    const state = this.#ready();
    const targets = [this.#run?.lesson, this.#prepared, state.manual?.lesson].filter((l): l is Lesson => !!l);
    if (targets.length === 0) throw new ClasscastError('CONFLICT', 'nothing is on air');
    const now = this.#clock.now();
    for (const lesson of targets) this.#record(lesson).status = 'stopped';
    state.manual = null;
    state.overrides.push({ at: now, action: 'stop', by: input.by, lessonId: targets[0]?.id ?? null });
    this.#stopReason = 'manual';
    this.#persist();
    this.#logger.info({ lessonIds: targets.map((l) => l.id), by: input.by }, 'manual broadcast stop');
    await this.#kick();
    return this.status();
  }

  /** Lessons overlapping [from, to) with their broadcast window and what happened to them. */
  lessonsBetween(from: number, to: number): ScheduledLesson[] {
    const state = this.#state;
    const lessons = this.timetable.lessonsBetween(from, to);
    const windows = this.#windows(from, to);
    return lessons.map((lesson) => ({
      lesson,
      window: windows.find((w) => w.lesson.id === lesson.id) ?? null,
      record: state?.lessons[lesson.id] ?? null,
    }));
  }

  /** Recent manual overrides, newest last. */
  overrides(): PersistedState['overrides'] {
    return [...(this.#state?.overrides ?? [])];
  }

  /** Stops timers; a run on air is stopped with reason `shutdown` and resumes on next start. */
  async close(): Promise<void> {
    if (this.#closed) return;
    this.#closed = true;
    this.#cancelTimer?.();
    this.#cancelTimer = null;
    await this.#queue;
    if (this.#run || this.#prepared) await this.#stopBroadcast('shutdown');
  }

  #assertOpen(): void {
    if (this.#closed) throw new InvalidStateError('schedule engine closed');
  }

  #ready(): PersistedState {
    this.#assertOpen();
    return this.#loaded();
  }

  #loaded(): PersistedState {
    if (!this.#state) throw new InvalidStateError('schedule engine not started');
    return this.#state;
  }

  /** Queues one reconcile; calls while one is waiting share it. */
  #kick(): Promise<void> {
    if (this.#queued) return this.#queued;
    const next = this.#queue.then(async () => {
      this.#queued = null;
      try {
        await this.#reconcile();
      } catch (error) {
        this.#logger.error({ err: error }, 'schedule reconcile failed');
      } finally {
        this.#arm();
      }
    });
    this.#queued = next;
    this.#queue = next;
    return next;
  }

  #arm(): void {
    if (this.#closed) return;
    this.#cancelTimer?.();
    const now = this.#clock.now();
    // Changes are counted from the instant the reconcile planned for, not from now: a boundary
    // passed while it ran (a long control call, or a timer that fired a millisecond early by the
    // wall clock) is then due at once instead of being skipped until the next cap.
    const from = Math.min(this.#plannedAt ?? now, now);
    const candidates = [nextChange(this.#windows(from - DAY_MS, now + 2 * DAY_MS), from)];
    if (this.#state?.manual) candidates.push(this.#state.manual.lesson.end);
    if (this.#retry) candidates.push(this.#retry.at);
    const next = Math.min(...candidates.filter((t): t is number => t !== null && t !== undefined), now + MAX_WAIT_MS);
    const delay = Math.max(0, Math.min(MAX_WAIT_MS, next - now));
    this.#cancelTimer = this.#clock.setTimer(() => {
      this.#cancelTimer = null;
      void this.#kick();
    }, delay);
  }

  #windows(from: number, to: number): LessonWindow[] {
    const config = this.timetable.config;
    if (!config.enabled) return [];
    const lessons = this.timetable
      .lessonsBetween(from, to)
      .filter((l) => this.#state?.lessons[l.id]?.status !== 'stopped');
    return layOut(lessons, config.preRollSeconds * 1000, config.postRollSeconds * 1000);
  }

  #desired(now: number): Desired {
    const state = this.#loaded();
    if (state.manual && now >= state.manual.lesson.end) {
      this.#logger.info({ lessonId: state.manual.lesson.id }, 'manual broadcast time is up');
      state.manual = null;
      this.#persist();
    }
    const planned = desiredAt(this.#windows(now - DAY_MS, now + 2 * DAY_MS), now);
    if (!state.manual) return planned;
    const lesson = state.manual.lesson;
    if (planned.kind === 'live') {
      const record = this.#record(planned.window.lesson);
      if (record.status !== 'skipped' && record.parts.length === 0) {
        record.status = 'skipped';
        this.#persist();
        this.#emitLesson('skipped', planned.window.lesson, null, 'manual broadcast on air');
      }
    }
    return { kind: 'live', window: { lesson, openAt: lesson.start, liveAt: lesson.start, closeAt: lesson.end } };
  }

  async #reconcile(): Promise<void> {
    if (this.#closed) return;
    const now = this.#clock.now();
    this.#plannedAt = now;
    this.#refreshCalendars();
    const desired = this.#desired(now);
    if (desired.kind === 'idle') {
      if (this.#run || this.#prepared) await this.#stopBroadcast(this.#stopReason ?? 'schedule');
      this.#stopReason = null;
      return;
    }
    this.#stopReason = null;
    const { lesson } = desired.window;
    if (desired.kind === 'prepare') {
      if (this.#prepared?.id !== lesson.id) await this.#prepare(lesson);
      return;
    }
    if (this.#run?.lesson.id === lesson.id) {
      // A lesson added behind this one may move the hand-over; keep the stop time current.
      if (this.#run.stopAt !== desired.window.closeAt) {
        this.#run.stopAt = desired.window.closeAt;
        this.#status.stopAt = desired.window.closeAt;
      }
      return;
    }
    if (this.#retry?.lessonId === lesson.id && now < this.#retry.at) return;
    if (this.#prepared?.id !== lesson.id) await this.#prepare(lesson);
    if (this.#closed) return;
    await this.#goLive(desired.window);
  }

  /** iCalendar files changed on disk are read again on every wake (at least twice a minute). */
  #refreshCalendars(): void {
    const { reloaded, failed } = this.timetable.refreshIcal();
    for (const file of reloaded) this.#logger.info({ file }, 'iCalendar file changed; lessons read again');
    for (const { file, error } of failed) this.#logger.warn({ file, err: error }, 'iCalendar file changed but cannot be read; keeping the lessons read before');
  }

  async #prepare(lesson: Lesson): Promise<void> {
    this.#prepared = lesson;
    if (!this.#run) this.#setStatus('starting', lesson, null, lesson.source === 'manual', null);
    const record = this.#record(lesson);
    if (!this.#run || record.parts.length === 0) record.status = 'preparing';
    this.#persist();
    this.#emitLesson('preparing', lesson, null);
    const part = Math.max(0, ...record.parts.map((p) => p.part)) + 1;
    try {
      await withDeadline((signal) => this.#control.prepare(lesson, part, signal), this.#timeoutMs, 'TIMEOUT', 'broadcast prepare');
    } catch (error) {
      // Cameras not at their presets is no reason to stay off air: note it and go on.
      this.#recordFailure(lesson, 'prepare', error);
      this.#logger.warn({ err: error, lessonId: lesson.id }, 'pre-roll failed; going live anyway');
    }
  }

  async #goLive(window: LessonWindow): Promise<void> {
    const state = this.#loaded();
    const { lesson } = window;
    const now = this.#clock.now();
    const record = this.#record(lesson);
    const part = Math.max(0, ...record.parts.map((p) => p.part)) + 1;
    const previous = this.#run;
    if (previous) this.#endPart(previous, 'handover', 'ended');
    // The part is written down before goLive so a crash during it can never reuse the number.
    record.parts.push({ part, startedAt: now });
    record.status = 'live';
    state.current = { lessonId: lesson.id, part };
    this.#persist();
    const manual = lesson.source === 'manual';
    const run: LessonRun = { lesson, part, endsAt: lesson.end, stopAt: window.closeAt, manual };
    if (!previous) {
      if (this.#status.state === 'starting' && this.#status.lesson?.id === lesson.id) this.#status.part = part;
      else this.#setStatus('starting', lesson, part, manual, null);
    }
    try {
      await withDeadline((signal) => this.#control.goLive(run, signal), this.#timeoutMs, 'TIMEOUT', 'broadcast goLive');
    } catch (error) {
      this.#run = null;
      this.#recordFailure(lesson, 'goLive', error);
      const failed = record.parts.find((p) => p.part === part);
      if (failed) Object.assign(failed, { endedAt: this.#clock.now(), endReason: 'failure' });
      record.status = 'failed';
      state.current = null;
      const backoff =
        this.#retry?.lessonId === lesson.id
          ? this.#retry.backoff
          : new Backoff({ initialMs: 2_000, maxMs: 30_000, jitter: 0 });
      this.#retry = { lessonId: lesson.id, at: this.#clock.now() + backoff.next(), backoff };
      this.#persist();
      this.#emitLesson('failed', lesson, part, error instanceof Error ? error.message : String(error));
      this.#logger.error({ err: error, lessonId: lesson.id, part }, 'going live failed; will retry');
      await this.#stopBroadcast('failure');
      return;
    }
    this.#run = run;
    this.#retry = null;
    this.#setStatus('live', lesson, part, manual, run.stopAt);
    this.#emitLesson('live', lesson, part);
    this.#logger.info({ lessonId: lesson.id, part, stopAt: new Date(run.stopAt).toISOString() }, 'live');
  }

  async #stopBroadcast(reason: StopReason): Promise<void> {
    const run = this.#run;
    const lesson = run?.lesson ?? this.#prepared;
    this.#setStatus('stopping', lesson ?? null, run?.part ?? null, run?.manual ?? false, null);
    try {
      await withTimeout(this.#control.stop(reason), this.#timeoutMs, 'TIMEOUT', 'broadcast stop');
    } catch (error) {
      if (lesson) this.#recordFailure(lesson, 'stop', error);
      this.#logger.error({ err: error, reason }, 'stopping the broadcast failed');
    }
    if (run) this.#endPart(run, reason, reason === 'manual' ? 'stopped' : 'ended');
    else if (lesson && reason !== 'manual' && this.#record(lesson).status === 'preparing') {
      this.#record(lesson).status = 'ended';
    }
    if (this.#state) this.#state.current = null;
    this.#run = null;
    this.#prepared = null;
    this.#persist();
    this.#setStatus('idle', null, null, false, null);
  }

  #endPart(run: LessonRun, reason: string, status: LessonRecord['status']): void {
    const record = this.#record(run.lesson);
    const part = record.parts.find((p) => p.part === run.part);
    if (part && part.endedAt === undefined) Object.assign(part, { endedAt: this.#clock.now(), endReason: reason });
    if (record.status !== 'stopped') record.status = status;
    this.#emitLesson('ended', run.lesson, run.part, reason);
  }

  #record(lesson: Lesson): LessonRecord {
    const state = this.#loaded();
    let record = state.lessons[lesson.id];
    if (!record) {
      record = {
        id: lesson.id,
        title: lesson.title,
        start: lesson.start,
        end: lesson.end,
        manual: lesson.source === 'manual',
        status: 'preparing',
        parts: [],
        failures: [],
      };
      state.lessons[lesson.id] = record;
    }
    return record;
  }

  #recordFailure(lesson: Lesson, phase: string, error: unknown): void {
    const code = error instanceof ClasscastError ? error.code : 'INTERNAL';
    const message = error instanceof Error ? error.message : String(error);
    this.#record(lesson).failures.push({ at: this.#clock.now(), phase, code, message });
    this.#persist();
  }

  #persist(): void {
    if (!this.#state) return;
    try {
      this.#store.save(this.#state, this.#clock.now());
    } catch (error) {
      // A full disk must not take the broadcast down; the in-memory state stays authoritative.
      this.#logger.error({ err: error, file: this.#store.file }, 'cannot write schedule state');
    }
  }

  #setStatus(
    state: BroadcastState,
    lesson: Lesson | null,
    part: number | null,
    manual: boolean,
    stopAt: number | null,
  ): void {
    this.#status = { state, lesson, part, manual, since: this.#clock.now(), stopAt };
    const status = this.status();
    this.safeEmit('state', status);
    this.#safePublish({ type: 'broadcast.state', ...statusView(status, this.timetable.zone) });
  }

  #emitLesson(phase: LessonPhase, lesson: Lesson, part: number | null, reason?: string): void {
    this.safeEmit('lesson', { phase, lesson, part, ...(reason !== undefined ? { reason } : {}) });
    this.#safePublish({
      type: 'schedule.lesson',
      phase,
      lesson: lessonView(lesson, this.timetable.zone),
      part,
      ...(reason !== undefined ? { reason } : {}),
    });
  }

  #safePublish(event: DaemonEvent): void {
    try {
      this.#publish(event);
    } catch (error) {
      this.#logger.warn({ err: error, type: event.type }, 'publishing an event failed');
    }
  }
}
