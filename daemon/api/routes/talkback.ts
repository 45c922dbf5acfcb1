import { z } from 'zod';
import { ClasscastError } from '../../../config/foundation/errors.ts';
import type { TalkbackDesk } from '../../talkback/desk.ts';
import type { RoutePlugin } from '../types.ts';
import { parseInput } from '../validate.ts';

export interface TalkbackRouteDeps {
  desk: Pick<TalkbackDesk, 'list' | 'accept' | 'end'>;
  /** The latest picture of a room on air (JPEG), if its picture reaches this box. */
  preview: (id: string) => Promise<Buffer | undefined>;
}

const idParams = z.object({ id: z.string().min(1).max(64) });
const emptyBody = z.object({}).strict();

/** Raised hands: the list for everyone; accept, end and a room's picture on air for technicians (each action audited). */
export const talkbackRoutes: RoutePlugin<TalkbackRouteDeps> = (app, deps) => {
  app.get('/talkback', { config: { role: 'viewer' } }, async () => ({ requests: deps.desk.list() }));
  app.get('/talkback/:id/preview', { config: { role: 'technician' } }, async (request, reply) => {
    const { id } = parseInput(idParams, request.params, 'params');
    const jpeg = await deps.preview(id);
    if (!jpeg) throw new ClasscastError('NOT_FOUND', `no picture of talk-back ${id} (it shows while the room is on air)`);
    return reply.header('content-type', 'image/jpeg').header('cache-control', 'no-store').send(jpeg);
  });
  app.post('/talkback/:id/accept', { config: { role: 'technician', audit: 'talkback.accept' } }, async (request) => {
    const { id } = parseInput(idParams, request.params, 'params');
    parseInput(emptyBody, request.body ?? {}, 'body');
    return deps.desk.accept(id);
  });
  app.post('/talkback/:id/end', { config: { role: 'technician', audit: 'talkback.end' } }, async (request) => {
    const { id } = parseInput(idParams, request.params, 'params');
    parseInput(emptyBody, request.body ?? {}, 'body');
    return deps.desk.end(id);
  });
};
