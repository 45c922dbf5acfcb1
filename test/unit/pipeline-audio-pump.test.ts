import { connect, type Socket } from 'node:net';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { AudioPump } from '../../pipeline/media/audio-pump.ts';
import { AUDIO_RATE, AudioRing } from '../../pipeline/media/audio-ring.ts';

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
      ring.pull(out, t);
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

  /** Reads interleaved f32le frames from a socket, in order, `frames` at a time. */
  function reader(socket: Socket, channels: number): ((frames: number) => Promise<Float32Array[]>) & { received: () => number } {
    let data = Buffer.alloc(0);
    let total = 0;
    let waiting: (() => void) | undefined;
    socket.on('data', (chunk: Buffer) => {
      data = Buffer.concat([data, chunk]);
      total += chunk.length;
      waiting?.();
    });
    const read = async (frames: number) => {
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
    expect(input.options).toEqual(expect.arrayContaining(['-f', 'f32le', '-ac', '2', '-ar', '48000']));
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

  it('starts the count over for a new connection (a restarted compositor)', async () => {
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
