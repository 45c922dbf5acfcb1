import { spawn, type ChildProcess } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { createInterface } from 'node:readline';
import pino from 'pino';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { stringify } from 'yaml';
import { parseConfig } from '../../config/load.ts';
import { Daemon } from '../../daemon/daemon.ts';
import { launchChromium, receivedMedia, waitFor } from '../helpers/browser.ts';
import { descendants, isAlive } from '../helpers/processes.ts';

const ROOT = path.resolve(import.meta.dirname, '../..');
const secret = () => randomBytes(24).toString('base64url');

/**
 * The two deployments apart: an SFU running only the `sfu` role as its own process
 * (`classcast run`), and a broadcast classroom daemon (classroom role only) publishing to it
 * over `/ws/publish`. A member classroom opens the link the classroom daemon hands out, which
 * points at the SFU, and follows the lesson there.
 */
describe('sfu role on its own, with a classroom publishing to it', () => {
  const dir = mkdtempSync(path.join(tmpdir(), 'classcast-sfu-remote-'));
  const joinTokenSecret = secret() + secret();
  const publisherToken = secret();
  const technicianToken = secret();
  let sfuProcess: ChildProcess;
  let sfuBase = '';
  let classroom: Daemon;

  beforeAll(async () => {
    const sfuConfig = path.join(dir, 'sfu.yaml');
    writeFileSync(
      sfuConfig,
      stringify({
        site: { name: 'district SFU', classroom: 'unused' },
        roles: { classroom: false, sfu: true },
        dataDir: path.join(dir, 'sfu-data'),
        logLevel: 'info',
        api: { host: '127.0.0.1', port: 0, joinTokenSecret, tokens: [{ name: 'ops', role: 'technician', token: technicianToken }] },
        sfu: {
          workers: 1,
          listenIp: '127.0.0.1',
          rtcMinPort: 41000,
          rtcMaxPort: 41999,
          publishers: [{ name: 'physics room', room: 'physics-101', token: publisherToken }],
        },
      }),
    );
    sfuProcess = spawn(process.execPath, [path.join(ROOT, 'daemon/bin/classcast.mjs'), 'run', '--config', sfuConfig], {
      cwd: ROOT,
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    // The SFU listens on a free port and logs where (pino JSON on stderr).
    sfuBase = await new Promise<string>((resolve, reject) => {
      const lines: string[] = [];
      const timer = setTimeout(() => reject(new Error(`sfu did not start:\n${lines.slice(-20).join('\n')}`)), 60_000);
      const onLine = (line: string) => {
        lines.push(line);
        const match = /"apiBase":"([^"]+)"/.exec(line);
        if (match && line.includes('daemon started')) {
          clearTimeout(timer);
          resolve(match[1]!);
        }
      };
      createInterface({ input: sfuProcess.stderr! }).on('line', onLine);
      createInterface({ input: sfuProcess.stdout! }).on('line', onLine);
      sfuProcess.once('exit', (code) => reject(new Error(`sfu exited (${code}):\n${lines.slice(-20).join('\n')}`)));
    });

    const config = parseConfig(
      {
        site: { name: 'school', classroom: 'physics-101' },
        roles: { classroom: true, sfu: false },
        dataDir: path.join(dir, 'classroom-data'),
        api: { host: '127.0.0.1', port: 0, joinTokenSecret, tokens: [{ name: 'tech', role: 'technician', token: technicianToken }] },
        sfu: { url: sfuBase, publisherToken },
        pipeline: {
          width: 640,
          height: 360,
          fps: 15,
          videoBitrateKbps: 700,
          lowLayer: { enabled: true, width: 320, bitrateKbps: 200 },
          audioChannels: [{ id: 'teacher', name: 'Teacher', role: 'teacher', source: { kind: 'tone', frequency: 440 } }],
        },
        recording: { enabled: false },
      },
      'test',
      dir,
    );
    classroom = new Daemon(config, pino({ level: 'warn' }));
    await classroom.start();
  }, 120_000);

  afterAll(async () => {
    await classroom?.close();
    if (sfuProcess && sfuProcess.exitCode === null) {
      const workers = descendants(sfuProcess.pid!);
      sfuProcess.kill('SIGKILL');
      for (const w of workers) if (isAlive(w.pid)) process.kill(w.pid, 'SIGKILL');
    }
    rmSync(dir, { recursive: true, force: true });
  });

  it('a member classroom follows the lesson on the SFU, and sees it end', async () => {
    const tech = { authorization: `Bearer ${technicianToken}`, 'content-type': 'application/json' };
    const base = classroom.urls.apiBase;
    const issued = await fetch(`${base}/api/join-tokens`, { method: 'POST', headers: tech, body: JSON.stringify({ classroom: 'village-school', minutes: 30 }) });
    expect(issued.status).toBe(201);
    const { url } = (await issued.json()) as { url: string };
    // The link points at the SFU, not at the classroom daemon.
    expect(url.startsWith(`${sfuBase}/classroom/?token=`)).toBe(true);

    const chromium = await launchChromium();
    try {
      const page = await chromium.browser.newPage();
      await page.goto(url);
      // Nothing is live yet: the page waits.
      await waitFor(() => receivedMedia(page), (m) => m.phase === 'waiting', 30_000, 'waiting page');

      const started = await fetch(`${base}/api/broadcast/start`, { method: 'POST', headers: tech, body: JSON.stringify({ title: 'Remote physics', minutes: 30 }) });
      expect(started.status).toBeLessThan(300);
      const media = await waitFor(
        () => receivedMedia(page),
        (m) => m.framesDecoded >= 20 && m.audioSamples > 48_000,
        60_000,
        'frames and sound through the remote SFU',
      );
      expect(media.phase).toBe('live');

      // The SFU counts the classroom on its own metrics; the classroom daemon reports its link.
      const sfuMetrics = await (await fetch(`${sfuBase}/metrics`)).text();
      expect(sfuMetrics).toContain('classcast_member_classrooms 1');
      expect(sfuMetrics).toMatch(/classcast_classroom_send_kbps\{classroom="village-school"\} [1-9]/);
      const status = (await (await fetch(`${base}/api/status`, { headers: tech })).json()) as { sfu: { link: string } };
      expect(status.sfu.link).toBe('online');

      await fetch(`${base}/api/broadcast/stop`, { method: 'POST', headers: tech, body: '{}' });
      await waitFor(() => receivedMedia(page), (m) => m.phase === 'waiting', 30_000, 'the page to see the lesson end');
    } finally {
      await chromium.close();
    }
  }, 150_000);
});
