import { existsSync, readdirSync, readFileSync, renameSync, unlinkSync } from 'node:fs';
import path from 'node:path';
import type { Logger } from 'pino';
import { z } from 'zod';
import { type AtomicFs, realAtomicFs, writeFileAtomic } from '../../config/foundation/atomic-file.ts';

/** A lesson as the state file keeps it (times in epoch ms). */
export const lessonSchema = z.object({
  id: z.string(),
  title: z.string(),
  subject: z.string().optional(),
  teacher: z.string().optional(),
  classrooms: z.array(z.string()),
  presets: z.record(z.string(), z.string()),
  layout: z.string().optional(),
  start: z.number(),
  end: z.number(),
  source: z.enum(['weekly', 'oneoff', 'ical', 'manual']),
  day: z.string(),
});

const partSchema = z.object({
  part: z.number().int().min(1),
  startedAt: z.number(),
  endedAt: z.number().optional(),
  /** schedule | manual | handover | shutdown | failure | interrupted (the process died). */
  endReason: z.string().optional(),
});

const lessonRecordSchema = z.object({
  id: z.string(),
  title: z.string(),
  start: z.number(),
  end: z.number(),
  manual: z.boolean(),
  status: z.enum(['preparing', 'live', 'ended', 'stopped', 'failed', 'skipped']),
  parts: z.array(partSchema),
  failures: z.array(z.object({ at: z.number(), phase: z.string(), code: z.string(), message: z.string() })),
});

const overrideSchema = z.object({
  at: z.number(),
  action: z.enum(['start', 'stop']),
  by: z.string(),
  lessonId: z.string().nullable(),
  title: z.string().optional(),
  minutes: z.number().optional(),
});

export const persistedStateSchema = z.object({
  version: z.literal(1),
  lessons: z.record(z.string(), lessonRecordSchema),
  overrides: z.array(overrideSchema),
  /** The run that was on air when this was written; non-null at start = we crashed mid-run. */
  current: z.object({ lessonId: z.string(), part: z.number().int() }).nullable(),
  /** An active manual broadcast (it survives a restart like a scheduled lesson). */
  manual: z.object({ lesson: lessonSchema }).nullable(),
});

export type PersistedState = z.infer<typeof persistedStateSchema>;
export type LessonRecord = z.infer<typeof lessonRecordSchema>;
export type OverrideRecord = z.infer<typeof overrideSchema>;

export function emptyState(): PersistedState {
  return { version: 1, lessons: {}, overrides: [], current: null, manual: null };
}

const KEEP_LESSONS_MS = 30 * 24 * 3600_000;
const KEEP_OVERRIDES = 200;

export interface StateStoreOptions {
  /** e.g. `<dataDir>/schedule-state.json` */
  file: string;
  logger: Logger;
  fs?: AtomicFs;
}

/**
 * The schedule's memory across crashes: what ran, its parts, failures and manual overrides.
 * Written atomically on every change. A file that is unreadable or fails validation is moved
 * aside (`<file>.corrupt-<time>`) for a human to look at, and the engine starts clean.
 */
export class ScheduleStateStore {
  readonly file: string;
  readonly #logger: Logger;
  readonly #fs: AtomicFs;

  constructor(options: StateStoreOptions) {
    this.file = options.file;
    this.#logger = options.logger.child({ component: 'schedule-state' });
    this.#fs = options.fs ?? realAtomicFs;
  }

  load(): PersistedState {
    this.#removeStaleTemps();
    if (!existsSync(this.file)) return emptyState();
    let raw: unknown;
    try {
      raw = JSON.parse(readFileSync(this.file, 'utf8'));
    } catch (error) {
      return this.#setAside(error);
    }
    const parsed = persistedStateSchema.safeParse(raw);
    if (!parsed.success) return this.#setAside(parsed.error);
    return parsed.data;
  }

  save(state: PersistedState, now: number): void {
    for (const [id, record] of Object.entries(state.lessons)) {
      if (record.end < now - KEEP_LESSONS_MS) delete state.lessons[id];
    }
    if (state.overrides.length > KEEP_OVERRIDES) state.overrides.splice(0, state.overrides.length - KEEP_OVERRIDES);
    writeFileAtomic(this.file, `${JSON.stringify(state, null, 1)}\n`, this.#fs);
  }

  #setAside(error: unknown): PersistedState {
    const aside = `${this.file}.corrupt-${new Date().toISOString().replace(/[:.]/g, '-')}`;
    try {
      renameSync(this.file, aside);
    } catch (renameError) {
      this.#logger.error({ err: renameError, file: this.file }, 'cannot move corrupt schedule state aside');
    }
    this.#logger.error(
      { err: error instanceof Error ? { message: error.message } : String(error), file: this.file, movedTo: aside },
      'schedule state file unreadable; starting clean',
    );
    return emptyState();
  }

  /** Temp files left by a crash between write and rename are incomplete by definition. */
  #removeStaleTemps(): void {
    const dir = path.dirname(this.file);
    const prefix = `.${path.basename(this.file)}.`;
    let names: string[];
    try {
      names = readdirSync(dir);
    } catch {
      return;
    }
    for (const name of names) {
      if (name.startsWith(prefix) && name.endsWith('.tmp')) {
        try {
          unlinkSync(path.join(dir, name));
        } catch {
          // another process may have removed it
        }
      }
    }
  }
}
