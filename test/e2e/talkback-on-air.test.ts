import { execFileSync } from 'node:child_process';
import { mkdtempSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import type { Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Daemon } from '../../daemon/daemon.ts';
import { waitFor } from '../helpers/browser.ts';
import { startTalkbackLesson, type TalkbackLesson } from '../helpers/talkback-lesson.ts';
import { tonePowerDb } from '../integration/pipeline-rtp-sink.ts';

/** The answering room's voice: 1 kHz beeps (a steady tone would be taken for noise and suppressed). */
const ROOM_HZ = 1000;
/** The broadcast classroom's teacher: a steady 440 Hz. */
const FRONT_HZ = 440;

/**
 * What every sound stream a member page receives carries at `frequencies`, over 2 s: the
 * loudest level (dB) at each frequency's FFT bin, measured by Web Audio in the page.
 */
async function heardDb(page: Page, frequencies: number[]): Promise<number[]> {
  return page.evaluate(async (freqs) => {
    const tracks = (window as unknown as { classcast: { soundTracks: () => MediaStreamTrack[] } }).classcast.soundTracks();
    const context = new AudioContext();
    await context.resume();
    const analyser = context.createAnalyser();
    analyser.fftSize = 8192;
    analyser.smoothingTimeConstant = 0;
    for (const track of tracks) context.createMediaStreamSource(new MediaStream([track])).connect(analyser);
    const bins = new Float32Array(analyser.frequencyBinCount);
    const loudest = freqs.map(() => -Infinity);
    const until = performance.now() + 2000;
    while (performance.now() < until) {
      await new Promise((resolve) => setTimeout(resolve, 50));
      analyser.getFloatFrequencyData(bins);
      freqs.forEach((f, i) => {
        const bin = Math.round(f / (context.sampleRate / analyser.fftSize));
        loudest[i] = Math.max(loudest[i]!, bins[bin - 1]!, bins[bin]!, bins[bin + 1]!);
      });
    }
    await context.close();
    return loudest.map((db) => (Number.isFinite(db) ? db : -200));
  }, frequencies);
}

/** 16-bit PCM (raw or in a file ffmpeg reads) at `rate`, as floats. */
function decodeToFloat(input: string, args: string[] = []): Float32Array {
  const raw = execFileSync('ffmpeg', ['-hide_banner', '-loglevel', 'error', ...args, '-i', input, '-ac', '1', '-ar', '48000', '-f', 'f32le', 'pipe:1'], { maxBuffer: 256 * 1024 * 1024 });
  return new Float32Array(raw.buffer.slice(raw.byteOffset, raw.byteOffset + raw.length));
}

/** The loudest 0.5 s window's power at `frequency` (dB) in `samples`. */
function loudestWindowDb(samples: Float32Array, frequency: number): number {
  let best = -200;
  for (let at = 0; at + 24_000 <= samples.length; at += 12_000) best = Math.max(best, tonePowerDb(samples.subarray(at, at + 24_000), frequency));
  return best;
}

/**
 * Talk-back on air, end to end in Chromium with a fake microphone and camera against a real
 * daemon (its SFU, compositor, recorder and speaker output): the answering room is heard and
 * seen by the broadcast room, by another member classroom and in the recording, and never
 * hears itself.
 */
describe('talk-back on air: an answering room is heard by all, and not by itself', () => {
  const dir = mkdtempSync(path.join(tmpdir(), 'classcast-onair-'));
  const technicianToken = 'onair-technician-token-0123456789';
  const speakerFile = path.join(dir, 'speaker.raw');
  const voice = path.join(dir, 'voice.wav');
  let lesson: TalkbackLesson | undefined;
  let daemon: Daemon;
  let chromium: TalkbackLesson['chromium'];

  const api = async <T>(method: string, url: string, body?: unknown): Promise<T> => {
    const response = await fetch(`${daemon.urls.apiBase}/api${url}`, {
      method,
      headers: { authorization: `Bearer ${technicianToken}`, ...(body !== undefined ? { 'content-type': 'application/json' } : {}) },
      ...(body !== undefined ? { body: JSON.stringify(body) } : {}),
    });
    return (await response.json()) as T;
  };
  const invite = (classroom: string) => `${daemon.urls.classroomUrl}?token=${encodeURIComponent(daemon.joinTokens.issue(classroom, 'lesson', 30).token)}`;

  beforeAll(async () => {
    // Beeps of 0.3 s every 0.5 s, which Chromium's fake microphone plays in a loop.
    execFileSync('ffmpeg', ['-hide_banner', '-loglevel', 'error', '-f', 'lavfi', '-i', `sine=frequency=${ROOM_HZ}:sample_rate=48000:duration=10`, '-af', "volume='if(lt(mod(t,0.5),0.3),0.5,0)':eval=frame", '-c:a', 'pcm_s16le', voice]);
    lesson = await startTalkbackLesson({
      dir,
      technicianToken,
      config: {
        pipeline: {
          width: 320,
          height: 180,
          fps: 15,
          videoBitrateKbps: 300,
          layout: 'teacher',
          audioChannels: [{ id: 'teacher', name: 'Teacher', role: 'teacher', source: { kind: 'tone', frequency: FRONT_HZ } }],
        },
        recording: { enabled: true, segmentSeconds: 1 },
        // The broadcast room's speakers: ALSA's file plugin, so what they play can be read back.
        talkback: { enabled: true, maxOnAir: 1, maxMinutes: 5, speaker: `file:FILE=${speakerFile},FORMAT=raw` },
      },
      chromiumArgs: ['--use-fake-device-for-media-stream', `--use-file-for-fake-audio-capture=${voice}`],
    });
    ({ daemon, chromium } = lesson);
  }, 90_000);

  afterAll(async () => {
    await lesson?.close();
  }, 30_000);

  it('puts the accepted room on program, in every classroom, the speakers and the recording, with a mix-minus for itself', async () => {
    const answering = await chromium.browser.newPage();
    const listening = await chromium.browser.newPage();
    await answering.goto(invite('north-school'));
    await listening.goto(invite('south-school'));
    const hand = answering.locator('#hand');
    await hand.waitFor({ state: 'visible', timeout: 20_000 });
    await waitFor(() => listening.evaluate(() => (window as unknown as { classcast: { status: () => { phase: string } } }).classcast.status().phase), (p) => p === 'live', 20_000, 'the listening room live');

    await hand.click();
    const request = (
      await waitFor(() => api<{ requests: { id: string; state: string }[] }>('GET', '/talkback'), (b) => b.requests.some((r) => r.state === 'waiting'), 10_000, 'the raised hand')
    ).requests.find((r) => r.state === 'waiting')!;
    const before = await api<{ layout: string; main: string; second: string }>('GET', '/program');
    await api('POST', `/talkback/${request.id}/accept`, {});

    // The room's picture reaches the compositor, and the program goes side by side with it.
    await waitFor(async () => daemon.talkbackLine!.rooms(), (rooms) => rooms.length === 1 && rooms[0]!.frames > 10, 20_000, 'the room picture in the pipeline');
    const onAir = await api<{ layout: string; main: string; second: string }>('GET', '/program');
    expect(onAir).toMatchObject({ layout: 'side-by-side', main: before.main, second: 'talkback-1' });

    // The technician sees the room's camera: a JPEG from the API, shown in the console.
    const preview = await fetch(`${daemon.urls.apiBase}/api/talkback/${request.id}/preview`, { headers: { authorization: `Bearer ${technicianToken}` } });
    expect(preview.headers.get('content-type')).toBe('image/jpeg');
    expect([...new Uint8Array(await preview.arrayBuffer()).subarray(0, 2)]).toEqual([0xff, 0xd8]);
    const desk = await chromium.browser.newPage();
    await desk.goto(`${daemon.urls.apiBase}/console/`);
    await desk.locator('#login-token').fill(technicianToken);
    await desk.locator('#login-form button[type="submit"]').click();
    const shown = desk.locator(`img[data-talkback-preview="${request.id}"]`);
    await shown.waitFor({ timeout: 15_000 });
    await waitFor(() => shown.evaluate((img: HTMLImageElement) => img.complete && img.naturalWidth), (width) => Number(width) > 0, 10_000, 'the preview in the console');
    await desk.close();

    // The broadcast side hears the room: the compositor's meter on its channel.
    await waitFor(async () => daemon.studio.levelDb('talkback-1') ?? -200, (db) => db > -45, 15_000, 'the room level in the mix');

    // Another classroom hears the room and the teacher; the answering room only the teacher.
    const elsewhere = await waitFor(() => heardDb(listening, [ROOM_HZ, FRONT_HZ]), ([room]) => room! > -70, 20_000, 'the room heard in another classroom');
    expect(elsewhere[1]).toBeGreaterThan(-70);
    const itself = await heardDb(answering, [ROOM_HZ, FRONT_HZ]);
    expect(itself[1]).toBeGreaterThan(-70);
    expect(itself[0]).toBeLessThan(elsewhere[0]! - 30);
    // A second screen in the answering room does not bring its voice back either.
    const secondScreen = await chromium.browser.newPage();
    await secondScreen.goto(invite('north-school'));
    const again = await waitFor(() => heardDb(secondScreen, [ROOM_HZ, FRONT_HZ]), ([, front]) => front! > -70, 20_000, 'the second screen playing');
    expect(again[0]).toBeLessThan(elsewhere[0]! - 30);
    await secondScreen.close();

    // The broadcast room's speakers play the room, and not the room's own teacher.
    await waitFor(async () => (statSync(speakerFile, { throwIfNoEntry: false })?.size ?? 0), (size) => size > 48_000 * 2 * 2 * 2, 15_000, 'two seconds on the speakers');
    const speakers = decodeToFloat(speakerFile, ['-f', 's16le', '-ar', '48000', '-ac', '2']);
    expect(loudestWindowDb(speakers, ROOM_HZ)).toBeGreaterThan(-40);
    expect(loudestWindowDb(speakers, FRONT_HZ)).toBeLessThan(loudestWindowDb(speakers, ROOM_HZ) - 30);

    // The room's ingest dies: it comes back by itself (a keyframe asked of the room), and the
    // compositor never stops meanwhile.
    const feed = daemon.studio.pipeline!.talkbackFeed(0)!;
    const encoder = daemon.studio.pipeline!.encoderPid;
    const framesBefore = feed.frames;
    process.kill(feed.ingestPid!, 'SIGKILL');
    await waitFor(async () => feed.frames, (n) => n > framesBefore + 30, 20_000, 'the room picture back after its ingest died');
    expect(feed.state).toBe('online');
    expect(daemon.studio.pipeline!.encoderPid).toBe(encoder);

    // The front ends it: the room's capture stops, its sound leaves the mix, the program goes back,
    // and its picture is no longer there to see.
    await api('POST', `/talkback/${request.id}/end`, {});
    await waitFor(
      () => answering.evaluate(() => (window as unknown as { classcast: { capture: () => unknown[] } }).classcast.capture()),
      (tracks) => tracks.length === 0,
      10_000,
      'capture stopped',
    );
    await waitFor(() => api<{ layout: string; second: string }>('GET', '/program'), (p) => p.layout === before.layout && p.second === before.second, 10_000, 'the program as before');
    expect((await fetch(`${daemon.urls.apiBase}/api/talkback/${request.id}/preview`, { headers: { authorization: `Bearer ${technicianToken}` } })).status).toBe(404);
    const after = await waitFor(() => heardDb(listening, [ROOM_HZ, FRONT_HZ]), ([room]) => room! < elsewhere[0]! - 30, 15_000, 'the room gone from the program');
    expect(after[1]).toBeGreaterThan(-70);
    // The room that spoke hears the program again.
    expect((await heardDb(answering, [FRONT_HZ]))[0]).toBeGreaterThan(-70);

    // The recording has the room's voice.
    await daemon.schedule.stopManual({ by: 'test' });
    const [recording] = await daemon.listRecordings();
    expect(recording).toBeDefined();
    const playlist = path.join(daemon.recordingDir, recording!.playlist);
    const recorded = decodeToFloat(playlist);
    expect(loudestWindowDb(recorded, ROOM_HZ)).toBeGreaterThan(-40);
    await answering.close();
    await listening.close();
  }, 120_000);
});
