import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import pino from 'pino';
import fc from 'fast-check';
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import WebSocket from 'ws';
import { startDemo, type RunningDemo } from '../../daemon/demo/demo.ts';

// Observe every route as it is added to the /api scope (an onRoute hook put in before the
// route modules run), so no route escapes the walk.
const seen = vi.hoisted(() => ({ routes: [] as { method: string; path: string; role?: string }[] }));
vi.mock('../../daemon/api/server.ts', async (importOriginal) => {
  const original = await importOriginal<typeof import('../../daemon/api/server.ts')>();
  return {
    ...original,
    buildApiServer: (options: Parameters<typeof original.buildApiServer>[0], registerApi: Parameters<typeof original.buildApiServer>[1]) =>
      original.buildApiServer(options, async (api) => {
        api.addHook('onRoute', (route) => {
          for (const method of [route.method].flat()) {
            if (method !== 'HEAD') seen.routes.push({ method, path: route.url, role: route.config?.role });
          }
        });
        await registerApi(api);
      }),
  };
});

/** GET routes a viewer may not read (everything else that is not GET needs a technician). */
// The audit log, and a talk-back room's picture (a classroom's camera is not for every viewer).
const TECHNICIAN_ONLY_GETS = new Set(['/api/audit', '/api/talkback/:id/preview']);

interface Route {
  method: string;
  path: string;
  role?: string;
}

/** A concrete URL for a route pattern: every parameter filled with an id nobody has. */
function unknownUrl(route: Route): string {
  return route.path.replace(/:[A-Za-z]+/g, 'no-such-thing').replace(/\*$/, 'no-such-lesson/index.m3u8');
}

