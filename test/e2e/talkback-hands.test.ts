import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import type { Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Daemon } from '../../daemon/daemon.ts';
import { launchChromium, waitFor } from '../helpers/browser.ts';
import { startTalkbackLesson, type TalkbackLesson } from '../helpers/talkback-lesson.ts';

interface Request {
  id: string;
  classroom: string;
  state: string;
  since: string;
  reason?: string;
}

/**
 * Raised hands, from the member-classroom page to the technician console and back, in
 * Chromium against a real daemon: touch or mouse, a presenter clicker's key, accept and end
 * at the front, and a page that leaves taking its hand with it.
 */
describe('talk-back requests: a member classroom raises its hand, the front answers', () => {
  const dir = mkdtempSync(path.join(tmpdir(), 'classcast-talkback-'));
  const technicianToken = 'talkback-technician-token-0123456789';
  let lesson: TalkbackLesson | undefined;
  let daemon: Daemon;
  let chromium: TalkbackLesson['chromium'];

  const api = async <T>(method: string, url: string): Promise<{ status: number; body: T }> => {
    const response = await fetch(`${daemon.urls.apiBase}/api${url}`, {
      method,
      headers: { authorization: `Bearer ${technicianToken}`, ...(method === 'POST' ? { 'content-type': 'application/json' } : {}) },
      ...(method === 'POST' ? { body: '{}' } : {}),
    });
    return { status: response.status, body: (await response.json()) as T };
  };
  const requests = async () => (await api<{ requests: Request[] }>('GET', '/talkback')).body.requests;
  const captureOf = (page: Page) => page.evaluate(() => (window as unknown as { classcast: { capture: () => { kind: string; state: string }[] } }).classcast.capture());
  const handOf = (page: Page) => page.evaluate(() => (window as unknown as { classcast: { hand: () => { state: string; reason?: string } } }).classcast.hand());

  beforeAll(async () => {
    lesson = await startTalkbackLesson({
      dir,
      technicianToken,
      config: {
        pipeline: { width: 320, height: 180, fps: 15, videoBitrateKbps: 300, audioChannels: [{ id: 'teacher', name: 'Teacher', role: 'teacher', source: { kind: 'tone', frequency: 440 } }] },
        recording: { enabled: false },
        talkback: { enabled: true, maxOnAir: 1, maxMinutes: 5 },
      },
      // A room's microphone and camera: Chromium's fake capture devices (a tone, a test picture).
      chromiumArgs: ['--use-fake-device-for-media-stream'],
    });
    ({ daemon, chromium } = lesson);
  }, 90_000);

  afterAll(async () => {
    await lesson?.close();
  }, 30_000);

  it('raises and lowers by tap and by a clicker key, is accepted from the console, sends the room while on air, and ends when the page leaves', async () => {
    const invite = `${daemon.urls.classroomUrl}?token=${encodeURIComponent(daemon.joinTokens.issue('north-school', 'lesson', 30).token)}`;
    const member = await chromium.browser.newPage();
    await member.goto(invite);
    const hand = member.locator('#hand');
    await hand.waitFor({ state: 'visible', timeout: 20_000 });

    // A tap raises it: the front sees it waiting.
    await hand.click();
    const [raised] = await waitFor(requests, (list) => list.some((r) => r.state === 'waiting'), 10_000, 'a raised hand on the API');
    expect(raised).toMatchObject({ classroom: 'north-school', state: 'waiting' });
    // The page shows what the front sees (each press acts on the state the page shows).
    await waitFor(() => hand.getAttribute('data-state'), (state) => state === 'waiting', 10_000, 'the page showing its hand up');
    // A presenter clicker's PageDown lowers it, and raises it again.
    await member.keyboard.press('PageDown');
    await waitFor(requests, (list) => list.find((r) => r.id === raised!.id)?.state === 'ended', 10_000, 'the hand lowered');
    expect((await requests()).find((r) => r.id === raised!.id)?.reason).toBe('lowered');
    await waitFor(() => hand.getAttribute('data-state'), (state) => state === 'idle', 10_000, 'the page showing its hand down');
    await member.keyboard.press('PageDown');
    const again = (await waitFor(requests, (list) => list.some((r) => r.state === 'waiting'), 10_000, 'the hand raised again')).find((r) => r.state === 'waiting')!;

    // The technician accepts it from the console; the member page shows it at once.
    const desk = await chromium.browser.newPage();
    await desk.goto(`${daemon.urls.apiBase}/console/`);
    await desk.locator('#login-token').fill(technicianToken);
    await desk.locator('#login-form button[type="submit"]').click();
    const row = desk.locator('[data-talkback="north-school"][data-state="waiting"]');
    await row.waitFor({ timeout: 15_000 });
    await row.locator('[data-talkback-action="accept"]').click();
    await waitFor(() => handOf(member), (h) => h.state === 'on-air', 10_000, 'the member page on air');
    expect(await hand.getAttribute('data-state')).toBe('on-air');
    // On air, the room's microphone and camera go up through the SFU, and the page says they are live.
    const capture = await waitFor(() => captureOf(member), (c) => c.length === 2 && c.every((t) => t.state === 'live'), 15_000, 'capture tracks live');
    expect(capture.map((t) => t.kind).sort()).toEqual(['audio', 'video']);
    await waitFor(() => hand.textContent(), (t) => Boolean(t?.includes('live')), 10_000, 'the page saying the room is live');
    const sending = await waitFor(
      async () => {
        const [sender] = daemon.room!.senders();
        if (!sender) return [];
        return Promise.all(sender.producers().map(async (p) => ({ kind: p.kind, bytes: (await p.getStats()).reduce((n, s) => n + s.byteCount, 0) })));
      },
      (list) => list.length === 2 && list.every((p) => p.bytes > 0),
      15_000,
      'the room sound and picture reaching the SFU',
    );
    expect(sending.map((p) => p.kind).sort()).toEqual(['audio', 'video']);
    await desk.locator('[data-talkback="north-school"][data-state="on-air"]').waitFor({ timeout: 10_000 });
    const { body: audit } = await api<{ entries: { action: string; target?: string; result: string }[] }>('GET', '/audit?limit=20');
    expect(audit.entries).toContainEqual(expect.objectContaining({ action: 'talkback.accept', target: again.id, result: 'ok' }));

    // The front ends it: the page stops its capture at once, and nothing is sent any more.
    await desk.locator(`[data-talkback-id="${again.id}"] [data-talkback-action="end"]`).click();
    await waitFor(() => captureOf(member), (c) => c.length === 0, 10_000, 'capture stopped');
    expect(daemon.room!.senders()).toEqual([]);
    expect(await hand.getAttribute('data-state')).toBe('idle');

    // Raised and accepted again, then the page leaves: its turn ends by itself, and the console shows it.
    await member.keyboard.press('h');
    const third = (await waitFor(requests, (list) => list.some((r) => r.state === 'waiting'), 10_000, 'a third hand')).find((r) => r.state === 'waiting')!;
    expect((await api<Request>('POST', `/talkback/${third.id}/accept`)).body.state).toBe('on-air');
    await waitFor(async () => daemon.room!.senders().length, (n) => n === 1, 15_000, 'sending again');
    await member.close();
    await waitFor(requests, (list) => list.find((r) => r.id === third.id)?.state === 'ended', 10_000, 'the request ended');
    expect((await requests()).find((r) => r.id === third.id)?.reason).toBe('left');
    await waitFor(async () => daemon.room!.senders().length, (n) => n === 0, 10_000, 'nothing sent after the page left');
    await desk.locator(`[data-talkback-id="${third.id}"][data-state="ended"]`).waitFor({ timeout: 10_000 });
    // Ending or accepting what is gone is refused with a clear error.
    expect((await api<{ error: { code: string } }>('POST', `/talkback/${again.id}/accept`)).body.error.code).toBe('CONFLICT');
    expect((await api<{ error: { code: string } }>('POST', '/talkback/no-such-request/end')).body.error.code).toBe('NOT_FOUND');
    await desk.close();
  }, 90_000);

  it('tells a room without a microphone or camera so, and plays the lesson on', async () => {
    // No fake capture devices in this browser: the room has none.
    const bare = await launchChromium();
    try {
      const member = await bare.browser.newPage();
      await member.goto(`${daemon.urls.classroomUrl}?token=${encodeURIComponent(daemon.joinTokens.issue('south-school', 'lesson', 30).token)}`);
      const hand = member.locator('#hand');
      await hand.waitFor({ state: 'visible', timeout: 20_000 });
      await hand.click();
      const request = (await waitFor(requests, (list) => list.some((r) => r.classroom === 'south-school' && r.state === 'waiting'), 10_000, 'the hand')).find(
        (r) => r.classroom === 'south-school' && r.state === 'waiting',
      )!;
      expect((await api<Request>('POST', `/talkback/${request.id}/accept`)).body.state).toBe('on-air');
      await waitFor(() => hand.textContent(), (text) => Boolean(text?.includes('no microphone or camera')), 15_000, 'a plain message on the page');
      expect(daemon.room!.senders()).toEqual([]);
      // The lesson goes on in that room.
      const frames = async () => member.evaluate(async () => ((await (window as unknown as { classcast: { stats: () => Promise<{ type: string; kind: string; framesDecoded?: number }[]> } }).classcast.stats()).find((s) => s.type === 'inbound-rtp' && s.kind === 'video' && (s.framesDecoded ?? 0) > 0)?.framesDecoded ?? 0));
      const before = await waitFor(frames, (n) => n > 0, 20_000, 'the lesson playing');
      await waitFor(frames, (n) => n > before + 10, 15_000, 'the lesson still playing');
      expect((await api<Request>('POST', `/talkback/${request.id}/end`)).body.state).toBe('ended');
    } finally {
      await bare.close();
    }
  }, 90_000);
});
