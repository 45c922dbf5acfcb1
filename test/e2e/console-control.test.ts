import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import onvif from 'onvif';
import pino from 'pino';
import type { Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startDemo, type RunningDemo } from '../../daemon/demo/demo.ts';
import { launchChromium, waitFor } from '../helpers/browser.ts';


interface PtzStatus {
  position: { x: number; y: number; zoom: number };
  moveStatus: { panTilt: string; zoom: string };
}

/** ONVIF GetStatus through the `onvif` package, not through classcast's own driver. */
async function onvifStatus(xaddr: string, password: string): Promise<() => Promise<PtzStatus>> {
  const url = new URL(xaddr);
  type Cam = { getStatus: (o: object, cb: (e: Error | null, s: PtzStatus) => void) => void };
  const CamClass = (onvif as unknown as { Cam: new (o: object, cb: (e: Error | null) => void) => Cam }).Cam;
  const cam = await new Promise<Cam>((resolve, reject) => {
    const c: Cam = new CamClass(
      { hostname: url.hostname, port: Number(url.port), path: url.pathname, username: 'admin', password, timeout: 5000 },
      (error) => (error ? reject(error) : resolve(c)),
    );
  });
  return () => new Promise((resolve, reject) => cam.getStatus({}, (error, status) => (error ? reject(error) : resolve(status))));
}

const near = (a: number, b: number) => Math.abs(a - b) < 0.02;

