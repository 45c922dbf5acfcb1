import type { FastifyInstance } from 'fastify';
import type { Logger } from 'pino';
import { registerApiRoutes, type ApiHost } from '../api/register.ts';
import { buildApiServer } from '../api/server.ts';
import type { AuditLog } from '../audit/audit-log.ts';
import type { TokenStore } from '../auth/token-store.ts';
import type { Readiness } from '../health/readiness.ts';
import type { Metrics } from '../metrics/metrics.ts';
import { registerPage } from './pages.ts';

export interface AppDeps {
  logger: Logger;
  tokens: TokenStore;
  audit: AuditLog;
  tls?: { key: Buffer; cert: Buffer };
  host: ApiHost;
  readiness: () => Promise<Readiness>;
  metrics: Metrics;
  /**
   * The SFU role's member-classroom page, with what it loads its WebRTC device from before it
   * connects (so it joins in one step); absent on a box without the SFU role.
   */
  classroomBoot?: () => Record<string, unknown> | undefined;
  /** Where the member page of a join token is served instead (an origin sends a classroom to its edge). */
  classroomRedirect?: (token: string) => string | undefined;
  /** Routes of the SFU roles outside the API (WHEP), registered before the app listens. */
  register?: (app: FastifyInstance) => Promise<void>;
}

/**
 * The box's HTTP app: the API, readiness, metrics and the web pages, ready to listen. Built
 * apart from `listen()`, so it can be served, injected into (tests) or wrapped as it is.
 */
export async function buildApp(deps: AppDeps): Promise<FastifyInstance> {
  const app = await buildApiServer({ logger: deps.logger, tokens: deps.tokens, audit: deps.audit, tls: deps.tls }, (api) => registerApiRoutes(api, deps.host));
  app.get('/readyz', async (_request, reply) => {
    const state = await deps.readiness();
    return reply.status(state.ready ? 200 : 503).send(state);
  });
  const registry = deps.metrics.registry;
  app.get('/metrics', async (_request, reply) => reply.header('content-type', registry.contentType).send(await registry.metrics()));
  if (deps.classroomBoot) await registerPage(app, 'classroom', { boot: deps.classroomBoot, redirect: deps.classroomRedirect });
  await deps.register?.(app);
  await registerPage(app, 'console');
  return app;
}
