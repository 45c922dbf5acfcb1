import { z } from 'zod';
import type { CameraService } from '../../cameras/camera-service.ts';
import type { RoutePlugin } from '../types.ts';
import { parseInput } from '../validate.ts';

export interface CameraRouteDeps {
  cameras: Pick<CameraService, 'list' | 'recallPreset' | 'storePreset' | 'move' | 'stop'>;
}

const idParams = z.object({ id: z.string().min(1).max(64) });
const presetParams = idParams.extend({
  preset: z
    .string()
    .min(1)
    .max(64)
    .regex(/^[\x20-\x7e]+$/, 'printable ASCII')
    .refine((v) => !/[<>&"']/.test(v), 'no <>&"\' characters'),
});
const velocity = z.number().min(-1).max(1);
const recallBody = z.object({ speed: z.number().gt(0).max(1).optional().describe('0…1, default the camera’s') }).strict();
const moveBody = z
  .object({
    pan: velocity.describe('−1 left … 1 right'),
    tilt: velocity.describe('−1 down … 1 up'),
    zoom: velocity.describe('−1 out … 1 in'),
    timeoutMs: z.number().int().min(50).max(60_000).optional().describe('stop after this long (default 1,000)'),
  })
  .strict();

/**
 * `GET /cameras` (viewer); preset recall and store, continuous move and stop (technician,
 * audited as `camera.preset.recall`, `camera.preset.store`, `camera.move`, `camera.stop`).
 */
export const cameraRoutes: RoutePlugin<CameraRouteDeps> = (app, { cameras }) => {
  app.get('/cameras', { config: { role: 'viewer' } }, async () => ({ cameras: await cameras.list() }));

  app.post('/cameras/:id/presets/:preset/recall', { config: { role: 'technician', audit: 'camera.preset.recall' } }, async (request) => {
    const { id, preset } = parseInput(presetParams, request.params, 'params');
    const { speed } = parseInput(recallBody, request.body ?? {}, 'body');
    await cameras.recallPreset(id, preset, speed);
    return { camera: id, preset, moving: true };
  });

  app.put('/cameras/:id/presets/:preset', { config: { role: 'technician', audit: 'camera.preset.store' } }, async (request) => {
    const { id, preset } = parseInput(presetParams, request.params, 'params');
    return { camera: id, preset: await cameras.storePreset(id, preset) };
  });

  app.post('/cameras/:id/move', { config: { role: 'technician', audit: 'camera.move' } }, async (request) => {
    const { id } = parseInput(idParams, request.params, 'params');
    const { timeoutMs, ...v } = parseInput(moveBody, request.body ?? {}, 'body');
    await cameras.move(id, v, timeoutMs);
    return { camera: id, moving: true };
  });

  app.post('/cameras/:id/stop', { config: { role: 'technician', audit: 'camera.stop' } }, async (request) => {
    const { id } = parseInput(idParams, request.params, 'params');
    await cameras.stop(id);
    return { camera: id, moving: false };
  });
};
