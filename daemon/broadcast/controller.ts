import type { Logger } from 'pino';
import { ClasscastError } from '../../config/foundation/errors.ts';

export interface LessonRef {
  id: string;
  title: string;
  /** Recording part: 1, or more after a restart inside the lesson. */
  part: number;
  endsAt?: Date;
  /** Camera id → preset recalled in pre-roll. */
  presets?: Record<string, string>;
  layout?: string;
}

/**
 * The media side of broadcasting: opened once when a broadcast starts and kept up across
 * back-to-back lessons; each lesson (or part of one) only switches the recording.
 */
export interface BroadcastMedia {
  beginLesson(lesson: LessonRef): Promise<void>;
  close(): Promise<void>;
}

export interface BroadcastControllerDeps {
  /** Starts cameras-to-SFU media; resolves once it runs. */
  openMedia: () => Promise<BroadcastMedia>;
  /**
   * A lesson's set-up: cameras to presets, layout. Run in pre-roll, or at the bell of a lesson
   * that follows another on air. Failures are logged, not fatal.
   */
  preRoll?: (lesson: LessonRef) => Promise<void>;
  logger: Logger;
}

/**
 * The media side of the broadcast the timetable engine (`daemon/schedule/engine.ts`, the one
 * broadcast state machine) drives: `prepare` is the pre-roll (media up, member classrooms not
 * yet told); `goLive` begins a lesson (or a new part of it) on that media; `stop` tears the
 * media down. A lesson that follows another hands over without touching the media, so member
 * classrooms see no gap. Calls are serialised so a schedule tick and a technician's click never
 * interleave half-way. It keeps no broadcast state of its own, only what it holds: the media
 * and the lesson on air.
 */
export class BroadcastController {
  readonly #deps: BroadcastControllerDeps;
  readonly #logger: Logger;
  #media: BroadcastMedia | undefined;
  /** The lesson (and part) on air: begun on the media, not yet stopped. */
  #onAir: LessonRef | undefined;
  #queue: Promise<unknown> = Promise.resolve();

  constructor(deps: BroadcastControllerDeps) {
    this.#deps = deps;
    this.#logger = deps.logger.child({ component: 'broadcast' });
  }

  /** The lesson on air, if any. */
  get lesson(): LessonRef | undefined {
    return this.#onAir;
  }

  /** Whether the broadcast media is up (from pre-roll until stop). */
  get mediaOpen(): boolean {
    return this.#media !== undefined;
  }

  /**
   * Pre-roll: bring the media up for `lesson` and set the lesson up; while another lesson is
   * on air, nothing (its set-up waits for its bell). When `signal` is aborted (the caller gave
   * up waiting) before the media is up, media that comes up after all is closed at once.
   */
  prepare(lesson: LessonRef, signal?: AbortSignal): Promise<void> {
    return this.#serial(async () => {
      if (this.#media) return;
      signal?.throwIfAborted();
      await this.#deps.preRoll?.(lesson).catch((error: unknown) => this.#logger.warn({ err: error }, 'pre-roll incomplete'));
      let media: BroadcastMedia;
      try {
        signal?.throwIfAborted();
        media = await this.#deps.openMedia();
      } catch (error) {
        if (signal?.aborted) throw signal.reason;
        throw new ClasscastError('INTERNAL', `could not start the broadcast media for ${lesson.title}`, { cause: error });
      }
      if (signal?.aborted) {
        this.#logger.warn({ lesson: lesson.id }, 'the media came up after the caller gave up; closing it');
        await media.close().catch((error: unknown) => this.#logger.warn({ err: error }, 'media close failed'));
        throw signal.reason;
      }
      this.#media = media;
    });
  }

  /**
   * Begins `lesson` on the media (prepares first if pre-roll did not run); a hand-over if
   * another lesson is on air: then the next lesson's set-up (presets, layout) is applied at its
   * bell, not before (the cameras must not move under the lesson still on air).
   */
  async goLive(lesson: LessonRef, signal?: AbortSignal): Promise<void> {
    if (!this.#media) await this.prepare(lesson, signal);
    await this.#serial(async () => {
      signal?.throwIfAborted();
      const media = this.#media;
      if (!media) throw new ClasscastError('INVALID_STATE', 'the broadcast stopped before it went live');
      const onAir = this.#onAir;
      if (onAir?.id === lesson.id && onAir.part === lesson.part) return;
      if (onAir && onAir.id !== lesson.id) {
        await this.#deps.preRoll?.(lesson).catch((error: unknown) => this.#logger.warn({ err: error }, 'set-up of the next lesson incomplete'));
      }
      await media.beginLesson(lesson);
      this.#onAir = lesson;
      this.#logger.info({ lesson: lesson.id, part: lesson.part }, 'lesson on air');
    });
  }

  stop(reason: string): Promise<void> {
    return this.#serial(async () => {
      const media = this.#media;
      if (!media) return;
      this.#logger.info({ reason, lesson: this.#onAir?.id }, 'stopping broadcast');
      this.#media = undefined;
      this.#onAir = undefined;
      await media.close().catch((error: unknown) => this.#logger.warn({ err: error }, 'media close failed'));
    });
  }

  #serial<T>(task: () => Promise<T>): Promise<T> {
    const run = this.#queue.then(task, task);
    this.#queue = run.catch(() => undefined);
    return run;
  }
}
