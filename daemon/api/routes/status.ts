import type { RoutePlugin } from '../types.ts';

export interface StatusRouteDeps {
  status: () => Promise<Record<string, unknown>>;
}

export const statusRoutes: RoutePlugin<StatusRouteDeps> = (app, deps) => {
  app.get('/status', { config: { role: 'viewer' } }, async () => deps.status());
};
