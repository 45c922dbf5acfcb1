import fastify, { type FastifyInstance } from 'fastify';
import { pino } from 'pino';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { isClasscastError } from '../../config/foundation/errors.ts';
import { audioSchema } from '../../config/schema/audio.ts';
import { audioRoutes } from '../../daemon/api/routes/audio.ts';
import { AudioService } from '../../daemon/audio/service.ts';
import { channels, FakeMicArray, FakeMix } from './audio-fakes.ts';

const STATUS: Record<string, number> = { BAD_REQUEST: 400, NOT_FOUND: 404 };

describe('audio routes', () => {
  let app: FastifyInstance;
  let array: FakeMicArray;
  let mix: FakeMix;
  const routeConfigs: Record<string, unknown> = {};

  beforeEach(async () => {
    array = new FakeMicArray('ceiling');
    mix = new FakeMix();
    const audio = new AudioService({
      channels,
      config: audioSchema.parse({ bindings: [{ channel: 'students', micArray: 'ceiling', micChannel: 1 }] }),
      micArrays: [array],
      mix,
      bus: { publish: () => undefined },
      logger: pino({ level: 'silent' }),
    });
    app = fastify();
    app.addHook('onRoute', (route) => {
      routeConfigs[`${String(route.method)} ${route.url}`] = route.config;
    });
    app.setErrorHandler((error: Error & { statusCode?: number }, _request, reply) => {
      const status = isClasscastError(error) ? (STATUS[error.code] ?? 500) : (error.statusCode ?? 500);
      void reply.status(status).send({ error: { code: isClasscastError(error) ? error.code : 'INTERNAL', message: error.message } });
    });
    audioRoutes(app, { audio });
    await app.ready();
  });

  afterEach(async () => {
    await app.close();
  });

  it('declares roles and the audit name', () => {
    expect(routeConfigs['GET /audio']).toMatchObject({ role: 'viewer' });
    expect(routeConfigs['PATCH /audio/:channel']).toMatchObject({ role: 'technician', audit: 'audio.update' });
  });

  it('GET /audio lists the channels', async () => {
    const res = await app.inject({ method: 'GET', url: '/audio' });
    expect(res.statusCode).toBe(200);
    expect(res.json().channels.map((c: { id: string }) => c.id)).toEqual(['teacher', 'students']);
  });

  it('PATCH /audio/:channel sets gain and mute', async () => {
    const res = await app.inject({ method: 'PATCH', url: '/audio/students', payload: { gainDb: -6, muted: true } });
    expect(res.statusCode).toBe(200);
    expect(res.json().channel).toMatchObject({ id: 'students', gainDb: -6, muted: true });
    expect(array.status[0]).toMatchObject({ gainDb: -6, muted: true });
    const teacher = await app.inject({ method: 'PATCH', url: '/audio/teacher', payload: { muted: true } });
    expect(teacher.json().channel).toMatchObject({ muted: true, control: 'mixer' });
    expect(mix.calls).toEqual(['mute teacher true']);
  });

  it('answers 404 for an unknown channel', async () => {
    const res = await app.inject({ method: 'PATCH', url: '/audio/nope', payload: { muted: true } });
    expect(res.statusCode).toBe(404);
    expect(res.json().error.code).toBe('NOT_FOUND');
  });

  it.each<[Record<string, unknown>, string]>([
    [{}, 'empty body'],
    [{ gainDb: 99 }, 'gain out of range'],
    [{ gainDb: '3' }, 'gain as a string'],
    [{ muted: 'yes' }, 'mute as a string'],
    [{ muted: true, volume: 3 }, 'unknown field'],
  ])('answers 400 for %o (%s)', async (payload) => {
    const res = await app.inject({ method: 'PATCH', url: '/audio/students', payload });
    expect(res.statusCode).toBe(400);
    expect(res.json().error.code).toBe('BAD_REQUEST');
    expect(array.status[0]).toMatchObject({ gainDb: -3, muted: false });
  });
});
