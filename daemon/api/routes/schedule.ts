import { z } from 'zod';
import type { ScheduleEngine } from '../../schedule/engine.ts';
import { type ScheduleView, scheduleView } from '../../schedule/schedule-view.ts';
import type { RoutePlugin } from '../types.ts';
import { parseInput } from '../validate.ts';

export interface ScheduleRouteDeps {
  engine: Pick<ScheduleEngine, 'timetable' | 'status' | 'lessonsBetween' | 'overrides'>;
  /** Injectable for tests; default Date.now. */
  now?: () => number;
}

const querySchema = z
  .object({
    next: z.coerce.number().int().min(1).max(50).default(10).describe('how many coming lessons to list'),
  })
  .strict();

/** `GET /api/schedule`: today's lessons, the next ones, the broadcast state and recent overrides. */
export const scheduleRoutes: RoutePlugin<ScheduleRouteDeps> = (app, deps) => {
  app.get('/schedule', { config: { role: 'viewer' } }, async (request): Promise<ScheduleView> => {
    const query = parseInput(querySchema, request.query ?? {}, 'query');
    const now = (deps.now ?? Date.now)();
    return scheduleView(deps.engine, now, query.next);
  });
};