describe('every API route and socket, with every kind of credential and malformed input', () => {
  let demo: RunningDemo;
  let dir: string;
  let base: string;
  let routes: Route[];
  const tokens = { technician: '', viewer: '', member: '', expired: '' };

  beforeAll(async () => {
    dir = mkdtempSync(path.join(tmpdir(), 'classcast-api-walk-'));
    demo = await startDemo({ port: 0, dataDir: dir, logger: pino({ level: 'silent' }) });
    base = demo.info.apiBase;
    tokens.technician = demo.info.technicianToken;
    tokens.viewer = demo.info.viewerToken;
    const room = demo.daemon.config.site.classroom;
    tokens.member = demo.daemon.joinTokens.issue('walk member', room, 60).token;
    tokens.expired = demo.daemon.joinTokens.issue('walk member', room, -1).token;
    routes = seen.routes.filter((r) => r.path.startsWith('/api/'));
  }, 120_000);

  afterAll(async () => {
    await demo?.close();
    rmSync(dir, { recursive: true, force: true });
  });

  async function call(route: Route, url: string, token?: string, body?: { type: string; text: string }) {
    const response = await fetch(`${base}${url}`, {
      method: route.method,
      headers: {
        ...(token !== undefined ? { authorization: `Bearer ${token}` } : {}),
        ...(body ? { 'content-type': body.type } : {}),
      },
      body: body?.text,
    });
    const text = await response.text();
    let json: { error?: { code?: string; message?: string } } | undefined;
    try {
      json = JSON.parse(text);
    } catch {
      json = undefined;
    }
    return { status: response.status, json, text };
  }

  function expectError(answer: { status: number; json?: { error?: { code?: string; message?: string } }; text: string }, status: number, code: string, what: string) {
    expect({ what, status: answer.status, code: answer.json?.error?.code }).toEqual({ what, status, code });
    expect(typeof answer.json?.error?.message, what).toBe('string');
  }

  it('finds the routes of DESIGN.md in the app', () => {
    const names = routes.map((r) => `${r.method} ${r.path}`);
    // The app's own table agrees: every observed route is really there.
    for (const r of routes) expect(demo.daemon.app!.hasRoute({ method: r.method as 'GET', url: r.path }), `${r.method} ${r.path}`).toBe(true);
    const design = [
      'GET /api/status',
      'GET /api/cameras',
      'POST /api/cameras/:id/presets/:preset/recall',
      'PUT /api/cameras/:id/presets/:preset',
      'POST /api/cameras/:id/move',
      'POST /api/cameras/:id/stop',
      'GET /api/audio',
      'PATCH /api/audio/:channel',
      'GET /api/layout',
      'PUT /api/layout',
      'GET /api/program',
      'PUT /api/program',
      'GET /api/talkback',
      'POST /api/talkback/:id/accept',
      'POST /api/talkback/:id/end',
      'POST /api/broadcast/start',
      'POST /api/broadcast/stop',
      'GET /api/schedule',
      'POST /api/join-tokens',
      'GET /api/audit',
      'GET /api/recordings',
    ];
    for (const expected of design) expect(names).toContain(expected);
    // Every route says who may call it; the auth hook lets a route without a role through.
    expect(routes.filter((r) => r.role !== 'technician' && r.role !== 'viewer')).toEqual([]);
    // Reads are for viewers, everything else needs a technician (and is listed here if not).
    expect(routes.filter((r) => r.method !== 'GET' && r.role !== 'technician')).toEqual([]);
    expect(routes.filter((r) => r.method === 'GET' && r.role === 'technician').map((r) => r.path).sort()).toEqual([...TECHNICIAN_ONLY_GETS].sort());
  });

  it('refuses every route without a token, with a wrong one, with a member-classroom token and with an expired one', async () => {
    for (const route of routes) {
      const url = unknownUrl(route);
      const body = route.method === 'GET' ? undefined : { type: 'application/json', text: '{}' };
      expectError(await call(route, url, undefined, body), 401, 'UNAUTHORIZED', `${route.method} ${route.path} without token`);
      expectError(await call(route, url, 'not-a-token-at-all-xxxxxxxx', body), 401, 'UNAUTHORIZED', `${route.method} ${route.path} wrong token`);
      expectError(await call(route, url, tokens.member, body), 401, 'UNAUTHORIZED', `${route.method} ${route.path} member token`);
      expectError(await call(route, url, tokens.expired, body), 401, 'UNAUTHORIZED', `${route.method} ${route.path} expired token`);
    }
  }, 60_000);

  it('lets a viewer read status but change nothing', async () => {
    for (const route of routes) {
      const url = unknownUrl(route);
      const what = `${route.method} ${route.path} as viewer`;
      if (route.method === 'GET' && !TECHNICIAN_ONLY_GETS.has(route.path)) {
        const answer = await call(route, url, tokens.viewer);
        if (url.includes('no-such')) expectError(answer, 404, answer.json?.error?.code === 'NOT_FOUND' ? 'NOT_FOUND' : 'BAD_REQUEST', what);
        else expect({ what, status: answer.status }).toEqual({ what, status: 200 });
      } else {
        const body = route.method === 'GET' ? undefined : { type: 'application/json', text: '{}' };
        expectError(await call(route, url, tokens.viewer, body), 403, 'FORBIDDEN', what);
      }
    }
  }, 60_000);

  it('answers malformed, oversized and non-JSON bodies and unknown ids with a 4xx and a JSON error', async () => {
    const writes = routes.filter((r) => r.method !== 'GET');
    expect(writes.length).toBeGreaterThan(0);
    for (const route of writes) {
      const url = unknownUrl(route);
      const name = `${route.method} ${route.path}`;
      expectError(await call(route, url, tokens.technician, { type: 'application/json', text: '{"layout": ' }), 400, 'BAD_REQUEST', `${name} broken JSON`);
      expectError(await call(route, url, tokens.technician, { type: 'text/plain', text: 'layout=pip' }), 415, 'UNSUPPORTED_MEDIA_TYPE', `${name} text/plain`);
      expectError(await call(route, url, tokens.technician, { type: 'application/x-www-form-urlencoded', text: 'a=b' }), 415, 'UNSUPPORTED_MEDIA_TYPE', `${name} form`);
      const huge = JSON.stringify({ title: 'x'.repeat(200_000) });
      expectError(await call(route, url, tokens.technician, { type: 'application/json', text: huge }), 413, 'PAYLOAD_TOO_LARGE', `${name} huge`);
      const odd = await call(route, url, tokens.technician, { type: 'application/json', text: '{"bogus": true, "pan": "fast", "gainDb": "loud"}' });
      // Either the body is refused (400) or, first, the id in the path is unknown (404).
      expect({ name, status: odd.status }).toEqual({ name, status: route.path.includes(':') || route.path.endsWith('*') ? expect.any(Number) : 400 });
      expect([400, 404], `${name} odd body: ${odd.text}`).toContain(odd.status);
      expect(odd.json?.error?.code, name).toMatch(/^(BAD_REQUEST|NOT_FOUND|PTZ_NO_SUCH_PRESET)$/);
    }
  }, 60_000);

  it('validates the bodies of the control routes field by field', async () => {
    const t = tokens.technician;
    const json = (text: string) => ({ type: 'application/json', text });
    const put = { method: 'PUT', path: '' };
    const post = { method: 'POST', path: '' };
    expectError(await call(put, '/api/layout', t, json('{"layout":"fullscreen-cat"}')), 400, 'BAD_REQUEST', 'unknown layout');
    expectError(await call(post, '/api/join-tokens', t, json('{"classroom":"","minutes":5}')), 400, 'BAD_REQUEST', 'empty classroom');
    expectError(await call(post, '/api/join-tokens', t, json('{"classroom":"a","minutes":-3}')), 400, 'BAD_REQUEST', 'negative minutes');
    expectError(await call(post, '/api/join-tokens', t, json('[1,2,3]')), 400, 'BAD_REQUEST', 'array body');
    expect((await call(put, '/api/layout', t, json('{"layout":"side-by-side"}'))).status).toBe(200);
    if (routes.some((r) => r.path === '/api/audio/:channel')) {
      const patch = { method: 'PATCH', path: '' };
      expectError(await call(patch, '/api/audio/teacher', t, json('{"gainDb":"loud"}')), 400, 'BAD_REQUEST', 'gain as text');
      expectError(await call(patch, '/api/audio/teacher', t, json('{"gainDb":99}')), 400, 'BAD_REQUEST', 'gain out of range');
      expectError(await call(patch, '/api/audio/teacher', t, json('{}')), 400, 'BAD_REQUEST', 'empty patch');
    }
    if (routes.some((r) => r.path === '/api/cameras/:id/move')) {
      expectError(await call(post, '/api/cameras/teacher-cam/move', t, json('{"pan":5,"tilt":0,"zoom":0}')), 400, 'BAD_REQUEST', 'pan out of range');
    }
    if (routes.some((r) => r.path === '/api/recordings/files/*')) {
      const get = { method: 'GET', path: '' };
      const escape = await call(get, '/api/recordings/files/..%2F..%2Faudit.log', t);
      expect([400, 404]).toContain(escape.status);
      expect(escape.text).not.toContain('"action"');
    }
  });

  it('answers unknown routes and methods with 404 and a JSON error', async () => {
    const get = { method: 'GET', path: '' };
    expectError(await call(get, '/api/no-such-route', tokens.technician), 404, 'NOT_FOUND', 'unknown route');
    expectError(await call({ method: 'DELETE', path: '' }, '/api/status', tokens.technician), 404, 'NOT_FOUND', 'unknown method');
    expectError(await call(get, '/nowhere', undefined), 404, 'NOT_FOUND', 'unknown page');
  });

  function openSocket(pathAndQuery: string, headers: Record<string, string> = {}) {
    const socket = new WebSocket(`${base.replace(/^http/, 'ws')}${pathAndQuery}`, { headers });
    const frames: Record<string, unknown>[] = [];
    socket.on('message', (data) => frames.push(JSON.parse(String(data)) as Record<string, unknown>));
    const opened = new Promise<void>((resolve, reject) => {
      socket.once('open', () => resolve());
      socket.once('error', reject);
    });
    const refused = new Promise<{ status: number; body: string }>((resolve) => {
      socket.once('unexpected-response', (_request, response) => {
        let body = '';
        response.on('data', (chunk: Buffer) => (body += chunk.toString()));
        response.on('end', () => resolve({ status: response.statusCode ?? 0, body }));
      });
    });
    const closed = new Promise<{ code: number }>((resolve) => socket.once('close', (code) => resolve({ code })));
    return { socket, frames, opened, refused, closed };
  }

  async function frame(frames: Record<string, unknown>[], accept: (f: Record<string, unknown>) => boolean, what: string) {
    const deadline = Date.now() + 5000;
    for (;;) {
      const found = frames.find(accept);
      if (found) return found;
      if (Date.now() > deadline) throw new Error(`no ${what}; got ${JSON.stringify(frames)}`);
      await new Promise((r) => setTimeout(r, 20));
    }
  }

  it('puts any camera on program through the API, and tells the console of each change', async () => {
    const t = tokens.technician;
    const json = (text: string) => ({ type: 'application/json', text });
    const put = { method: 'PUT', path: '/api/program' };
    const events = openSocket(`/ws/events?token=${encodeURIComponent(t)}`);
    await events.opened;
    const listed = await call({ method: 'GET', path: '' }, '/api/program', tokens.viewer);
    // The demo's cameras, and its talk-back place (a room on air takes it).
    expect(listed.json).toMatchObject({ sources: ['teacher-cam', 'students-cam', 'talkback-1'], main: 'teacher-cam', second: 'students-cam' });
    const cut = await call(put, '/api/program', t, json('{"source":"students-cam"}'));
    expect(cut.json).toEqual({ layout: 'students', main: 'teacher-cam', second: 'students-cam' });
    await frame(events.frames, (f) => f.type === 'program.changed' && f.layout === 'students', 'the cut on /ws/events');
    const swapped = await call(put, '/api/program', t, json('{"layout":"pip","main":"students-cam","second":"teacher-cam"}'));
    expect(swapped.json).toEqual({ layout: 'pip', main: 'students-cam', second: 'teacher-cam' });
    expect(demo.daemon.studio.pipeline?.program).toEqual({ layout: 'pip', main: 'students-cam', second: 'teacher-cam' });
    // Bad changes are refused and change nothing.
    expectError(await call(put, '/api/program', t, json('{"source":"hall-cam"}')), 404, 'NOT_FOUND', 'unknown source');
    expectError(await call(put, '/api/program', t, json('{"main":"teacher-cam","layout":"mosaic"}')), 400, 'BAD_REQUEST', 'unknown layout');
    expectError(await call(put, '/api/program', t, json('{}')), 400, 'BAD_REQUEST', 'empty change');
    expectError(await call(put, '/api/program', t, json('{"source":"teacher-cam","layout":"pip"}')), 400, 'BAD_REQUEST', 'a cut with more');
    expect(demo.daemon.studio.program).toEqual({ layout: 'pip', main: 'students-cam', second: 'teacher-cam' });
    expect((await call(put, '/api/program', t, json('{"layout":"pip","main":"teacher-cam","second":"students-cam"}'))).status).toBe(200);
    events.socket.close();
    await events.closed;
  });

  it('refuses /ws/events without a valid technician or viewer token, with a JSON error', async () => {
    for (const [what, query] of [
      ['no token', ''],
      ['wrong token', '?token=not-a-token-at-all-xxxxxxxx'],
      ['member token', `?token=${encodeURIComponent(tokens.member)}`],
      ['expired token', `?token=${encodeURIComponent(tokens.expired)}`],
    ] as const) {
      const s = openSocket(`/ws/events${query}`);
      s.opened.catch(() => undefined);
      const refusal = await s.refused;
      expect({ what, status: refusal.status }).toEqual({ what, status: 401 });
      expect(JSON.parse(refusal.body)).toMatchObject({ error: { code: 'UNAUTHORIZED' } });
    }
    const nowhere = openSocket(`/ws/nowhere?token=${tokens.technician}`);
    nowhere.opened.catch(() => undefined);
    expect((await nowhere.refused).status).toBe(404);
  });

  it('takes only pings on /ws/events and answers anything else with an error frame', async () => {
    for (const [role, headers] of [
      ['viewer', { authorization: `Bearer ${tokens.viewer}` }],
      ['technician', { authorization: `Bearer ${tokens.technician}` }],
    ] as const) {
      const s = openSocket('/ws/events', headers);
      await s.opened;
      expect(await frame(s.frames, (f) => f.type === 'hello', 'hello')).toMatchObject({ role });
      await frame(s.frames, (f) => f.type === 'broadcast.state', 'state snapshot');
      s.socket.send('{"type":"ping"}');
      await frame(s.frames, (f) => f.type === 'pong', 'pong');
      s.socket.send('not json');
      s.socket.send('{"type":"stop-broadcast"}');
      s.socket.send(Buffer.from([1, 2, 3]), { binary: true });
      const deadline = Date.now() + 5000;
      while (s.frames.filter((f) => f.type === 'error').length < 3 && Date.now() < deadline) await new Promise((r) => setTimeout(r, 20));
      expect(s.frames.filter((f) => f.type === 'error').map((f) => (f.error as { code: string }).code)).toEqual(['BAD_REQUEST', 'BAD_REQUEST', 'BAD_REQUEST']);
      expect(s.socket.readyState).toBe(WebSocket.OPEN);
      s.socket.close();
      await s.closed;
    }
  });

  it('closes a socket that sends an oversized frame (1009) or floods (1008)', async () => {
    const big = openSocket('/ws/events', { authorization: `Bearer ${tokens.technician}` });
    await big.opened;
    big.socket.send(JSON.stringify({ type: 'ping', pad: 'x'.repeat(100_000) }));
    expect((await big.closed).code).toBe(1009);

    const flood = openSocket('/ws/events', { authorization: `Bearer ${tokens.technician}` });
    await flood.opened;
    for (let i = 0; i < 200; i++) flood.socket.send('{"type":"ping"}');
    expect((await flood.closed).code).toBe(1008);

    const sfu = openSocket('/ws/sfu');
    await sfu.opened;
    sfu.socket.send(JSON.stringify({ id: 1, method: 'join', data: { token: 'x'.repeat(100_000) } }));
    expect((await sfu.closed).code).toBe(1009);
  });

  it('lets /ws/sfu reach a room only with a valid, unexpired member-classroom token', async () => {
    const s = openSocket('/ws/sfu');
    await s.opened;
    const ask = async (id: number, method: string, data: unknown) => {
      s.socket.send(JSON.stringify({ id, method, data }));
      return frame(s.frames, (f) => f.id === id, `answer ${id}`);
    };
    expect(await ask(1, 'createTransport', {})).toMatchObject({ ok: false, error: { code: 'UNAUTHORIZED' } });
    expect(await ask(2, 'join', { token: tokens.technician })).toMatchObject({ ok: false, error: { code: 'UNAUTHORIZED' } });
    expect(await ask(3, 'join', { token: tokens.viewer })).toMatchObject({ ok: false, error: { code: 'UNAUTHORIZED' } });
    expect(await ask(4, 'join', { token: tokens.expired })).toMatchObject({ ok: false, error: { code: 'FORBIDDEN' } });
    expect(await ask(5, 'join', {})).toMatchObject({ ok: false, error: { code: 'BAD_REQUEST' } });
    expect(await ask(6, 'launch', { token: tokens.member })).toMatchObject({ ok: false, error: { code: 'BAD_REQUEST' } });
    s.socket.send('not json');
    await frame(s.frames, (f) => f.id === null && f.ok === false, 'error for a non-JSON frame');
    expect(await ask(7, 'join', { token: tokens.member })).toMatchObject({ ok: true, data: { classroom: 'walk member' } });
    s.socket.close();
    await s.closed;
  });

  it('takes a JSON content type with no body as no body, and refuses broken JSON with a 400', async () => {
    const recall = (body?: string) =>
      fetch(`${base}/api/cameras/teacher-cam/presets/overview/recall`, {
        method: 'POST',
        headers: { authorization: `Bearer ${tokens.technician}`, 'content-type': 'application/json' },
        ...(body !== undefined ? { body } : {}),
      });
    expect((await recall()).status).toBe(200);
    expect((await recall('')).status).toBe(200);
    const broken = await recall('{"speed": ');
    expect(broken.status).toBe(400);
    expect(await broken.json()).toMatchObject({ error: { code: 'BAD_REQUEST' } });
  });

  it('answers any JSON body on any control route with a success or a 4xx and a JSON error, never a 5xx (fuzzed)', async () => {
    // Lesson and timetable routes are left out: a valid body there would end the lesson the
    // other tests here play. Ids in paths are real ones, so handlers run past the lookup.
    const writes = routes.filter((r) => r.method !== 'GET' && !/^\/api\/(broadcast|schedule)\b/.test(r.path));
    const real = (route: Route) =>
      route.path.replace(':id', 'teacher-cam').replace(':preset', 'overview').replace(':channel', 'teacher').replace(/:[A-Za-z]+/g, 'x');
    const body = fc.oneof(
      fc.json({ maxDepth: 3 }),
      fc.record({ layout: fc.string(), gainDb: fc.oneof(fc.double(), fc.string()), muted: fc.anything(), pan: fc.double(), tilt: fc.double(), zoom: fc.double(), timeoutMs: fc.oneof(fc.integer(), fc.double()), speed: fc.anything(), classroom: fc.string(), minutes: fc.oneof(fc.integer(), fc.double()), paused: fc.anything(), name: fc.string(), source: fc.string(), main: fc.string(), second: fc.string() }, { requiredKeys: [] }).map((v) => JSON.stringify(v)),
    );
    await fc.assert(
      fc.asyncProperty(fc.constantFrom(...writes), body, async (route, text) => {
        const answer = await call(route, real(route), tokens.technician, { type: 'application/json', text });
        expect(answer.status, `${route.method} ${route.path} ${text}: ${answer.text}`).toBeLessThan(500);
        if (answer.status >= 400) expect(typeof answer.json?.error?.code, answer.text).toBe('string');
      }),
      { numRuns: 150 },
    );
  }, 60_000);

  it('never shows a camera password, not even inside a stream URI', async () => {
    const response = await fetch(`${base}/api/cameras`, { headers: { authorization: `Bearer ${tokens.viewer}` } });
    const text = await response.text();
    const password = demo.daemon.config.cameras[0]!.password!;
    expect(password.length).toBeGreaterThan(0);
    expect(text).not.toContain(password);
  });

  it('hands over to the next lesson at its bell: its set-up applied, voice tracking paused meanwhile, its own recording', async () => {
    const director = demo.daemon.director!;
    // Each pause (earlier tests moved cameras by hand) ends a fixed time after it began.
    const before = director.status.pausedUntil ?? 0;
    await demo.daemon.broadcast.goLive({ id: 'next-lesson', title: 'Next lesson', part: 1, presets: { 'teacher-cam': 'desk' }, layout: 'side-by-side' });
    expect(demo.daemon.broadcast.lesson?.id).toBe('next-lesson');
    expect(demo.daemon.studio.layout).toBe('side-by-side');
    expect(director.status.pausedUntil).toBeGreaterThan(before);
    // The recording moved on to the new lesson (it refused with CONFLICT before).
    expect(demo.daemon.studio.pipeline?.recording).toEqual({ lessonId: 'next-lesson', part: 1 });
  });
});

