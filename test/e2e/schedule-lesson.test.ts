import { execFileSync } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { stringify } from 'yaml';
import { launchChromium, receivedMedia, waitFor } from '../helpers/browser.ts';
import { startDaemonProcess, type DaemonProcess } from '../helpers/daemon-process.ts';
import { freePort } from '../helpers/ports.ts';

const PRE_ROLL_S = 3;

interface Recording {
  lessonId: string;
  parts: { part: number; runs: { playlist: string; segments: number; durationSec: number; complete: boolean }[] }[];
}

describe('a timetabled lesson, end to end', () => {
  const dir = mkdtempSync(path.join(tmpdir(), 'classcast-schedule-'));
  const running: DaemonProcess[] = [];

  afterAll(() => {
    for (const d of running) if (d.child.exitCode === null && d.child.signalCode === null) d.child.kill('SIGKILL');
    rmSync(dir, { recursive: true, force: true });
  });

  it('goes live at the bell, survives kill -9 as part 2, stops at the end, and keeps both parts', async () => {
    const port = await freePort();
    const token = randomBytes(18).toString('base64url');
    const bell = Date.now() + 15_000;
    const end = bell + 45_000;
    const configFile = path.join(dir, 'classroom.yaml');
    writeFileSync(
      configFile,
      stringify({
        site: { name: 'Test school', classroom: 'room-1' },
        dataDir: path.join(dir, 'data'),
        api: { host: '127.0.0.1', port, tokens: [{ name: 'tech', role: 'technician', token }] },
        sfu: { workers: 1, rtcMinPort: 30000, rtcMaxPort: 39999 },
        pipeline: {
          width: 640,
          height: 360,
          fps: 15,
          videoBitrateKbps: 600,
          lowLayer: { enabled: false },
          audioChannels: [{ id: 'teacher', name: 'Teacher', role: 'teacher', source: { kind: 'tone', frequency: 440 } }],
        },
        recording: { segmentSeconds: 2 },
        schedule: {
          enabled: true,
          preRollSeconds: PRE_ROLL_S,
          postRollSeconds: 0,
          oneOff: [{ id: 'e2e', title: 'Timetabled lesson', start: new Date(bell).toISOString(), end: new Date(end).toISOString() }],
        },
      }),
    );
    const api = `http://127.0.0.1:${port}/api`;
    const get = async <T>(route: string): Promise<T> =>
      (await (await fetch(`${api}${route}`, { headers: { authorization: `Bearer ${token}` } })).json()) as T;
    const state = async () => (await get<{ state: string; part: number | null }>('/status'));

    let daemon = await startDaemonProcess(configFile);
    running.push(daemon);
    expect((await state()).state).toBe('idle');

    // Pre-roll before the bell, live at the bell: never early, and promptly.
    await waitFor(state, (s) => s.state === 'starting' || s.state === 'live', 30_000, 'pre-roll');
    expect(Date.now()).toBeGreaterThanOrEqual(bell - PRE_ROLL_S * 1000 - 500);
    const live = await waitFor(state, (s) => s.state === 'live', 30_000, 'live');
    const wentLiveAt = Date.now();
    expect(wentLiveAt).toBeGreaterThanOrEqual(bell - 250);
    expect(live.part).toBe(1);

    // A member classroom follows it.
    const joined = await fetch(`${api}/join-tokens`, {
      method: 'POST',
      headers: { authorization: `Bearer ${token}`, 'content-type': 'application/json' },
      body: JSON.stringify({ classroom: 'village-school', minutes: 60 }),
    });
    expect(joined.status).toBe(201);
    const { url } = (await joined.json()) as { url: string };
    const chromium = await launchChromium();
    try {
      const page = await chromium.browser.newPage();
      await page.goto(url);
      await waitFor(() => receivedMedia(page), (m) => m.framesDecoded >= 15 && m.audioSamples > 0, 40_000, 'media before the crash');

      // The box dies hard in the middle of the lesson …
      daemon.child.kill('SIGKILL');
      await daemon.exited;
      await waitFor(() => receivedMedia(page), (m) => m.phase !== 'live', 30_000, 'the page noticing');

      // … and comes back: live again for the rest of the lesson as part 2, and the same page
      // (same link, nobody touching it) plays again.
      daemon = await startDaemonProcess(configFile);
      running.push(daemon);
      const again = await waitFor(state, (s) => s.state === 'live', 30_000, 'live after restart');
      expect(again.part).toBe(2);
      await waitFor(() => receivedMedia(page), (m) => m.phase === 'live' && m.framesDecoded >= 15, 60_000, 'media after the restart');
    } finally {
      await chromium.close();
    }

    // It stops at the closing bell by itself.
    await waitFor(state, (s) => s.state === 'idle', end - Date.now() + 30_000, 'idle after the lesson');
    expect(Date.now()).toBeGreaterThanOrEqual(end - 250);

    // Both parts are kept, each playable.
    const { recordings } = await get<{ recordings: Recording[] }>('/recordings');
    const lesson = recordings.find((r) => r.lessonId.includes('e2e'));
    expect(lesson, JSON.stringify(recordings)).toBeDefined();
    expect(lesson!.parts.map((p) => p.part)).toEqual([1, 2]);
    for (const part of lesson!.parts) {
      const segments = part.runs.reduce((n, r) => n + r.segments, 0);
      expect(segments, `part ${part.part}`).toBeGreaterThan(0);
      const playlist = path.join(dir, 'data', 'recordings', lesson!.lessonId, part.runs[0]!.playlist);
      const probe = JSON.parse(
        execFileSync('ffprobe', ['-v', 'error', '-show_entries', 'stream=codec_name', '-of', 'json', playlist], { encoding: 'utf8' }),
      ) as { streams: { codec_name: string }[] };
      expect(probe.streams.map((s) => s.codec_name).sort()).toEqual(['h264', 'opus']);
    }
    // Part 2 was closed by the schedule, so its last run is complete.
    expect(lesson!.parts[1]!.runs.at(-1)!.complete).toBe(true);

    daemon.child.kill('SIGTERM');
    expect((await daemon.exited).code).toBe(0);
  }, 240_000);
});
