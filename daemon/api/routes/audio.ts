import { z } from 'zod';
import type { AudioControl } from '../../audio/types.ts';
import type { RoutePlugin } from '../types.ts';
import { parseInput } from '../validate.ts';

export interface AudioRouteDeps {
  audio: AudioControl;
}

const paramsSchema = z.object({ channel: z.string().min(1).max(64) });

const patchSchema = z
  .object({
    gainDb: z.number().min(-60).max(20).optional().describe('channel gain in dB'),
    muted: z.boolean().optional(),
  })
  .strict()
  .refine((b) => b.gainDb !== undefined || b.muted !== undefined, { message: 'give gainDb, muted or both' });

/** `GET /audio` (viewer) and `PATCH /audio/:channel` (technician, audited as `audio.update`). */
export const audioRoutes: RoutePlugin<AudioRouteDeps> = (app, { audio }) => {
  app.get('/audio', { config: { role: 'viewer' } }, async () => ({ channels: audio.list() }));

  app.patch('/audio/:channel', { config: { role: 'technician', audit: 'audio.update' } }, async (request) => {
    const { channel } = parseInput(paramsSchema, request.params, 'params');
    const patch = parseInput(patchSchema, request.body ?? {}, 'body');
    return { channel: await audio.update(channel, patch) };
  });
};
