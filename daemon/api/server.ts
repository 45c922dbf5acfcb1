import Fastify, {
  LogController, type FastifyBaseLogger, type FastifyError, type FastifyInstance } from 'fastify';
import rateLimit from '@fastify/rate-limit';
import type { Logger } from 'pino';
import { ClasscastError, isClasscastError, type ErrorCode } from '../../config/foundation/errors.ts';
import type { AuditLog } from '../audit/audit-log.ts';
import { bearerToken } from '../auth/bearer.ts';
import type { TokenStore } from '../auth/token-store.ts';
import { statusForCode } from './error-status.ts';

export interface ApiServerOptions {
  logger: Logger;
  tokens: TokenStore;
  audit: AuditLog;
  /** Requests per minute per client address on /api (default 600). */
  rateLimitPerMinute?: number;
  bodyLimitBytes?: number;
  /** PEM key and certificate: serve HTTPS (and WSS on the same port). */
  tls?: { key: Buffer; cert: Buffer };
}

/** Fastify's own 4xx (body parser, limits) under our stable codes. */
const CODE_FOR_STATUS: Record<number, ErrorCode> = {
  401: 'UNAUTHORIZED',
  403: 'FORBIDDEN',
  404: 'NOT_FOUND',
  413: 'PAYLOAD_TOO_LARGE',
  415: 'UNSUPPORTED_MEDIA_TYPE',
  429: 'RATE_LIMITED',
};

/** A whole request (headers and body) must arrive within this (ms). */
export const REQUEST_DEADLINE_MS = 30_000;
/** A connection with no bytes either way for this long is closed (ms). */
export const IDLE_CONNECTION_MS = 20_000;
/** Headers within this (ms), checked every `connectionsCheckingInterval`. */
export const HTTP_DEADLINES = { headersTimeout: 10_000, connectionsCheckingInterval: 2_000 };

function errorBody(code: string, message: string) {
  return { error: { code, message } };
}

/**
 * Builds the HTTP app (it does not listen: the composition root does). Every `/api` route
 * sits in one scope that authenticates the bearer token, checks the route's declared role,
 * and writes control actions to the audit log; every error becomes `{error: {code, message}}`.
 */
export async function buildApiServer(
  options: ApiServerOptions,
  registerApi: (api: FastifyInstance) => void | Promise<void>,
): Promise<FastifyInstance> {
  // Why a request failed, for its audit entry (the onResponse hook only sees the status).
  const failures = new WeakMap<object, string>();
  const app = Fastify({
    loggerInstance: options.logger.child({ component: 'http' }) as FastifyBaseLogger,
    // Request lines would flood the log; control actions go to the audit log instead.
    logController: new LogController({ disableRequestLogging: true }),
    bodyLimit: options.bodyLimitBytes ?? 64 * 1024,
    return503OnClosing: true,
    // Deadlines for what a peer may keep open (fastify turns Node's off by default): a
    // request's headers within 10 s and all of it within 30 s, checked every 2 s; a connection
    // with no bytes either way for 20 s is closed (one that never sends a request, too), an
    // idle keep-alive one politely after 15 s. So a slow or silent client holds a socket for
    // seconds, not forever. Upgraded sockets (WebSocket) leave these to the socket router.
    requestTimeout: REQUEST_DEADLINE_MS,
    connectionTimeout: IDLE_CONNECTION_MS,
    keepAliveTimeout: 15_000,
    ...(options.tls ? { https: { ...options.tls, ...HTTP_DEADLINES } } : { http: HTTP_DEADLINES }),
    // The HTTPS and HTTP instances differ only in the raw server type, which no route touches.
  }) as unknown as FastifyInstance;

  app.setErrorHandler((error: FastifyError | ClasscastError, request, reply) => {
    failures.set(request, isClasscastError(error) ? error.code : ((error as FastifyError).code ?? 'ERROR'));
    if (isClasscastError(error)) {
      const status = statusForCode(error.code);
      if (status >= 500) request.log.warn({ err: error }, 'request failed');
      return reply.status(status).send(errorBody(error.code, error.message));
    }
    const status = (error as FastifyError).statusCode ?? 500;
    if (status >= 500) {
      request.log.error({ err: error }, 'unhandled error');
      return reply.status(500).send(errorBody('INTERNAL', 'internal error'));
    }
    return reply.status(status).send(errorBody(CODE_FOR_STATUS[status] ?? 'BAD_REQUEST', error.message));
  });

  app.setNotFoundHandler((request, reply) =>
    reply.status(404).send(errorBody('NOT_FOUND', `no route ${request.method} ${request.url.split('?')[0]}`)),
  );

  app.get('/healthz', async () => ({ ok: true }));

  await app.register(async (api) => {
    await api.register(rateLimit, {
      max: options.rateLimitPerMinute ?? 600,
      timeWindow: 60_000,
      errorResponseBuilder: (_request, context) => ({
        statusCode: 429,
        message: `rate limit: at most ${context.max} requests a minute`,
      }),
    });

    // Bodies are JSON only: without this, fastify's built-in text/plain parser would hand a
    // string to the handlers; now any other content type is a 415 before a handler runs.
    api.removeContentTypeParser('text/plain');
    // An empty body with `Content-Type: application/json` is no body (control panels send
    // exactly that for a preset recall); fastify's own parser answers it with a 400.
    api.removeContentTypeParser('application/json');
    api.addContentTypeParser('application/json', { parseAs: 'string' }, (_request, body, done) => {
      const text = String(body);
      if (text.trim() === '') return done(null, undefined);
      try {
        done(null, JSON.parse(text));
      } catch {
        done(Object.assign(new Error('body is not valid JSON'), { statusCode: 400 }), undefined);
      }
    });

    api.addHook('onRequest', async (request) => {
      const role = request.routeOptions.config.role;
      if (!role) return; // unknown routes fall through to the 404 handler
      const token = bearerToken(request.headers.authorization);
      if (!token) throw new ClasscastError('UNAUTHORIZED', 'missing bearer token');
      const principal = options.tokens.authenticate(token);
      if (!principal) throw new ClasscastError('UNAUTHORIZED', 'unknown token');
      request.principal = principal;
      if (role === 'technician' && principal.role !== 'technician') {
        throw new ClasscastError('FORBIDDEN', 'this action needs a technician token');
      }
    });

    api.addHook('onResponse', async (request, reply) => {
      const action = request.routeOptions.config.audit;
      if (!action) return;
      // Refused attempts at a control action are recorded too: who tried to stop a lesson
      // matters as much as who did. Other unauthenticated noise is not (it could fill the disk).
      if (!request.principal && reply.statusCode !== 401 && reply.statusCode !== 403) return;
      const params = request.params as Record<string, string> | undefined;
      const body = request.body;
      options.audit.append({
        who: request.principal?.name ?? 'unauthenticated',
        role: request.principal?.role ?? 'none',
        action,
        target: params && Object.keys(params).length > 0 ? Object.values(params).join('/') : undefined,
        detail: body && typeof body === 'object' ? JSON.stringify(body).slice(0, 300) : undefined,
        result: reply.statusCode < 400 ? 'ok' : 'error',
        status: reply.statusCode,
        error: failures.get(request),
      });
    });

    await registerApi(api);
  }, { prefix: '/api' });

  return app;
}
