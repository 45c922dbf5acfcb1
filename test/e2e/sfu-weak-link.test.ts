import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import pino from 'pino';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { parseConfig } from '../../config/load.ts';
import { Daemon } from '../../daemon/daemon.ts';
import { launchChromium, receivedMedia, waitFor } from '../helpers/browser.ts';

interface ClassroomStatus {
  name: string;
  videoLayer?: number;
  availableOutgoingKbps?: number;
}

/**
 * Weak links: one member classroom's browser receives through Chromium's own network
 * emulation (field trial WebRTC-FakeNetworkReceiveConfig, a 350 kbit/s link), another has
 * the full loopback. mediasoup's bandwidth estimate moves the weak one to the low simulcast
 * layer while the other stays on the high one, and the weak one's sound keeps coming.
 */
describe('a weak link gets the low layer, a good one keeps the high one', () => {
  const dir = mkdtempSync(path.join(tmpdir(), 'classcast-weak-link-'));
  const technicianToken = 'weak-link-technician-token-0123456789';
  let daemon: Daemon;

  beforeAll(async () => {
    const config = parseConfig(
      {
        site: { name: 'school', classroom: 'lesson' },
        dataDir: path.join(dir, 'data'),
        api: { host: '127.0.0.1', port: 0, tokens: [{ name: 'tech', role: 'technician', token: technicianToken }] },
        sfu: { workers: 1, rtcMinPort: 42000, rtcMaxPort: 42999 },
        pipeline: {
          width: 640,
          height: 360,
          fps: 15,
          videoBitrateKbps: 900,
          lowLayer: { enabled: true, width: 320, bitrateKbps: 150 },
          audioChannels: [{ id: 'teacher', name: 'Teacher', role: 'teacher', source: { kind: 'tone', frequency: 440 } }],
        },
        recording: { enabled: false },
      },
      'test',
      dir,
    );
    daemon = new Daemon(config, pino({ level: 'warn' }));
    await daemon.start();
    await daemon.schedule.startManual({ title: 'Weak links', minutes: 30, by: 'test' });
  }, 90_000);

  afterAll(async () => {
    await daemon?.close();
    rmSync(dir, { recursive: true, force: true });
  });

  it('moves the limited classroom to layer 0 while the other stays on layer 1, sound intact', async () => {
    const link = (classroom: string) => `${daemon.urls.classroomUrl}?token=${encodeURIComponent(daemon.joinTokens.issue(classroom, 'lesson', 30).token)}`;
    const good = await launchChromium();
    const weak = await launchChromium(['--force-fieldtrials=WebRTC-FakeNetworkReceiveConfig/link_capacity_kbps:350,queue_length_packets:30/']);
    try {
      const goodPage = await good.browser.newPage();
      const weakPage = await weak.browser.newPage();
      await goodPage.goto(link('good-school'));
      await weakPage.goto(link('weak-school'));
      const classrooms = async () =>
        ((await (await fetch(`${daemon.urls.apiBase}/api/status`, { headers: { authorization: `Bearer ${technicianToken}` } })).json()) as {
          classrooms: ClassroomStatus[];
        }).classrooms;
      const layers = await waitFor(
        classrooms,
        (list) => list.find((c) => c.name === 'weak-school')?.videoLayer === 0 && list.find((c) => c.name === 'good-school')?.videoLayer === 1,
        60_000,
        'weak classroom on layer 0 and good classroom on layer 1',
      );
      const weakStatus = layers.find((c) => c.name === 'weak-school')!;
      expect(weakStatus.availableOutgoingKbps).toBeLessThan(900);
      // Both still play; the weak one's picture is the low layer, and its sound keeps coming.
      const goodMedia = await waitFor(() => receivedMedia(goodPage), (m) => m.framesDecoded >= 20, 30_000, 'good frames');
      expect(goodMedia.frameWidth).toBe(640);
      const weakMedia = await waitFor(() => receivedMedia(weakPage), (m) => m.framesDecoded >= 20 && m.frameWidth === 320, 30_000, 'weak frames on the low layer');
      const laterWeak = await waitFor(() => receivedMedia(weakPage), (m) => m.audioSamples >= weakMedia.audioSamples + 48_000, 15_000, 'sound over the weak link');
      expect(laterWeak.phase).toBe('live');
      const metrics = await (await fetch(`${daemon.urls.apiBase}/metrics`)).text();
      expect(metrics).toContain('classcast_classroom_video_layer{classroom="weak-school"} 0');
      expect(metrics).toContain('classcast_classroom_video_layer{classroom="good-school"} 1');
    } finally {
      await weak.close();
      await good.close();
    }
  }, 150_000);
});
