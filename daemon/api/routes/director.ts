import { z } from 'zod';
import { ClasscastError } from '../../../config/foundation/errors.ts';
import type { DirectorStatus } from '../../director/types.ts';
import type { RoutePlugin } from '../types.ts';
import { parseInput } from '../validate.ts';

export interface DirectorRouteDeps {
  /** The director, or undefined when voice tracking is not configured. */
  director: () => { status: DirectorStatus; setEnabled(enabled: boolean): void } | undefined;
}

const bodySchema = z.object({ enabled: z.boolean() }).strict();

/** Voice tracking on/off for technicians; its state for everyone who may look. */
export const directorRoutes: RoutePlugin<DirectorRouteDeps> = (app, deps) => {
  app.get('/director', { config: { role: 'viewer' } }, async () => {
    const director = deps.director();
    return director ? { available: true, ...director.status } : { available: false, enabled: false };
  });
  app.put('/director', { config: { role: 'technician', audit: 'director.set' } }, async (request) => {
    const { enabled } = parseInput(bodySchema, request.body, 'body');
    const director = deps.director();
    if (!director) throw new ClasscastError('CONFLICT', 'voice tracking is not configured (no director zones)');
    director.setEnabled(enabled);
    return { available: true, ...director.status };
  });
};
