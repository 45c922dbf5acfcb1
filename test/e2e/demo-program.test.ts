import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import WebSocket from 'ws';
import { launchChromium, meanAbsDiff, receivedMedia, videoThumbnail, waitFor } from '../helpers/browser.ts';
import { startDemoProcess, type DemoProcess } from '../helpers/demo-process.ts';

interface CameraView {
  id: string;
  moving: boolean;
  presets: { token: string; name: string }[];
  position?: { pan: number; tilt: number; zoom: number };
}

/**
 * What member classrooms see follows the room: a technician's preset recall, and voice
 * tracking turning the students camera to whoever talks. Pictures are compared as the
 * member classroom's own browser shows them.
 */
describe('the demo program, seen from a member classroom', () => {
  let demo: DemoProcess;
  let close: () => Promise<void> = async () => {};
  let page: import('playwright-core').Page;

  const api = async <T>(method: string, route: string, body?: unknown): Promise<T> => {
    const response = await fetch(`${demo.info.apiBase}/api${route}`, {
      method,
      headers: { authorization: `Bearer ${demo.info.technicianToken}`, ...(body ? { 'content-type': 'application/json' } : {}) },
      body: body ? JSON.stringify(body) : undefined,
    });
    expect(response.status, `${method} ${route}`).toBeLessThan(300);
    return (await response.json()) as T;
  };
  const camera = async (id: string) => (await api<{ cameras: CameraView[] }>('GET', '/cameras')).cameras.find((c) => c.id === id)!;

  beforeAll(async () => {
    demo = await startDemoProcess();
    const chromium = await launchChromium();
    close = chromium.close;
    page = await chromium.browser.newPage();
    await page.goto(demo.info.classroomUrl);
    await waitFor(() => receivedMedia(page), (m) => m.phase === 'live' && m.framesDecoded >= 25, 60_000, 'live media');
  });

  afterAll(async () => {
    await close();
    demo?.cleanup();
  });

  it('a preset recall through the API changes the picture once the head gets there', async () => {
    await api('PUT', '/director', { enabled: false });
    await api('PUT', '/layout', { layout: 'teacher' });
    await waitFor(() => camera('teacher-cam'), (c) => !c.moving, 20_000, 'teacher camera at rest');
    await api('POST', '/cameras/teacher-cam/presets/overview/recall');
    await waitFor(() => camera('teacher-cam'), (c) => !c.moving && c.position?.zoom === 0, 20_000, 'teacher camera at overview');
    // Let the new position reach the page, then take the "before" picture.
    const frames = (await receivedMedia(page)).framesDecoded;
    await waitFor(() => receivedMedia(page), (m) => m.framesDecoded >= frames + 15, 20_000, 'fresh frames');
    const before = await videoThumbnail(page);

    await api('POST', '/cameras/teacher-cam/presets/board/recall');
    await waitFor(() => camera('teacher-cam'), (c) => !c.moving && Math.abs((c.position?.pan ?? 0) + 0.5) < 0.01, 20_000, 'teacher camera at board');
    // The new picture reaches the page a glass-to-glass delay later (longer on a loaded box).
    const after = await waitFor(() => videoThumbnail(page), (thumb) => meanAbsDiff(before, thumb) > 8, 15_000, 'the picture at the board preset');
    expect(meanAbsDiff(before, after)).toBeGreaterThan(8);
  });

  it('a student talking in a zone turns the students camera to that zone, and the program cuts to it', async () => {
    const events = new WebSocket(`${demo.info.apiBase.replace('http', 'ws')}/ws/events?token=${demo.info.technicianToken}`);
    const cut = new Promise<{ camera: string; zone: number }>((resolve) => {
      events.on('message', (raw) => {
        const event = JSON.parse(raw.toString()) as { type: string; camera?: string; zone?: number | null; reason?: string };
        if (event.type === 'director.cut' && event.reason === 'talker' && event.zone) resolve({ camera: event.camera!, zone: event.zone });
      });
    });
    await new Promise((resolve) => events.once('open', resolve));
    const before = await videoThumbnail(page);
    await api('PUT', '/director', { enabled: true });
    try {
      // The demo's array has students talking in zone 1, then zone 3, in a loop.
      const { camera: cutTo, zone } = await cut;
      expect(cutTo).toBe('students-cam');
      const students = await camera('students-cam');
      const preset = students.presets.find((p) => p.name === `zone-${zone}`);
      expect(preset).toBeDefined();
      expect(students.moving).toBe(false);
      // The cut goes to the compositor over its control socket, a moment after the event.
      const status = await waitFor(() => api<{ layout: string }>('GET', '/status'), (s) => s.layout === 'students', 5_000, 'the students layout');
      expect(status.layout).toBe('students');
      const frames = (await receivedMedia(page)).framesDecoded;
      await waitFor(() => receivedMedia(page), (m) => m.framesDecoded >= frames + 15, 20_000, 'frames after the cut');
      expect(meanAbsDiff(before, await videoThumbnail(page))).toBeGreaterThan(8);
    } finally {
      events.close();
    }
    // The talker script loops every 40 s; a cut can take one loop to come.
  }, 120_000);
});
