import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { WebSocket } from 'ws';
import { kioskCommand } from '../../daemon/web/classroom/kiosk.ts';
import { launchChromium, receivedMedia, waitFor } from '../helpers/browser.ts';
import { mediaProcessOf, metric, startDemoProcess, type DemoProcess } from '../helpers/demo-process.ts';
import { descendants, isAlive } from '../helpers/processes.ts';

describe('classcast demo, end to end', () => {
  let demo: DemoProcess;

  beforeAll(async () => {
    demo = await startDemoProcess();
  });

  afterAll(() => demo?.cleanup());

  it('a member classroom in Chromium decodes the moving picture and receives the sound', async () => {
    const chromium = await launchChromium();
    try {
      const page = await chromium.browser.newPage();
      // The width and time of the first picture shown, and when each peer connection was made.
      await page.addInitScript(() => {
        const made: number[] = [];
        const Native = window.RTCPeerConnection;
        window.RTCPeerConnection = class extends Native {
          constructor(...args: ConstructorParameters<typeof RTCPeerConnection>) {
            super(...args);
            made.push(performance.now());
          }
        };
        Object.assign(window, { peerConnectionsMade: made });
        document.addEventListener('DOMContentLoaded', () => {
          document.querySelector('video')?.requestVideoFrameCallback((now, meta) => {
            Object.assign(window, { firstWidth: meta.width, firstAt: now });
          });
        });
      });
      // What the page asks the server, in order.
      const sent: string[] = [];
      page.on('websocket', (socket) => socket.on('framesent', ({ payload }) => sent.push((JSON.parse(String(payload)) as { method: string }).method)));
      await page.goto(demo.info.classroomUrl);
      const media = await waitFor(
        () => receivedMedia(page),
        (m) => m.framesDecoded >= 25 && m.audioSamples > 48_000,
        45_000,
        'decoded frames and audio',
      );
      // The join alone brings the picture: it carries the page's capabilities and its DTLS
      // certificate's fingerprint (both made by the HTML while the script loaded), so the
      // server connects the transport and starts the picture. The page says `shown` and
      // resumes the sound only once the first frame is up; it never connects the transport.
      const firstAfterJoin = sent.findIndex((method) => method === 'shown' || method === 'resume');
      expect(sent.slice(0, firstAfterJoin)).toEqual(['join']);
      expect(sent).toContain('shown');
      expect(sent).not.toContain('connectTransport');
      // The HTML set the receivers up from the answer's offer and the picture showed before
      // the script ran; the script's transport then took that peer connection over (one join).
      const marks = await page.evaluate(() => ({
        firstAt: (window as unknown as { firstAt: number }).firstAt,
        receivers: performance.getEntriesByName('classcast:early-receivers')[0]?.startTime,
        script: performance.getEntriesByName('classcast:script')[0]?.startTime,
        takenOver: performance.getEntriesByName('classcast:receivers-taken-over').length,
        made: (window as unknown as { peerConnectionsMade: number[] }).peerConnectionsMade,
      }));
      expect(marks.receivers).toBeLessThan(marks.firstAt);
      expect(marks.firstAt).toBeLessThan(marks.script!);
      expect(marks.takenOver).toBe(1);
      // Before the first picture, two peer connections only: the receiving offer's and the
      // receivers'. The sending offer (talk-back) is made once the script loads.
      expect(marks.made.filter((at) => at < marks.firstAt)).toHaveLength(2);
      expect(marks.made.filter((at) => at > marks.firstAt).length).toBeGreaterThan(0);
      expect(sent.filter((method) => method === 'join')).toHaveLength(1);
      expect(media.phase).toBe('live');
      expect(media.frameWidth).toBeGreaterThan(0);
      // A newcomer starts on the low layer (the demo's 480 px: a small first keyframe); once
      // the page shows it, it moves up to the canvas's 960 px as its bandwidth estimate allows.
      expect(await page.evaluate(() => (window as unknown as { firstWidth?: number }).firstWidth)).toBe(480);
      await waitFor(() => receivedMedia(page), (m) => m.frameWidth === 960, 30_000, 'the high layer');
      // Still moving a moment later: frames keep being decoded.
      const later = await waitFor(() => receivedMedia(page), (m) => m.framesDecoded >= media.framesDecoded + 10, 15_000, 'more frames');
      expect(later.audioBytes).toBeGreaterThan(media.audioBytes);
    } finally {
      await chromium.close();
    }
  });

  it('prints the member classroom link and the command line that opens it as a kiosk', async () => {
    const printed = await waitFor(async () => demo.stdout.join('\n'), (text) => text.includes('Press Ctrl-C'), 10_000, 'the demo banner');
    expect(printed).toContain(`Member classroom:    ${demo.info.classroomUrl}`);
    expect(printed).toContain(`As a kiosk:          ${kioskCommand(demo.info.classroomUrl)}`);
  });

  it('refuses a page with an invalid token and serves health, metrics and the API', async () => {
    const chromium = await launchChromium();
    try {
      const page = await chromium.browser.newPage();
      const bad = demo.info.classroomUrl.replace(/token=[^&]+/, 'token=forged.token');
      await page.goto(bad);
      const status = await waitFor(
        () => page.evaluate(() => (window as unknown as { classcast: { status: () => { phase: string } } }).classcast.status()),
        (s) => s.phase === 'denied',
        15_000,
        'denied status',
      );
      expect(status.phase).toBe('denied');
    } finally {
      await chromium.close();
    }
    const health = await fetch(`${demo.info.apiBase}/healthz`);
    expect(health.status).toBe(200);
    const metrics = await (await fetch(`${demo.info.apiBase}/metrics`)).text();
    expect(metrics).toContain('classcast_broadcast_state{state="live"} 1');
    const unauth = await fetch(`${demo.info.apiBase}/api/status`);
    expect(unauth.status).toBe(401);
    const status = await fetch(`${demo.info.apiBase}/api/status`, { headers: { authorization: `Bearer ${demo.info.technicianToken}` } });
    expect(status.status).toBe(200);
    expect(await status.json()).toMatchObject({ state: 'live', lesson: { title: 'Demo lesson' } });
  });

  it('plays over ICE-TCP for a school whose firewall drops UDP (transport=tcp in the link)', async () => {
    const chromium = await launchChromium();
    try {
      const page = await chromium.browser.newPage();
      await page.goto(`${demo.info.classroomUrl}&transport=tcp`);
      await waitFor(() => receivedMedia(page), (m) => m.framesDecoded >= 15 && m.audioSamples > 0, 45_000, 'media over TCP');
      // The pair carrying the media is a TCP one: the server offered TCP candidates only.
      const protocols = await page.evaluate(async () => {
        const stats = await (window as unknown as { classcast: { stats: () => Promise<Record<string, unknown>[]> } }).classcast.stats();
        const byId = new Map(stats.map((s) => [s.id as string, s]));
        return stats
          .filter((s) => s.type === 'candidate-pair' && s.nominated === true && Number(s.bytesReceived ?? 0) > 0)
          .map((pair) => byId.get(pair.remoteCandidateId as string)?.protocol);
      });
      expect(protocols.length).toBeGreaterThan(0);
      expect(new Set(protocols)).toEqual(new Set(['tcp']));
    } finally {
      await chromium.close();
    }
  });

  /** The box's readiness as a load balancer reads it. */
  const ready = async () => {
    const response = await fetch(`${demo.info.apiBase}/readyz`);
    return { status: response.status, body: (await response.json()) as { ready: boolean; parts: Record<string, unknown> & { pipeline: { state: string; detail?: string } } } };
  };
  /** The demo's compositor: the ffmpeg with the pictures' filter graph. */
  const compositorPid = () => mediaProcessOf(demo, 'compositor');

  it('says it is not ready while the compositor is frozen, and ready again once it runs', async () => {
    await expect.poll(async () => (await ready()).status, { timeout: 30_000 }).toBe(200);
    const first = await ready();
    expect(first.body.parts).toMatchObject({ broadcast: { state: 'ok' }, pipeline: { state: 'ok' }, sfu: { state: 'ok' } });
    expect(Object.keys(first.body.parts.cameras as object)).toHaveLength(2);
    const compositor = compositorPid();
    expect(compositor).toBeGreaterThan(0);
    // The console's live feed says so too, as it happens.
    const events = new WebSocket(`${demo.info.apiBase.replace(/^http/, 'ws')}/ws/events?token=${encodeURIComponent(demo.info.technicianToken)}`);
    const seen: { type: string; part?: string; state?: string }[] = [];
    events.on('message', (data) => seen.push(JSON.parse(String(data))));
    await new Promise((resolve, reject) => events.once('open', resolve).once('error', reject));
    process.kill(compositor, 'SIGSTOP');
    try {
      await expect.poll(async () => (await ready()).status, { timeout: 15_000 }).toBe(503);
      await expect.poll(() => seen.some((e) => e.type === 'health.part' && e.part === 'pipeline' && e.state === 'down'), { timeout: 10_000 }).toBe(true);
      // Published right after the part, in a frame of its own.
      await expect.poll(() => seen.some((e) => e.type === 'health.ready'), { timeout: 10_000 }).toBe(true);
      expect((await ready()).body.parts.pipeline).toMatchObject({ state: 'down' });
      const metrics = await (await fetch(`${demo.info.apiBase}/metrics`)).text();
      expect(metrics).toMatch(/classcast_pipeline_frames_out \d+/);
      expect(metrics).toMatch(/classcast_camera_online\{camera="teacher-cam"\} 1/);
    } finally {
      try {
        process.kill(compositor, 'SIGCONT');
      } catch {
        // the stall watchdog got there first: it is gone, and a new one runs
      }
    }
    // Thawed (or, if the stall watchdog got there first, restarted): the lesson goes out again.
    await expect.poll(async () => (await ready()).status, { timeout: 30_000 }).toBe(200);
    await expect.poll(() => seen.some((e) => e.type === 'health.part' && e.part === 'pipeline' && e.state === 'ok'), { timeout: 10_000 }).toBe(true);
    events.close();
  });

  it('says the compositor is slow, and stays ready, while it runs a twentieth of the time', async () => {
    const gauge = (name: string) => metric(demo, new RegExp(`${name} ([\\d.]+)`));
    // A whole window of output first, with few frames dropped (after the freeze above, the window held its gap).
    await expect.poll(() => gauge('classcast_pipeline_output_fps'), { timeout: 30_000 }).toBeGreaterThan(10);
    await expect.poll(() => gauge('classcast_pipeline_dropped_share'), { timeout: 30_000 }).toBeLessThan(0.5);
    expect((await ready()).body.parts.pipeline).toEqual({ state: 'ok' });
    const compositor = compositorPid();
    expect(compositor).toBeGreaterThan(0);
    // Stopped 380 ms of every 400: a few frames a second still come out. (A tenth of the time was
    // enough for two frames of every five since the sound has a process of its own.)
    const throttle = setInterval(() => {
      process.kill(compositor, 'SIGCONT');
      setTimeout(() => process.kill(compositor, 'SIGSTOP'), 20);
    }, 400);
    try {
      await expect.poll(async () => (await ready()).body.parts.pipeline.state, { timeout: 20_000 }).toBe('degraded');
      const slow = await ready();
      expect(slow.status).toBe(200);
      expect(slow.body.parts.pipeline.detail).toMatch(/^compositor slow: [\d.]+ frames a second out, \d+ % of its frames dropped$/);
      expect(await gauge('classcast_pipeline_dropped_share')).toBeGreaterThan(0.5);
    } finally {
      clearInterval(throttle);
      await new Promise((resolve) => setTimeout(resolve, 30));
      process.kill(compositor, 'SIGCONT');
    }
    await expect.poll(async () => (await ready()).body.parts.pipeline.state, { timeout: 30_000 }).toBe('ok');
  });

  it('stops on SIGINT and leaves no ffmpeg, relay or mediasoup worker behind', async () => {
    const pid = demo.child.pid!;
    const children = descendants(pid);
    expect(children.some((c) => c.command.startsWith('mediasoup-worke'))).toBe(true);
    expect(children.some((c) => c.command === 'ffmpeg')).toBe(true);
    demo.child.kill('SIGINT');
    const { code } = await demo.exited;
    expect(code).toBe(0);
    const deadline = Date.now() + 10_000;
    while (children.some((c) => isAlive(c.pid)) && Date.now() < deadline) await new Promise((r) => setTimeout(r, 100));
    expect(children.filter((c) => isAlive(c.pid))).toEqual([]);
  });
});

describe('classcast demo killed hard', () => {
  it('takes every child process with it on SIGKILL', async () => {
    const demo = await startDemoProcess();
    try {
      const children = descendants(demo.child.pid!);
      expect(children.length).toBeGreaterThan(3);
      demo.child.kill('SIGKILL');
      await demo.exited;
      const deadline = Date.now() + 10_000;
      while (children.some((c) => isAlive(c.pid)) && Date.now() < deadline) await new Promise((r) => setTimeout(r, 100));
      expect(children.filter((c) => isAlive(c.pid))).toEqual([]);
    } finally {
      demo.cleanup();
    }
  });
});
