import type { Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { launchChromium, receivedMedia, waitFor } from '../helpers/browser.ts';
import { startDemoProcess, type DemoProcess } from '../helpers/demo-process.ts';
import { descendants, isAlive } from '../helpers/processes.ts';

interface ClassroomStatus {
  name: string;
  workerIndex: number;
  bitrateKbps: number;
  roundTripMs?: number;
  lossPercent: number;
  videoLayer?: number;
}

/**
 * Several member classrooms in one Chromium follow the demo broadcast; then a mediasoup
 * worker is killed mid-lesson and every page comes back by itself.
 */
describe('member classrooms through the SFU', () => {
  let demo: DemoProcess;
  let chromium: Awaited<ReturnType<typeof launchChromium>>;
  const pages: Page[] = [];

  const api = async (path: string, init: RequestInit = {}) =>
    fetch(`${demo.info.apiBase}${path}`, {
      ...init,
      headers: { authorization: `Bearer ${demo.info.technicianToken}`, 'content-type': 'application/json', ...init.headers },
    });

  const classrooms = async () => ((await (await api('/api/status')).json()) as { classrooms: ClassroomStatus[] }).classrooms;

  beforeAll(async () => {
    demo = await startDemoProcess();
    chromium = await launchChromium();
  }, 120_000);

  afterAll(async () => {
    await chromium?.close();
    demo?.cleanup();
  });

  it('three classrooms decode picture and sound at once; per-classroom figures on /metrics and /api/status', async () => {
    for (const name of ['school-a', 'school-b', 'school-c']) {
      const answer = await api('/api/join-tokens', { method: 'POST', body: JSON.stringify({ classroom: name, minutes: 30 }) });
      expect(answer.status).toBe(201);
      const { url } = (await answer.json()) as { url: string };
      const page = await chromium.browser.newPage();
      // Records every phase the page goes through, for the reconnection test below.
      await page.addInitScript(() => {
        const seen: string[] = [];
        Object.assign(window, { phasesSeen: seen });
        setInterval(() => {
          const phase = (window as unknown as { classcast?: { status: () => { phase: string } } }).classcast?.status().phase;
          if (phase && seen.at(-1) !== phase) seen.push(phase);
        }, 50);
      });
      await page.goto(url);
      pages.push(page);
    }
    const results = await Promise.all(
      pages.map((page) =>
        waitFor(() => receivedMedia(page), (m) => m.framesDecoded >= 20 && m.audioSamples > 48_000, 60_000, 'frames and sound'),
      ),
    );
    for (const media of results) {
      expect(media.phase).toBe('live');
      expect(media.frameWidth).toBeGreaterThan(0);
    }

    // A forged link gets nothing: denied, and no classroom appears for it.
    const forged = await chromium.browser.newPage();
    await forged.goto(`${demo.info.apiBase}/classroom/?token=${'x'.repeat(40)}.${'y'.repeat(43)}`);
    await waitFor(
      () => forged.evaluate(() => (window as unknown as { classcast: { status: () => { phase: string } } }).classcast.status().phase),
      (phase) => phase === 'denied',
      15_000,
      'denied page',
    );
    expect((await receivedMedia(forged)).framesDecoded).toBe(0);
    await forged.close();

    // A consumer has no current layer for a moment while it switches; wait for a full picture.
    const status = await waitFor(
      classrooms,
      (list) => list.length === 3 && list.every((c) => c.bitrateKbps > 0 && c.videoLayer !== undefined),
      30_000,
      'status',
    );
    expect(status.map((c) => c.name).sort()).toEqual(['school-a', 'school-b', 'school-c']);
    // Spread over both workers of the 2-core machine.
    expect(new Set(status.map((c) => c.workerIndex)).size).toBeGreaterThan(1);
    for (const c of status) expect(c.videoLayer).toBeGreaterThanOrEqual(0);
    const metrics = await waitFor(
      async () => (await fetch(`${demo.info.apiBase}/metrics`)).text(),
      (text) => ['school-a', 'school-b', 'school-c'].every((name) => text.includes(`classcast_classroom_video_layer{classroom="${name}"}`)),
      30_000,
      'per-classroom layers on /metrics',
    );
    for (const name of ['school-a', 'school-b', 'school-c']) {
      expect(metrics).toMatch(new RegExp(`classcast_classroom_send_kbps\\{classroom="${name}"\\} [1-9]`));
      expect(metrics).toMatch(new RegExp(`classcast_classroom_video_layer\\{classroom="${name}"\\} \\d`));
      expect(metrics).toContain(`classcast_classroom_loss_percent{classroom="${name}"}`);
    }
    expect(metrics).toContain('classcast_member_classrooms 3');
    // Each page's join was timed in the box, and set its picture up in its answer.
    expect(Number(/classcast_join_seconds_count\{media="yes"\} (\d+)/.exec(metrics)?.[1])).toBeGreaterThanOrEqual(3);
  }, 120_000);

  it('every page comes back by itself after a mediasoup worker is killed mid-lesson', async () => {
    expect(pages).toHaveLength(3);
    const workers = descendants(demo.child.pid!).filter((p) => p.command.startsWith('mediasoup-worke'));
    expect(workers.length).toBeGreaterThanOrEqual(2);
    // The oldest worker is the first one started, where the room's origin router lives:
    // the hardest case (the room rebuilds, the encoder is retargeted, every page reconnects).
    const victim = workers.sort((a, b) => a.pid - b.pid)[0]!;
    for (const page of pages) await page.evaluate(() => ((window as unknown as { phasesSeen: string[] }).phasesSeen.length = 0));
    process.kill(victim.pid, 'SIGKILL');
    await waitFor(async () => isAlive(victim.pid), (alive) => !alive, 10_000, 'the worker to die');

    for (const page of pages) {
      // The page went through reconnecting and decodes again on a fresh transport.
      await waitFor(
        () => page.evaluate(() => (window as unknown as { phasesSeen: string[] }).phasesSeen),
        (seen) => seen.includes('reconnecting') && seen.at(-1) === 'live',
        45_000,
        'reconnection',
      );
      await waitFor(() => receivedMedia(page), (m) => m.phase === 'live' && m.framesDecoded >= 15 && m.audioBytes > 0, 30_000, 'frames again');
    }
    // The pool replaced the dead worker.
    await waitFor(
      async () => descendants(demo.child.pid!).filter((p) => p.command.startsWith('mediasoup-worke')).length,
      (n) => n === workers.length,
      15_000,
      'a replacement worker',
    );
    const status = await waitFor(classrooms, (list) => list.length === 3, 15_000, 'three classrooms again');
    expect(status.map((c) => c.name).sort()).toEqual(['school-a', 'school-b', 'school-c']);
  }, 150_000);
});
