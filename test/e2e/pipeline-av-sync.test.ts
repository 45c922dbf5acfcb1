import { randomBytes } from 'node:crypto';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import pino from 'pino';
import type { Page } from 'playwright-core';
import { afterAll, describe, expect, it } from 'vitest';
import { stringify } from 'yaml';
import { RtspRelay } from '../../devices/camera/sim/rtsp-relay.ts';
import type { Supervisor } from '../../config/foundation/process/supervisor.ts';
import { launchChromium, receivedMedia, waitFor } from '../helpers/browser.ts';
import { startDaemonProcess, type DaemonProcess } from '../helpers/daemon-process.ts';
import { freePort } from '../helpers/ports.ts';
import { startRtspPush } from '../helpers/rtsp-source.ts';

/**
 * ITU-R BT.1359's detectability window: sound at most 45 ms before or 125 ms after the picture
 * (pipeline/MEDIA.md, "Lip sync").
 */
const WINDOW = { earlyMs: -45, lateMs: 125 };

/**
 * One lavfi graph makes both the picture and the sound, so they share one timeline: a white
 * flash and a 1 kHz beep in the first 200 ms of every second, black and silence otherwise.
 * It goes to an RTSP relay as H.264 + AAC, like a camera with a microphone.
 */
const SOURCE_GRAPH = [
  "color=c=black:s=320x180:r=15,drawbox=c=white:t=fill:enable='lt(mod(t,1),0.2)',format=yuv420p[out0]",
  "aevalsrc='0.5*sin(2*PI*1000*t)*lt(mod(t,1),0.2)':s=48000:c=mono[out1]",
].join(';');

/**
 * Installs the probes in the member classroom's page: picture brightness per presented frame
 * (requestVideoFrameCallback, time = expectedDisplayTime) and sound level of the received
 * audio track (AnalyserNode on WebAudio, polled), both on the page's performance clock.
 * Onset times of flashes and beeps collect in `window.avsync`.
 */
async function installProbes(page: Page): Promise<void> {
  await page.evaluate(() => {
    const video = document.querySelector('video')!;
    const stream = video.srcObject as MediaStream;
    const w = window as unknown as { avsync: { flashes: number[]; beeps: number[]; frames: number } };
    w.avsync = { flashes: [], beeps: [], frames: 0 };
    const canvas = document.createElement('canvas');
    canvas.width = 16;
    canvas.height = 9;
    const ctx = canvas.getContext('2d', { willReadFrequently: true })!;
    let bright = false;
    const onFrame = (_now: number, meta: { expectedDisplayTime: number }) => {
      ctx.drawImage(video, 0, 0, 16, 9);
      const { data } = ctx.getImageData(0, 0, 16, 9);
      let sum = 0;
      for (let i = 0; i < data.length; i += 4) sum += data[i]! + data[i + 1]! + data[i + 2]!;
      const mean = sum / (data.length / 4) / 3;
      w.avsync.frames += 1;
      if (!bright && mean > 128) w.avsync.flashes.push(meta.expectedDisplayTime);
      bright = mean > 128 ? true : mean < 64 ? false : bright;
      video.requestVideoFrameCallback(onFrame);
    };
    video.requestVideoFrameCallback(onFrame);

    const audio = new AudioContext();
    void audio.resume();
    const source = audio.createMediaStreamSource(new MediaStream(stream.getAudioTracks()));
    const analyser = audio.createAnalyser();
    analyser.fftSize = 256; // 5.3 ms at 48 kHz
    source.connect(analyser);
    const samples = new Float32Array(analyser.fftSize);
    let loud = false;
    setInterval(() => {
      analyser.getFloatTimeDomainData(samples);
      let peak = 0;
      for (const s of samples) peak = Math.max(peak, Math.abs(s));
      // The analyser holds the last fftSize samples: a beep that just began is at their end.
      if (!loud && peak > 0.1) w.avsync.beeps.push(performance.now());
      loud = peak > 0.1 ? true : peak < 0.02 ? false : loud;
    }, 2);
  });
}

/** Pairs each flash with the beep nearest to it (the events are 1 s apart). */
function offsets(flashes: number[], beeps: number[]): number[] {
  const result: number[] = [];
  for (const flash of flashes) {
    let best: number | undefined;
    for (const beep of beeps) if (best === undefined || Math.abs(beep - flash) < Math.abs(best - flash)) best = beep;
    if (best !== undefined && Math.abs(best - flash) < 450) result.push(best - flash);
  }
  return result;
}

function median(values: number[]): number {
  const sorted = [...values].sort((a, b) => a - b);
  return sorted[Math.floor(sorted.length / 2)]!;
}

