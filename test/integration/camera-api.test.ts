import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import fastify, { type FastifyInstance } from 'fastify';
import pino from 'pino';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { isClasscastError } from '../../config/foundation/errors.ts';
import { cameraSchema } from '../../config/schema/cameras.ts';
import { cameraRoutes } from '../../daemon/api/routes/cameras.ts';
import { CameraService } from '../../daemon/cameras/camera-service.ts';
import { EventBus, type DaemonEvent } from '../../daemon/events/bus.ts';
import { startSimCamera, type SimCamera } from '../../devices/camera/sim/index.ts';

const logger = pino({ level: 'silent' });
const STATUS: Record<string, number> = { NOT_FOUND: 404, BAD_REQUEST: 400, PTZ_NO_SUCH_PRESET: 404, PTZ_UNREACHABLE: 503, PTZ_TIMEOUT: 504 };
let dataDir: string;
let sim: SimCamera;
let service: CameraService;
let app: FastifyInstance;
let events: DaemonEvent[];

beforeEach(async () => {
  dataDir = await mkdtemp(join(tmpdir(), 'camera-api-'));
  sim = await startSimCamera({ id: 'teacher', name: 'Teacher', dataDir, user: 'admin', password: 'pw', logger, video: false });
  const bus = new EventBus();
  events = [];
  bus.on('event', (e) => events.push(e));
  const config = cameraSchema.parse({ id: 'teacher', name: 'Teacher', role: 'teacher', xaddr: sim.xaddr, user: 'admin', password: 'pw', requestTimeoutMs: 1_000 });
  service = new CameraService([config], { logger, bus });
  await service.start();
  app = fastify();
  app.setErrorHandler((error, _request, reply) => {
    const code = isClasscastError(error) ? error.code : 'INTERNAL';
    reply.status(STATUS[code] ?? 500).send({ error: { code, message: (error as Error).message } });
  });
  cameraRoutes(app, { cameras: service });
  await app.ready();
});

afterEach(async () => {
  await app.close();
  await service.close();
  await sim.close();
  await rm(dataDir, { recursive: true, force: true });
});

async function until(condition: () => boolean, timeoutMs = 10_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!condition()) {
    if (Date.now() > deadline) throw new Error('condition not met in time');
    await new Promise((r) => setTimeout(r, 20));
  }
}

describe('camera API routes', () => {
  it('lists cameras with state, presets and position', async () => {
    const res = await app.inject({ method: 'GET', url: '/cameras' });
    expect(res.statusCode).toBe(200);
    const [camera] = res.json().cameras;
    expect(camera).toMatchObject({ id: 'teacher', state: 'online', moving: false, position: { pan: 0, tilt: 0, zoom: 0 } });
    expect(camera.presets.map((p: { name: string }) => p.name)).toEqual(['Overview', 'Blackboard', 'Lectern']);
    expect(events).toContainEqual(expect.objectContaining({ type: 'camera.state', camera: 'teacher', state: 'online' }));
  });

  it('recalls a preset by name, and the simulated head and picture label follow', async () => {
    const res = await app.inject({ method: 'POST', url: '/cameras/teacher/presets/Blackboard/recall', payload: { speed: 1 } });
    expect(res.statusCode).toBe(200);
    await until(() => events.some((e) => e.type === 'camera.arrived'));
    expect(sim.position()).toEqual({ pan: -0.6, tilt: 0.3, zoom: 0.5 });
    expect(sim.label()).toContain('PRESET Blackboard');
    expect(events).toContainEqual(expect.objectContaining({ type: 'camera.moved', camera: 'teacher', kind: 'preset', target: 'Blackboard' }));
  });

  it('stores the current position as a preset, moves and stops', async () => {
    const move = await app.inject({ method: 'POST', url: '/cameras/teacher/move', payload: { pan: 0.5, tilt: 0, zoom: 0, timeoutMs: 5_000 } });
    expect(move.statusCode).toBe(200);
    await until(() => sim.position().pan > 0.05);
    expect((await app.inject({ method: 'POST', url: '/cameras/teacher/stop' })).statusCode).toBe(200);
    const store = await app.inject({ method: 'PUT', url: '/cameras/teacher/presets/Door' });
    expect(store.statusCode).toBe(200);
    expect(store.json().preset.name).toBe('Door');
    expect(sim.presets().find((p) => p.name === 'Door')!.position!.pan).toBeCloseTo(sim.position().pan, 3);
  });

  it('answers unknown cameras, unknown presets and bad bodies with 4xx', async () => {
    const unknown = await app.inject({ method: 'POST', url: '/cameras/nope/stop' });
    expect([unknown.statusCode, unknown.json().error.code]).toEqual([404, 'NOT_FOUND']);
    const preset = await app.inject({ method: 'POST', url: '/cameras/teacher/presets/Nowhere/recall' });
    expect([preset.statusCode, preset.json().error.code]).toEqual([404, 'PTZ_NO_SUCH_PRESET']);
    const tooFast = await app.inject({ method: 'POST', url: '/cameras/teacher/move', payload: { pan: 2, tilt: 0, zoom: 0 } });
    expect([tooFast.statusCode, tooFast.json().error.code]).toEqual([400, 'BAD_REQUEST']);
    const missing = await app.inject({ method: 'POST', url: '/cameras/teacher/move', payload: { pan: 0.1 } });
    expect(missing.statusCode).toBe(400);
    const badName = await app.inject({ method: 'PUT', url: `/cameras/teacher/presets/${encodeURIComponent('a<b')}` });
    expect(badName.statusCode).toBe(400);
  });

  it('reports an offline camera in the list and 503 for its controls', async () => {
    await sim.suspend();
    await app.inject({ method: 'POST', url: '/cameras/teacher/stop' });
    await until(() => events.some((e) => e.type === 'camera.state' && e.state === 'offline'));
    const list = await app.inject({ method: 'GET', url: '/cameras' });
    expect(list.json().cameras[0]).toMatchObject({ state: 'offline', lastError: { code: 'PTZ_UNREACHABLE' } });
    const res = await app.inject({ method: 'POST', url: '/cameras/teacher/presets/Overview/recall' });
    expect(res.statusCode).toBe(503);
  });
});

describe('stream URIs in API answers', () => {
  it('never carry the camera password', async () => {
    const config = cameraSchema.parse({
      id: 'board', name: 'Board', xaddr: sim.xaddr, user: 'admin', password: 'pw', requestTimeoutMs: 1_000,
      streamUri: 'rtsp://admin:camera-secret@127.0.0.1:554/board',
    });
    const withUri = new CameraService([config], { logger, bus: new EventBus() });
    try {
      const [view] = await withUri.list();
      expect(view!.streamUri).toBe('rtsp://admin:***@127.0.0.1:554/board');
      // The pipeline still gets the real one.
      expect(withUri.streamUri('board')).toContain('camera-secret');
    } finally {
      await withUri.close();
    }
  });
});
