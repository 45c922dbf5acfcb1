import { mkdtempSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import fastify, { type FastifyInstance, type RouteOptions } from 'fastify';
import { DateTime } from 'luxon';
import pino from 'pino';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { isClasscastError } from '../../config/foundation/errors.ts';
import { scheduleSchema } from '../../config/schema/schedule.ts';
import { statusForCode } from '../../daemon/api/error-status.ts';
import { broadcastRoutes } from '../../daemon/api/routes/broadcast.ts';
import { scheduleRoutes } from '../../daemon/api/routes/schedule.ts';
import type { Clock } from '../../daemon/schedule/clock.ts';
import { ScheduleEngine } from '../../daemon/schedule/engine.ts';
import { ScheduleStateStore } from '../../daemon/schedule/state-store.ts';
import { Timetable } from '../../daemon/schedule/timetable.ts';
import type { BroadcastControl, StopReason } from '../../daemon/schedule/types.ts';

const ZONE = 'Asia/Shanghai';
const t = (local: string) => DateTime.fromISO(local, { zone: ZONE }).toMillis();

let dir: string;
let app: FastifyInstance;
let engine: ScheduleEngine;
let routes: RouteOptions[];
let calls: string[];
const clockNow = { value: 0 };

/** Time stands still unless a test moves it; timers are never due on their own. */
const clock: Clock = { now: () => clockNow.value, setTimer: () => () => {} };

const control: BroadcastControl = {
  prepare: async (lesson, part) => void calls.push(`prepare ${lesson.id}#${part}`),
  goLive: async (run) => void calls.push(`goLive ${run.lesson.id}#${run.part}`),
  stop: async (reason: StopReason) => void calls.push(`stop ${reason}`),
};

beforeEach(async () => {
  dir = mkdtempSync(path.join(os.tmpdir(), 'classcast-schedule-api-'));
  calls = [];
  clockNow.value = t('2026-11-23T09:00');
  const logger = pino({ level: 'silent' });
  const config = scheduleSchema.parse({
    enabled: true,
    periods: [{ id: 'p3', start: '10:00', end: '10:45' }],
    weekly: { monday: [{ period: 'p3', title: 'Maths', teacher: 'Ms Li' }], tuesday: [{ period: 'p3', title: 'Art' }] },
    oneOff: [{ id: 'morning', title: 'Morning reading', start: '2026-11-23T07:30', end: '2026-11-23T08:00' }],
  });
  engine = new ScheduleEngine({
    timetable: new Timetable(config),
    control,
    store: new ScheduleStateStore({ file: path.join(dir, 'schedule-state.json'), logger }),
    logger,
    clock,
  });
  await engine.start();

  app = fastify();
  routes = [];
  app.addHook('onRoute', (route) => void routes.push(route));
  app.addHook('onRequest', async (request) => {
    request.principal = { name: String(request.headers['x-test-user'] ?? 'tech-a'), role: 'technician' };
  });
  app.setErrorHandler((error, _request, reply) => {
    if (isClasscastError(error)) {
      return reply.status(statusForCode(error.code)).send({ error: { code: error.code, message: error.message } });
    }
    return reply.status(500).send({ error: { code: 'INTERNAL', message: String(error) } });
  });
  await app.register(async (api) => {
    scheduleRoutes(api, { engine, now: clock.now });
    broadcastRoutes(api, { engine });
  }, { prefix: '/api' });
  await app.ready();
});

afterEach(async () => {
  await app.close();
  await engine.close();
  rmSync(dir, { recursive: true, force: true });
});

describe('schedule and broadcast routes', () => {
  it('declares roles and audit names', () => {
    const declared = routes.map((r) => [r.method, r.url, r.config?.role, r.config?.audit]);
    expect(declared).toEqual(
      expect.arrayContaining([
        ['GET', '/api/schedule', 'viewer', undefined],
        ['POST', '/api/broadcast/start', 'technician', 'broadcast.start'],
        ['POST', '/api/broadcast/stop', 'technician', 'broadcast.stop'],
      ]),
    );
  });

  it('GET /api/schedule lists today, the next lessons and the state', async () => {
    const response = await app.inject({ method: 'GET', url: '/api/schedule?next=2' });
    expect(response.statusCode).toBe(200);
    const body = response.json();
    expect(body).toMatchObject({
      timezone: ZONE,
      enabled: true,
      now: '2026-11-23T09:00:00+08:00',
      state: { state: 'idle', lesson: null },
      today: { date: '2026-11-23', kind: 'school', follows: 'monday' },
    });
    expect(body.today.lessons.map((l: { id: string }) => l.id)).toEqual(['morning', '20261123-1000-maths']);
    expect(body.next.map((l: { id: string; status: string }) => [l.id, l.status])).toEqual([
      ['20261123-1000-maths', 'planned'],
      ['20261124-1000-art', 'planned'],
    ]);
    expect(body.next[0]).toMatchObject({ opensAt: '2026-11-23T09:58:00+08:00', closesAt: '2026-11-23T10:46:00+08:00', teacher: 'Ms Li' });
    expect((await app.inject({ method: 'GET', url: '/api/schedule?next=0' })).statusCode).toBe(400);
  });

  it('POST /api/broadcast/start goes live, refuses a second start, and is recorded with the caller', async () => {
    const response = await app.inject({
      method: 'POST',
      url: '/api/broadcast/start',
      headers: { 'x-test-user': 'ms-wang' },
      payload: { title: 'Parents meeting', minutes: 30 },
    });
    expect(response.statusCode).toBe(200);
    expect(response.json()).toMatchObject({
      state: 'live',
      manual: true,
      part: 1,
      lesson: { title: 'Parents meeting', end: '2026-11-23T09:30:00+08:00' },
      stopAt: '2026-11-23T09:30:00+08:00',
    });
    expect(calls).toEqual(['prepare manual-20261123-090000#1', 'goLive manual-20261123-090000#1']);

    const again = await app.inject({ method: 'POST', url: '/api/broadcast/start', payload: {} });
    expect(again.statusCode).toBe(409);
    expect(again.json().error.code).toBe('CONFLICT');

    const schedule = (await app.inject({ method: 'GET', url: '/api/schedule' })).json();
    expect(schedule.state).toMatchObject({ state: 'live', manual: true });
    expect(schedule.overrides).toEqual([
      expect.objectContaining({ action: 'start', by: 'ms-wang', title: 'Parents meeting', minutes: 30, at: '2026-11-23T09:00:00+08:00' }),
    ]);
  });

  it('POST /api/broadcast/stop stops what is on air and answers 409 when nothing is', async () => {
    await app.inject({ method: 'POST', url: '/api/broadcast/start', payload: { minutes: 5 } });
    const stop = await app.inject({ method: 'POST', url: '/api/broadcast/stop', payload: {} });
    expect(stop.statusCode).toBe(200);
    expect(stop.json()).toMatchObject({ state: 'idle', lesson: null });
    expect(calls.at(-1)).toBe('stop manual');
    const again = await app.inject({ method: 'POST', url: '/api/broadcast/stop' });
    expect(again.statusCode).toBe(409);
    expect(again.json().error.code).toBe('CONFLICT');
  });

  it('rejects bad bodies with 400 BAD_REQUEST naming the field', async () => {
    for (const payload of [{ minutes: 0 }, { minutes: 'ten' }, { title: '' }, { colour: 'red' }]) {
      const response = await app.inject({ method: 'POST', url: '/api/broadcast/start', payload });
      expect(response.statusCode).toBe(400);
      expect(response.json().error.code).toBe('BAD_REQUEST');
    }
    const bad = await app.inject({ method: 'POST', url: '/api/broadcast/start', payload: { minutes: 0 } });
    expect(bad.json().error.message).toMatch(/minutes/);
    expect(calls).toEqual([]);
  });
});
