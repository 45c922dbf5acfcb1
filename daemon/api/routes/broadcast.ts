import { z } from 'zod';
import type { ScheduleEngine } from '../../schedule/engine.ts';
import { type BroadcastStatusView, statusView } from '../../schedule/view.ts';
import type { RoutePlugin } from '../types.ts';
import { parseInput } from '../validate.ts';

export interface BroadcastRouteDeps {
  engine: Pick<ScheduleEngine, 'timetable' | 'startManual' | 'stopManual'>;
}

const startSchema = z
  .object({
    title: z.string().trim().min(1).max(200).optional().describe('shown to member classrooms'),
    minutes: z.number().int().min(1).max(600).optional().describe('how long; default schedule.manualDefaultMinutes'),
  })
  .strict();

const stopSchema = z.object({}).strict();

/**
 * The manual override entry points. A start wins over the timetable until its minutes run
 * out; a stop ends what is on air and keeps that lesson off for the rest of its slot. Both
 * are recorded with the caller's name (and in the audit log through `audit`).
 */
export const broadcastRoutes: RoutePlugin<BroadcastRouteDeps> = (app, deps) => {
  const zone = deps.engine.timetable.zone;

  app.post(
    '/broadcast/start',
    { config: { role: 'technician', audit: 'broadcast.start' } },
    async (request): Promise<BroadcastStatusView> => {
      const body = parseInput(startSchema, request.body ?? {}, 'body');
      const status = await deps.engine.startManual({
        ...(body.title !== undefined ? { title: body.title } : {}),
        ...(body.minutes !== undefined ? { minutes: body.minutes } : {}),
        by: request.principal?.name ?? 'unknown',
      });
      return statusView(status, zone);
    },
  );

  app.post(
    '/broadcast/stop',
    { config: { role: 'technician', audit: 'broadcast.stop' } },
    async (request): Promise<BroadcastStatusView> => {
      parseInput(stopSchema, request.body ?? {}, 'body');
      const status = await deps.engine.stopManual({ by: request.principal?.name ?? 'unknown' });
      return statusView(status, zone);
    },
  );
};
