import { connect, type Socket } from 'node:net';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { AudioPump, wavHeader } from '../../pipeline/media/audio-pump.ts';
import { AUDIO_RATE, AudioRing } from '../../pipeline/media/audio-ring.ts';
import { STAMP_BEEP, StampedToneSource, type PumpSource } from '../../pipeline/media/audio-sources.ts';

const ms = (n: number) => Math.round((n * AUDIO_RATE) / 1000);

describe('AudioRing', () => {
  it('waits for its target, plays in order, then plays silence and refills after an underrun', () => {
    const ring = new AudioRing({ minMs: 20 });
    const out = new Float32Array(ms(10));
    ring.push(new Float32Array(ms(10)).fill(0.5), 0);
    ring.pull(out);
    expect(out.every((s) => s === 0)).toBe(true); // 10 ms < the 20 ms target: still buffering
    ring.push(new Float32Array(ms(20)).fill(0.25), 0);
    ring.pull(out);
    expect(out.every((s) => s === 0.5)).toBe(true);
    ring.pull(out);
    ring.pull(out);
    expect(out.every((s) => s === 0.25)).toBe(true);
    expect(ring.underruns).toBe(0);
    ring.pull(out);
    expect(out.every((s) => s === 0)).toBe(true);
    expect(ring.underruns).toBe(1);
  });

  it('grows its target with bursty arrivals and keeps its delay bounded', () => {
    const ring = new AudioRing({ minMs: 20, maxMs: 300 });
    ring.push(new Float32Array(ms(20)), 0);
    ring.push(new Float32Array(ms(100)), 100); // a 100 ms gap between bursts
    expect(ring.target).toBeGreaterThanOrEqual(ms(100));
    ring.push(new Float32Array(ms(2000)), 101); // a burst far beyond the target
    expect(ring.length).toBeLessThanOrEqual(ring.target + ms(100));
  });

  it('drops a steady surplus over its target, so the delay does not stay wherever it started', () => {
    const ring = new AudioRing({ minMs: 20 });
    const out = new Float32Array(ms(10));
    ring.push(new Float32Array(ms(100)), 0); // a burst at the start
    for (let t = 0; t <= 1200; t += 10) {
      ring.push(new Float32Array(ms(10)), t);
      ring.pullAt(out, t);
    }
    // 100 ms buffered at the start; arrivals every 10 ms make the target 30 ms.
    expect(ring.target).toBe(ms(30));
    expect(ring.length).toBeLessThanOrEqual(ring.target + ms(10));
    expect(ring.underruns).toBe(0);
  });

  it('reassembles samples split across pipe chunks', () => {
    const ring = new AudioRing({ minMs: 0 });
    const bytes = Buffer.alloc(12);
    [0.5, -0.25, 1].forEach((v, i) => bytes.writeFloatLE(v, i * 4));
    ring.pushBytes(bytes.subarray(0, 5), 0);
    ring.pushBytes(bytes.subarray(5), 0);
    const out = new Float32Array(3);
    ring.pull(out);
    expect([...out]).toEqual([0.5, -0.25, 1]);
  });
});

