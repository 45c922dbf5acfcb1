import type { AddressInfo } from 'node:net';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import type { FastifyInstance } from 'fastify';
import pino from 'pino';
import type { Page } from 'playwright-core';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { sha256Hex } from '../../config/secrets.ts';
import { auditRoutes } from '../../daemon/api/routes/audit.ts';
import { layoutRoutes } from '../../daemon/api/routes/layout.ts';
import { statusRoutes } from '../../daemon/api/routes/status.ts';
import { buildApiServer } from '../../daemon/api/server.ts';
import { AuditLog } from '../../daemon/audit/audit-log.ts';
import { TokenStore } from '../../daemon/auth/token-store.ts';
import { EventBus } from '../../daemon/events/bus.ts';
import { registerPage } from '../../daemon/http/pages.ts';
import { EventsHub } from '../../daemon/ws/events-hub.ts';
import { SocketRouter } from '../../daemon/ws/socket-router.ts';
import { launchChromium, waitFor } from '../helpers/browser.ts';

const TECH = 'technician-token-for-gestures';
const VIEW = 'viewer-token-for-gestures-00';

/**
 * The console's gestures in real Chromium against the real API server, pages, event socket
 * and audit log; the camera routes here only record what the console sends (the camera
 * side has its own tests), so each stop can be pinned to the gesture that caused it.
 */
