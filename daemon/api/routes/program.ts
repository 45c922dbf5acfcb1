import { z } from 'zod';
import { LAYOUTS } from '../../../config/schema/pipeline.ts';
import type { Program, ProgramChange } from '../../../pipeline/media/program.ts';
import type { RoutePlugin } from '../types.ts';
import { parseInput } from '../validate.ts';

export interface ProgramRouteDeps {
  current: () => Program;
  sources: () => string[];
  set: (change: ProgramChange) => Promise<Program>;
  cut: (source: string) => Promise<Program>;
}

const sourceId = z.string().min(1).max(64);

/** `{source}` puts one source on program alone; otherwise any of layout and the two places. */
const bodySchema = z.union([
  z.strictObject({ source: sourceId }),
  z
    .strictObject({ layout: z.enum(LAYOUTS).optional(), main: sourceId.optional(), second: sourceId.optional() })
    .refine((b) => Object.keys(b).length > 0, { message: 'give source, or any of layout, main and second' }),
]);

export const programRoutes: RoutePlugin<ProgramRouteDeps> = (app, deps) => {
  app.get('/program', { config: { role: 'viewer' } }, async () => ({ ...deps.current(), sources: deps.sources(), layouts: LAYOUTS }));
  app.put('/program', { config: { role: 'technician', audit: 'program.set' } }, async (request) => {
    const body = parseInput(bodySchema, request.body, 'body');
    return 'source' in body ? deps.cut(body.source) : deps.set(body);
  });
};