describe('technician console against the running demo, in Chromium', () => {
  let demo: RunningDemo;
  let dir: string;
  let secrets: { technicianToken: string; cameraPassword: string };
  let chromium: Awaited<ReturnType<typeof launchChromium>>;
  let page: Page;

  const api = async <T>(url: string): Promise<T> => {
    const response = await fetch(`${demo.info.apiBase}/api${url}`, { headers: { authorization: `Bearer ${secrets.technicianToken}` } });
    expect(response.status, url).toBe(200);
    return (await response.json()) as T;
  };

  beforeAll(async () => {
    dir = mkdtempSync(path.join(tmpdir(), 'classcast-console-e2e-'));
    demo = await startDemo({ port: 0, dataDir: dir, logger: pino({ level: 'silent' }) });
    // The camera password (from the config the demo built) lets an independent ONVIF client
    // ask the simulated camera where it is.
    secrets = { technicianToken: demo.info.technicianToken, cameraPassword: demo.daemon.config.cameras[0]!.password };
    chromium = await launchChromium();
    page = await chromium.browser.newPage({ viewport: { width: 1280, height: 900 } });
    // Log in through the form, as a technician at the classroom screen would.
    await page.goto(`${demo.info.apiBase}/console/`);
    await page.locator('#login-token').fill(secrets.technicianToken);
    await page.locator('#login-form button[type="submit"]').click();
    await page.locator('#app').waitFor({ state: 'visible' });
  }, 120_000);

  afterAll(async () => {
    await chromium?.close();
    await demo?.close();
    if (dir) rmSync(dir, { recursive: true, force: true });
  });

  it('shows the live program through the SFU with its own join token', async () => {
    const preview = await waitFor(
      () =>
        page.evaluate(async () => {
          const c = (window as unknown as { classcastConsole: { preview: () => { phase: string }; stats: () => Promise<Record<string, unknown>[]> } }).classcastConsole;
          const frames = (await c.stats()).filter((s) => s.type === 'inbound-rtp' && s.kind === 'video').reduce((n, s) => n + Number(s.framesDecoded ?? 0), 0);
          return { phase: c.preview().phase, frames };
        }),
      (p) => p.phase === 'live' && p.frames >= 10,
      45_000,
      'preview frames',
    );
    expect(preview.phase).toBe('live');
  }, 60_000);

  it('moves the camera to a preset the technician taps', async () => {
    const camera = demo.cameras.find((c) => c.id === 'teacher-cam')!;
    const status = await onvifStatus(camera.xaddr, secrets.cameraPassword);
    type Cam = { id: string; presets: { token: string; name: string }[] };
    const listed = (await api<{ cameras: Cam[] }>('/cameras')).cameras.find((c) => c.id === camera.id)!;
    expect(listed.presets.length).toBeGreaterThanOrEqual(2);
    const [a, b] = listed.presets as [Cam['presets'][number], Cam['presets'][number]];
    const card = page.locator(`[data-camera="${camera.id}"]`);
    const button = (token: string) => card.locator(`button.preset[data-preset="${token}"]`);
    await button(a.token).waitFor({ state: 'visible', timeout: 20_000 });
    const still = (s: PtzStatus) => s.moveStatus.panTilt === 'IDLE' && s.moveStatus.zoom === 'IDLE';

    // Tap A, then B, then A again: the camera (asked over ONVIF by another client) ends up
    // where A is each time, and somewhere else in between.
    const recalls = async () =>
      (await api<{ entries: { action: string; result: string }[] }>('/audit?limit=200')).entries.filter((e) => e.action === 'camera.preset.recall' && e.result === 'ok').length;
    const at = async (token: string, what: string) => {
      const before = await recalls();
      await button(token).click();
      // The recall must have been answered before "still" counts, or we would read the old position.
      await waitFor(recalls, (n) => n > before, 10_000, `recall of ${what} answered`);
      await waitFor(status, still, 20_000, `camera still at ${what}`);
      return (await status()).position;
    };
    const first = await at(a.token, a.name);
    const other = await at(b.token, b.name);
    expect(Math.abs(other.x - first.x) + Math.abs(other.y - first.y) + Math.abs(other.zoom - first.zoom)).toBeGreaterThan(0.05);
    const back = await at(a.token, a.name);
    expect(near(back.x, first.x) && near(back.y, first.y) && near(back.zoom, first.zoom), JSON.stringify({ first, back })).toBe(true);
    const api2 = (await api<{ cameras: { id: string; position?: { pan: number; tilt: number } }[] }>('/cameras')).cameras.find((c) => c.id === camera.id)!;
    if (api2.position) expect(near(api2.position.pan, back.x) && near(api2.position.tilt, back.y)).toBe(true);
    const startX = back.x;

    // Hold an arrow on the pad: the camera pans while held and stops on release.
    const toRight = startX < 0.5;
    const right = card.locator(`[data-ptz="${toRight ? 'right' : 'left'}"]`);
    await right.scrollIntoViewIfNeeded();
    const box = (await right.boundingBox())!;
    await page.mouse.move(box.x + box.width / 2, box.y + box.height / 2);
    await page.mouse.down();
    await waitFor(status, (s) => (toRight ? s.position.x > startX + 0.05 : s.position.x < startX - 0.05), 10_000, 'camera panning');
    await page.mouse.up();
    const stopped = await waitFor(status, (s) => s.moveStatus.panTilt === 'IDLE', 10_000, 'camera stopped');
    // Still there half a second later: nothing kept it turning.
    const since = Date.now();
    const later = await waitFor(async () => ({ s: await status(), t: Date.now() }), (v) => v.t - since >= 500, 5000, 'a later reading');
    expect(later.s.position.x).toBeCloseTo(stopped.position.x, 3);
  }, 60_000);

  it('puts a camera on program from its button; a cut made elsewhere shows there too', async () => {
    await page.locator('[data-source="students-cam"]').click();
    const program = await waitFor(() => api<{ layout: string; second: string }>('/program'), (p) => p.layout === 'students', 10_000, 'the students camera on program');
    expect(program.second).toBe('students-cam');
    await waitFor(() => page.locator('[data-source="students-cam"]').getAttribute('aria-pressed'), (v) => v === 'true', 5000, 'its button pressed');
    // Voice tracking's cut (the same studio) reaches the console through /ws/events.
    await demo.daemon.studio.cut('teacher-cam');
    await waitFor(() => page.locator('[data-source="teacher-cam"]').getAttribute('aria-pressed'), (v) => v === 'true', 5000, 'the teacher camera pressed');
    expect(await page.locator('[data-source="students-cam"]').getAttribute('aria-pressed')).toBe('false');
    expect(await page.locator('[data-layout="teacher"]').getAttribute('aria-pressed')).toBe('true');
  }, 60_000);

  it('mutes a channel from its strip and the mix follows', async () => {
    type Channel = { id: string; muted: boolean; levelDb: number | null };
    const before = (await api<{ channels: Channel[] }>('/audio')).channels;
    const channel = before.find((c) => !c.muted)!;
    expect(channel).toBeDefined();
    // Let the meter settle on the tone first, when the mix meters its channels.
    const loud = await waitFor(
      async () => (await api<{ channels: Channel[] }>('/audio')).channels.find((c) => c.id === channel.id)!,
      (c) => c.levelDb === null || c.levelDb > -40,
      15_000,
      'channel level',
    );
    await page.locator(`[data-mute="${channel.id}"]`).click();
    const muted = await waitFor(
      async () => (await api<{ channels: Channel[] }>('/audio')).channels.find((c) => c.id === channel.id)!,
      (c) => c.muted && (loud.levelDb === null || c.levelDb === null || c.levelDb < loud.levelDb - 20),
      15_000,
      'channel muted and quieter',
    );
    expect(muted.muted).toBe(true);
    await waitFor(() => page.locator(`[data-channel="${channel.id}"]`).getAttribute('class'), (c) => Boolean(c?.includes('is-muted')), 5000, 'strip shows muted');
    const others = (await api<{ channels: Channel[] }>('/audio')).channels.filter((c) => c.id !== channel.id);
    for (const other of others) expect(other.muted).toBe(before.find((c) => c.id === other.id)!.muted);

    const { entries } = await api<{ entries: { action: string; target?: string; who: string; result: string }[] }>('/audit?limit=50');
    expect(entries).toContainEqual(expect.objectContaining({ who: 'demo technician', action: 'audio.update', target: channel.id, result: 'ok' }));
  }, 60_000);
});
