import type { Logger } from 'pino';
import { TypedEmitter } from '../../config/foundation/emitter.ts';
import { ClasscastError } from '../../config/foundation/errors.ts';
import type { BroadcastInfo, BroadcastState } from '../signalling/protocol.ts';

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

export type BroadcastControllerEvents = {
  state: [BroadcastInfo];
};

/**
 * The broadcast state machine `idle → starting → live → stopping → idle`. `prepare` is the
 * pre-roll (media up, member classrooms not yet told); `goLive` flips to live; `stop` tears
 * the media down. A lesson that follows another hands over without touching the media, so
 * member classrooms see no gap. Calls are serialised so a schedule tick and a technician's
 * click never interleave half-way.
 */
export class BroadcastController extends TypedEmitter<BroadcastControllerEvents> {
  readonly #deps: BroadcastControllerDeps;
  readonly #logger: Logger;
  #state: BroadcastState = 'idle';
  #lesson: LessonRef | undefined;
  #media: BroadcastMedia | undefined;
  /** The lesson on air (its id), for telling a hand-over from a new part of the same lesson. */
  #onAir: string | undefined;
  #queue: Promise<unknown> = Promise.resolve();

  constructor(deps: BroadcastControllerDeps) {
    super();
    this.#deps = deps;
    this.#logger = deps.logger.child({ component: 'broadcast' });
  }

  get state(): BroadcastState {
    return this.#state;
  }

  get lesson(): LessonRef | undefined {
    return this.#lesson;
  }

  info(): BroadcastInfo {
    const lesson = this.#lesson;
    return {
      state: this.#state,
      lesson: lesson ? { id: lesson.id, title: lesson.title, endsAt: lesson.endsAt?.toISOString() } : undefined,
    };
  }

  /**
   * Pre-roll: bring the media up for `lesson`; while another lesson is live, only pre-roll.
   * When `signal` is aborted (the caller gave up waiting) before the media is up, media that
   * comes up after all is closed at once and the broadcast is idle again.
   */
  prepare(lesson: LessonRef, signal?: AbortSignal): Promise<void> {
    return this.#serial(async () => {
      if (this.#media) {
        // Hand-over: the live lesson keeps the output until the next one's goLive.
        if (this.#state !== 'live') this.#lesson = lesson;
        return;
      }
      signal?.throwIfAborted();
      this.#lesson = lesson;
      this.#set('starting');
      await this.#deps.preRoll?.(lesson).catch((error: unknown) => this.#logger.warn({ err: error }, 'pre-roll incomplete'));
      let media: BroadcastMedia;
      try {
        signal?.throwIfAborted();
        media = await this.#deps.openMedia();
      } catch (error) {
        this.#lesson = undefined;
        this.#set('idle');
        if (signal?.aborted) throw signal.reason;
        throw new ClasscastError('INTERNAL', `could not start the broadcast media for ${lesson.title}`, { cause: error });
      }
      if (signal?.aborted) {
        this.#logger.warn({ lesson: lesson.id }, 'the media came up after the caller gave up; closing it');
        await media.close().catch((error: unknown) => this.#logger.warn({ err: error }, 'media close failed'));
        this.#lesson = undefined;
        this.#set('idle');
        throw signal.reason;
      }
      this.#media = media;
    });
  }

  /**
   * Live at the bell (prepares first if pre-roll did not run); a hand-over if already live:
   * then the next lesson's set-up (presets, layout) is applied at its bell, not before (the
   * cameras must not move under the lesson still on air).
   */
  async goLive(lesson: LessonRef, signal?: AbortSignal): Promise<void> {
    if (!this.#media) await this.prepare(lesson, signal);
    await this.#serial(async () => {
      signal?.throwIfAborted();
      const media = this.#media;
      if (!media) throw new ClasscastError('INVALID_STATE', 'the broadcast stopped before it went live');
      if (this.#state === 'live' && this.#lesson?.id === lesson.id && this.#lesson.part === lesson.part) return;
      const handOver = this.#state === 'live' && this.#onAir !== lesson.id;
      if (handOver) await this.#deps.preRoll?.(lesson).catch((error: unknown) => this.#logger.warn({ err: error }, 'set-up of the next lesson incomplete'));
      this.#onAir = lesson.id;
      this.#lesson = lesson;
      await media.beginLesson(lesson);
      this.#set('live');
    });
  }

  stop(reason: string): Promise<void> {
    return this.#serial(async () => {
      if (this.#state === 'idle') return;
      this.#set('stopping');
      this.#logger.info({ reason, lesson: this.#lesson?.id }, 'stopping broadcast');
      const media = this.#media;
      this.#media = undefined;
      await media?.close().catch((error: unknown) => this.#logger.warn({ err: error }, 'media close failed'));
      this.#lesson = undefined;
      this.#onAir = undefined;
      this.#set('idle');
    });
  }

  #set(state: BroadcastState): void {
    this.#state = state;
    this.#logger.info({ state, lesson: this.#lesson?.id, part: this.#lesson?.part }, 'broadcast state');
    this.safeEmit('state', this.info());
  }

  #serial<T>(task: () => Promise<T>): Promise<T> {
    const run = this.#queue.then(task, task);
    this.#queue = run.catch(() => undefined);
    return run;
  }
}