describe('lip sync in a member classroom', () => {
  const dir = mkdtempSync(path.join(tmpdir(), 'classcast-avsync-'));
  const logger = pino({ level: 'warn' });
  const relay = new RtspRelay({ name: 'avsync', host: '127.0.0.1', logger });
  let source: Supervisor | undefined;
  const daemons: DaemonProcess[] = [];

  afterAll(async () => {
    for (const d of daemons) if (d.child.exitCode === null && d.child.signalCode === null) d.child.kill('SIGKILL');
    await source?.stop();
    await relay.close();
    rmSync(dir, { recursive: true, force: true });
  });

  /** A broadcast classroom whose camera and microphone are the source; returns a member link. */
  async function startRoom(name: string, url: string): Promise<string> {
    const port = await freePort();
    const token = randomBytes(18).toString('base64url');
    const configFile = path.join(dir, `${name}.yaml`);
    writeFileSync(
      configFile,
      stringify({
        site: { name: 'Test school', classroom: name },
        dataDir: path.join(dir, name),
        api: { host: '127.0.0.1', port, tokens: [{ name: 'tech', role: 'technician', token }] },
        sfu: { workers: 1, rtcMinPort: 30000, rtcMaxPort: 39999 },
        // The camera's ONVIF side is absent (nothing listens there); its picture comes from streamUri.
        cameras: [{ id: 'cam1', name: 'Teacher camera', role: 'teacher', xaddr: 'http://127.0.0.1:9/onvif/device_service', streamUri: url }],
        pipeline: {
          width: 320,
          height: 180,
          // The pipeline's default rate over a 15 fps camera, as in a classroom.
          fps: 25,
          videoBitrateKbps: 400,
          lowLayer: { enabled: false },
          layout: 'teacher',
          meters: false,
          // The camera's own microphone, read with its picture.
          audioChannels: [{ id: 'teacher', name: 'Teacher', role: 'teacher', source: { kind: 'camera', camera: 'cam1' } }],
        },
        recording: { enabled: false },
      }),
    );
    daemons.push(await startDaemonProcess(configFile));
    const tech = { authorization: `Bearer ${token}`, 'content-type': 'application/json' };
    const api = `http://127.0.0.1:${port}/api`;
    const started = await fetch(`${api}/broadcast/start`, { method: 'POST', headers: tech, body: JSON.stringify({ title: 'Lip sync', minutes: 10 }) });
    expect(started.status).toBeLessThan(300);
    const joined = await fetch(`${api}/join-tokens`, { method: 'POST', headers: tech, body: JSON.stringify({ classroom: 'village-school', minutes: 10 }) });
    expect(joined.status).toBe(201);
    return ((await joined.json()) as { url: string }).url;
  }

  /** Median sound − picture offset over twelve flash-and-beep events in a member classroom. */
  async function measure(page: Page, joinUrl: string): Promise<{ median: number; n: number; offsets: number[] }> {
    await page.goto(joinUrl);
    await waitFor(() => receivedMedia(page), (m) => m.phase === 'live' && m.framesDecoded >= 15 && m.audioSamples > 0, 60_000, 'media');
    // Let the receiver's jitter buffers and A/V sync settle before measuring.
    // (The first seconds after a join converge: sound that reached the browser during the join
    // drains from its jitter buffer.)
    await waitFor(() => receivedMedia(page), (m) => m.framesDecoded >= 150, 30_000, 'settling');
    await installProbes(page);
    const events = await waitFor(
      () => page.evaluate(() => (window as unknown as { avsync: { flashes: number[]; beeps: number[]; frames: number } }).avsync),
      (e) => e.flashes.length >= 12 && e.beeps.length >= 12,
      40_000,
      'twelve flashes and beeps',
    );
    const measured = offsets(events.flashes, events.beeps);
    return { median: median(measured), n: measured.length, offsets: measured.map(Math.round) };
  }

  it('keeps sound and picture inside BT.1359 in a member classroom, with the default settings', async () => {
    await relay.start();
    source = await startRtspPush({
      relay,
      path: 'avsync',
      graph: SOURCE_GRAPH,
      encode: ['-map', '0:v', '-map', '0:a', '-c:v', 'libx264', '-preset', 'ultrafast', '-tune', 'zerolatency', '-g', '15', '-bf', '0', '-c:a', 'aac', '-b:a', '64k', '-ar', '48000'],
      logger,
    });
    const url = relay.clientUrl('avsync');
    const joinUrl = await startRoom('room', url);
    const chromium = await launchChromium();
    try {
      const result = await measure(await chromium.browser.newPage(), joinUrl);
      console.log(`A/V offset (sound − picture, ms): ${JSON.stringify(result)}`);
      // Picture and sound both reach the member classroom and pair up event by event…
      expect(result.n).toBeGreaterThanOrEqual(8);
      // …and the sound is neither more than 45 ms early nor more than 125 ms late.
      expect(result.median).toBeGreaterThanOrEqual(WINDOW.earlyMs);
      expect(result.median).toBeLessThanOrEqual(WINDOW.lateMs);
    } finally {
      await chromium.close();
    }
  }, 240_000);
});
