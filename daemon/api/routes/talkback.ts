import { z } from 'zod';
import type { TalkbackDesk } from '../../talkback/desk.ts';
import type { RoutePlugin } from '../types.ts';
import { parseInput } from '../validate.ts';

export interface TalkbackRouteDeps {
  desk: Pick<TalkbackDesk, 'list' | 'accept' | 'end'>;
}

const idParams = z.object({ id: z.string().min(1).max(64) });
const emptyBody = z.object({}).strict();

/** Raised hands: the list for everyone, accept and end for technicians (each audited). */
export const talkbackRoutes: RoutePlugin<TalkbackRouteDeps> = (app, deps) => {
  app.get('/talkback', { config: { role: 'viewer' } }, async () => ({ requests: deps.desk.list() }));
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