describe('console gestures: presets and hold-to-move PTZ', () => {
  let dir: string;
  let app: FastifyInstance;
  let sockets: SocketRouter;
  let hub: EventsHub;
  let base: string;
  let chromium: Awaited<ReturnType<typeof launchChromium>>;
  const calls: string[] = [];

  beforeAll(async () => {
    dir = mkdtempSync(path.join(tmpdir(), 'classcast-console-gestures-'));
    const audit = new AuditLog(dir);
    const tokens = new TokenStore([
      { name: 'tess', role: 'technician', sha256: sha256Hex(TECH) },
      { name: 'vic', role: 'viewer', sha256: sha256Hex(VIEW) },
    ]);
    const bus = new EventBus();
    app = await buildApiServer({ logger: pino({ level: 'silent' }), tokens, audit }, (api) => {
      let layout: 'pip' | 'teacher' = 'pip';
      layoutRoutes(api, { current: () => layout, set: async (l) => void (layout = l as typeof layout) });
      statusRoutes(api, { status: async () => ({ state: 'live', lesson: { title: 'Gestures' } }) });
      auditRoutes(api, { read: (n) => audit.read(n) });
      api.get('/cameras', { config: { role: 'viewer' } }, async () => ({
        cameras: [{ id: 'cam-1', name: 'Front', state: 'online', presets: [{ token: 'board', name: 'Board' }], position: { pan: 0, tilt: 0, zoom: 0 } }],
      }));
      const record = (what: string) => async (request: { url: string; body: unknown }) => {
        calls.push(`${what} ${JSON.stringify(request.body ?? {})}`);
        return {};
      };
      api.post('/cameras/:id/move', { config: { role: 'technician', audit: 'camera.move' } }, record('move'));
      api.post('/cameras/:id/stop', { config: { role: 'technician', audit: 'camera.stop' } }, record('stop'));
      api.post('/cameras/:id/presets/:preset/recall', { config: { role: 'technician', audit: 'camera.preset.recall' } }, record('recall'));
      api.put('/cameras/:id/presets/:preset', { config: { role: 'technician', audit: 'camera.preset.store' } }, record('store'));
    });
    await registerPage(app, 'console');
    await app.listen({ host: '127.0.0.1', port: 0 });
    base = `http://127.0.0.1:${(app.server.address() as AddressInfo).port}`;
    sockets = new SocketRouter(app.server);
    hub = new EventsHub(bus, () => [], pino({ level: 'silent' }));
    const principal = (url: URL) => tokens.authenticate(url.searchParams.get('token') ?? '');
    sockets.add('/ws/events', {
      accept: (_request, url) => (principal(url) ? undefined : 401),
      onConnection: (socket, _request, url) => hub.accept(socket, principal(url)!),
    });
    chromium = await launchChromium();
  }, 60_000);

  afterAll(async () => {
    await chromium?.close();
    sockets?.close();
    hub?.close();
    await app?.close();
    rmSync(dir, { recursive: true, force: true });
  });

  beforeEach(() => {
    calls.length = 0;
  });

  async function open(token = TECH): Promise<Page> {
    const page = await chromium.browser.newPage({ viewport: { width: 1280, height: 900 } });
    await page.goto(`${base}/console/?token=${token}`);
    await page.waitForSelector('[data-camera="cam-1"] [data-preset="board"]');
    await waitFor(() => page.evaluate(() => (window as unknown as { classcastConsole: { connected: () => boolean } }).classcastConsole.connected()), Boolean, 10_000, 'events socket');
    return page;
  }

  // A held move is repeated every 400 ms (each with a 1 s timeout); repeats collapse to one.
  const collapsed = () => calls.filter((c, i) => !(c.startsWith('move') && calls[i - 1] === c));
  const settled = (n: number) => waitFor(async () => collapsed(), (c) => c.length >= n, 5000, `${n} camera calls`);

  it('takes the token out of the address bar and keeps it for the session', async () => {
    const page = await open();
    expect(page.url()).toBe(`${base}/console/`);
    await page.reload();
    await page.waitForSelector('[data-camera="cam-1"]');
    expect(await page.locator('#login').isHidden()).toBe(true);
    await page.close();
  });

  it('recalls a preset on tap and stores one only after a long press and a confirm', async () => {
    const page = await open();
    await page.locator('[data-preset="board"]').click();
    expect(await settled(1)).toEqual(['recall {}']);
    await page.locator('[data-preset="board"]').scrollIntoViewIfNeeded();
    const box = (await page.locator('[data-preset="board"]').boundingBox())!;
    await page.mouse.move(box.x + box.width / 2, box.y + box.height / 2);
    await page.mouse.down();
    await page.locator('[data-confirm-store="board"]').waitFor({ state: 'visible' });
    await page.mouse.up();
    expect(calls).toEqual(['recall {}']);
    await page.locator('[data-confirm-store="board"]').click();
    expect(await settled(2)).toEqual(['recall {}', 'store {}']);
    await page.close();
  });

  it('moves while held and stops on release, on leaving the button, on page hide and on a lost connection', async () => {
    const page = await open();
    const right = page.locator('[data-ptz="right"]');
    await right.scrollIntoViewIfNeeded();
    const box = (await right.boundingBox())!;
    const press = async () => {
      await page.mouse.move(box.x + box.width / 2, box.y + box.height / 2);
      await page.mouse.down();
    };

    await press();
    await settled(1);
    expect(calls[0]).toBe('move {"pan":0.5,"tilt":0,"zoom":0,"timeoutMs":1000}');
    // Held for a while: the move is repeated, so the camera's own 1 s timeout never ends it early.
    await waitFor(async () => calls.length, (n) => n >= 3, 5000, 'repeated moves');
    expect(calls.slice(0, 3)).toEqual([calls[0], calls[0], calls[0]]);
    await page.mouse.up();
    expect(await settled(2)).toEqual([calls[0], 'stop {}']);

    await press();
    await settled(3);
    await page.mouse.move(box.x + box.width * 3, box.y + box.height * 3);
    expect((await settled(4))[3]).toBe('stop {}');
    await page.mouse.up();

    await press();
    await settled(5);
    await page.evaluate(() => {
      Object.defineProperty(document, 'visibilityState', { value: 'hidden', configurable: true });
      document.dispatchEvent(new Event('visibilitychange'));
    });
    expect((await settled(6))[5]).toBe('stop {}');
    await page.mouse.up();
    await page.evaluate(() => {
      Object.defineProperty(document, 'visibilityState', { value: 'visible', configurable: true });
    });

    await press();
    await settled(7);
    hub.close(); // the daemon side drops every events socket
    expect((await settled(8))[7]).toBe('stop {}');
    await page.mouse.up();
    // Nothing after the last stop: no repeat outlives its hold.
    const count = calls.length;
    const since = Date.now();
    await waitFor(async () => Date.now() - since, (ms) => ms >= 1000, 3000, 'two repeat intervals');
    expect(calls).toHaveLength(count);
    expect(calls.at(-1)).toBe('stop {}');
    expect(collapsed()).toHaveLength(8);
    await page.close();
  });

  it('shows a viewer everything but sends no control', async () => {
    const page = await open(VIEW);
    await waitFor(() => page.evaluate(() => document.body.classList.contains('read-only')), Boolean, 5000, 'read-only mode');
    await page.locator('[data-preset="board"]').click({ force: true });
    await page.locator('[data-layout="teacher"]').click({ force: true });
    await new Promise((r) => setTimeout(r, 300));
    expect(calls).toEqual([]);
    await page.close();
  });
});
