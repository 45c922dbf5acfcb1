import path from 'node:path';
import type { Logger } from 'pino';
import type { ScheduleConfig } from '../../config/schema/schedule.ts';
import type { DaemonEvent } from '../events/bus.ts';
import type { Clock } from './clock.ts';
import { ScheduleEngine } from './engine.ts';
import { ScheduleStateStore } from './state-store.ts';
import { Timetable } from './timetable.ts';
import type { BroadcastControl } from './types.ts';

export { ScheduleEngine, MAX_WAIT_MS } from './engine.ts';
export type { ScheduledLesson, ScheduleEngineOptions } from './engine.ts';
export { Timetable } from './timetable.ts';
export { ScheduleStateStore } from './state-store.ts';
export { systemClock } from './clock.ts';
export type { Clock } from './clock.ts';
export type * from './types.ts';

export const STATE_FILE_NAME = 'schedule-state.json';

export interface CreateScheduleEngineOptions {
  /** `config.schedule` */
  config: ScheduleConfig;
  /** `config.dataDir` (absolute); the state file goes there. */
  dataDir: string;
  /** Directory of the config file, for relative iCalendar paths. */
  baseDir?: string;
  control: BroadcastControl;
  logger: Logger;
  /** e.g. `(event) => bus.publish(event)` */
  publish?: (event: DaemonEvent) => void;
  clock?: Clock;
}

/** Builds the engine for the composition root; call `start()` after the controller is ready. */
export function createScheduleEngine(options: CreateScheduleEngineOptions): ScheduleEngine {
  const timetable = new Timetable(options.config, options.baseDir !== undefined ? { baseDir: options.baseDir } : {});
  const store = new ScheduleStateStore({ file: path.join(options.dataDir, STATE_FILE_NAME), logger: options.logger });
  return new ScheduleEngine({
    timetable,
    control: options.control,
    store,
    logger: options.logger,
    ...(options.publish ? { publish: options.publish } : {}),
    ...(options.clock ? { clock: options.clock } : {}),
  });
}
