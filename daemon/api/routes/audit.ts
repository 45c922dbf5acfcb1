import { z } from 'zod';
import type { AuditEntry } from '../../audit/audit-log.ts';
import type { RoutePlugin } from '../types.ts';
import { parseInput } from '../validate.ts';

export interface AuditRouteDeps {
  /** The last `limit` entries, newest last (AuditLog.read). */
  read: (limit: number) => Promise<AuditEntry[]>;
}

const querySchema = z
  .object({
    limit: z.coerce.number().int().min(1).max(1000).default(100).describe('how many of the latest entries'),
  })
  .strict();

/**
 * `GET /api/audit` (technician): the latest control actions, newest first. Reading the log is
 * itself not audited; it changes nothing.
 */
export const auditRoutes: RoutePlugin<AuditRouteDeps> = (app, deps) => {
  app.get('/audit', { config: { role: 'technician' } }, async (request) => {
    const { limit } = parseInput(querySchema, request.query ?? {}, 'query');
    return { entries: (await deps.read(limit)).reverse() };
  });
};