describe('AudioPump', () => {
  const dir = mkdtempSync(path.join(tmpdir(), 'audio-pump-'));
  let pump: AudioPump | undefined;
  let client: Socket | undefined;
  afterEach(async () => {
    client?.destroy();
    await pump?.close();
  });

  /**
   * Reads the WAV stream's header (checked: 32-bit float, `channels`, 48 kHz, length unknown),
   * then its interleaved frames, in order, `frames` at a time.
   */
  function reader(socket: Socket, channels: number): ((frames: number) => Promise<Float32Array[]>) & { received: () => number } {
    let data = Buffer.alloc(0);
    let total = -44;
    let waiting: (() => void) | undefined;
    socket.on('data', (chunk: Buffer) => {
      data = Buffer.concat([data, chunk]);
      total += chunk.length;
      waiting?.();
    });
    let header = false;
    const read = async (frames: number) => {
      if (!header) {
        while (data.length < 44) await new Promise<void>((resolve) => (waiting = resolve));
        expect(data.subarray(0, 44)).toEqual(wavHeader(channels));
        expect([data.toString('ascii', 0, 4), data.toString('ascii', 8, 16), data.toString('ascii', 36, 40)]).toEqual(['RIFF', 'WAVEfmt ', 'data']);
        expect([data.readUInt16LE(20), data.readUInt16LE(22), data.readUInt32LE(24), data.readUInt16LE(32), data.readUInt16LE(34), data.readUInt32LE(40)]).toEqual([3, channels, 48_000, channels * 4, 32, 0xffffffff]);
        data = data.subarray(44);
        header = true;
      }
      const bytes = frames * channels * 4;
      while (data.length < bytes) await new Promise<void>((resolve) => (waiting = resolve));
      const out = Array.from({ length: channels }, () => new Float32Array(frames));
      for (let i = 0; i < frames; i += 1) for (let c = 0; c < channels; c += 1) out[c]![i] = data.readFloatLE((i * channels + c) * 4);
      data = data.subarray(bytes);
      return out;
    };
    return Object.assign(read, { received: () => total / channels / 4 });
  }

  it('counts samples from the origin: silence for the time before it connected, then each channel in its place', async () => {
    const a = new AudioRing({ minMs: 0 });
    const b = new AudioRing({ minMs: 0 });
    pump = new AudioPump({ channels: [a, b], dir });
    await pump.start();
    const origin = Date.now() - 500;
    const input = pump.input(origin);
    // Read as an endless WAV stream, in packets of 10 ms (480 frames of two 4-byte samples).
    expect(input.options).toEqual(expect.arrayContaining(['-f', 'wav', '-ignore_length', '1', '-max_size', '3840']));
    const connectedAt = Date.now();
    client = connect(input.url.replace('unix://', ''));
    const read = reader(client, 2);
    const catchUp = await read(ms(450));
    // The first half second since the origin is owed as silence, whatever the buffers hold.
    expect(Array.from(catchUp[0]!).filter((s) => s !== 0)).toEqual([]);
    expect(Array.from(catchUp[1]!).filter((s) => s !== 0)).toEqual([]);
    a.push(new Float32Array(ms(50)).fill(0.5));
    b.push(new Float32Array(ms(50)).fill(-0.5));
    const later = await read(ms(300));
    expect(later[0]!.some((s) => s === 0.5)).toBe(true);
    expect(later[1]!.some((s) => s === -0.5)).toBe(true);
    expect(later[0]!.some((s) => s === -0.5)).toBe(false);
    // The count follows the wall clock: never ahead of the time since the origin, never far behind.
    await read(ms(200));
    const elapsed = ms(Date.now() - origin);
    expect(read.received()).toBeLessThanOrEqual(elapsed);
    expect(read.received()).toBeGreaterThan(elapsed - ms(200));
    expect(connectedAt - origin).toBeGreaterThanOrEqual(500);
  });

  it('tells each source the wall time of the samples it asks for: the count since the origin', async () => {
    const pulls: { startMs: number; length: number }[] = [];
    const recording: PumpSource = { pull: (out, startMs) => void pulls.push({ startMs, length: out.length }) };
    pump = new AudioPump({ channels: [recording], dir });
    await pump.start();
    const origin = Date.now() - 300;
    client = connect(pump.input(origin).url.replace('unix://', ''));
    const read = reader(client, 1);
    await read(ms(300));
    await read(ms(200));
    expect(pulls.length).toBeGreaterThan(2);
    // The first pull follows the silence owed since the origin; each starts where the last ended.
    expect(pulls[0]!.startMs).toBeGreaterThanOrEqual(origin + 300);
    for (let i = 1; i < pulls.length; i += 1) expect(pulls[i]!.startMs).toBeCloseTo(pulls[i - 1]!.startMs + (pulls[i - 1]!.length * 1000) / AUDIO_RATE, 2);
    const last = pulls.at(-1)!;
    expect(last.startMs + (last.length * 1000) / AUDIO_RATE).toBeLessThanOrEqual(Date.now() + 1);
  });

  it('starts the count over for a new connection (a restarted mixer)', async () => {
    const ring = new AudioRing({ minMs: 0 });
    pump = new AudioPump({ channels: [ring], dir });
    await pump.start();
    const first = connect(pump.input(Date.now() - 200).url.replace('unix://', ''));
    await reader(first, 1)(ms(200));
    const origin = Date.now() - 1000;
    client = connect(pump.input(origin).url.replace('unix://', ''));
    const catchUp = await reader(client, 1)(ms(1000));
    expect(catchUp[0]!.length).toBe(ms(1000));
    first.destroy();
  });

  it('cleans up', () => {
    rmSync(dir, { recursive: true, force: true });
  });
});

describe('StampedToneSource', () => {
  it('sounds in the first 100 ms of each wall-clock second only, wherever a pull starts', () => {
    const tone = new StampedToneSource(1000);
    // Two and a half seconds from 0.95 s past a whole second, pulled in uneven pieces.
    const start = 1_700_000_000_950;
    const total = ms(2500);
    const samples = new Float32Array(total);
    for (let at = 0, size = 311; at < total; at += size, size = size === 311 ? 480 : 311) {
      const piece = new Float32Array(Math.min(size, total - at));
      tone.pull(piece, start + (at * 1000) / AUDIO_RATE);
      samples.set(piece, at);
    }
    const msOf = (i: number) => (start + (i * 1000) / AUDIO_RATE) % 1000;
    // Loud only inside a stamp.
    for (let i = 0; i < total; i += 1) if (Math.abs(samples[i]!) > 1e-6) expect(msOf(i)).toBeLessThan(STAMP_BEEP.ms);
    // Millisecond by millisecond, the beeps start on the three seconds passed and last 100 ms each.
    const perMs = ms(1);
    const loud = Array.from({ length: total / perMs }, (_, k) => Math.max(...samples.subarray(k * perMs, (k + 1) * perMs).map(Math.abs)) > 0.1);
    const onsets = loud.flatMap((on, k) => (on && (k === 0 || !loud[k - 1]) ? [k] : []));
    expect(onsets.map((k) => Math.round(msOf(k * perMs)))).toEqual([0, 0, 0]);
    expect(loud.filter(Boolean).length).toBe(3 * STAMP_BEEP.ms);
    expect(Math.max(...samples)).toBeCloseTo(STAMP_BEEP.amplitude, 2);
  });
});
