import { z } from 'zod';
import { ClasscastError } from '../../../config/foundation/errors.ts';
import { LAYOUTS, type Layout } from '../../../config/schema/pipeline.ts';
import type { RoutePlugin } from '../types.ts';
import { parseInput } from '../validate.ts';

export interface LayoutRouteDeps {
  current: () => Layout;
  set: (layout: Layout) => Promise<void>;
}

const bodySchema = z.object({ layout: z.enum(LAYOUTS) });

export const layoutRoutes: RoutePlugin<LayoutRouteDeps> = (app, deps) => {
  app.get('/layout', { config: { role: 'viewer' } }, async () => ({ layout: deps.current(), layouts: LAYOUTS }));
  app.put('/layout', { config: { role: 'technician', audit: 'layout.set' } }, async (request) => {
    const { layout } = parseInput(bodySchema, request.body, 'body');
    if (!LAYOUTS.includes(layout)) throw new ClasscastError('BAD_REQUEST', `unknown layout ${layout}`);
    await deps.set(layout);
    return { layout: deps.current() };
  });
};
