import { mkdtempSync, rmSync } from 'node:fs';
import net from 'node:net';
import { tmpdir } from 'node:os';
import path from 'node:path';
import pino from 'pino';
import { afterEach, describe, expect, it } from 'vitest';
import { FramePool, releaseFrame } from '../../pipeline/media/frame-pool.ts';
import { FramePump, solidFrame } from '../../pipeline/media/frame-pump.ts';
import { flagsOf } from '../../pipeline/media/keyframe-flag.ts';

const cleanups: (() => Promise<void> | void)[] = [];
afterEach(async () => {
  for (const cleanup of cleanups.splice(0).reverse()) await cleanup();
});

/**
 * A pump at 1 fps (its tick a second away) that has written its first frame, with a reader that
 * takes everything it writes; `paused`: a reader that takes nothing until resumed. `frame`: the
 * slot's frame (default a flat 16x16 one).
 */
async function pumpWithReader(
  options: { frame?: Buffer; width?: number; height?: number; paused?: boolean } = {},
): Promise<{ pump: FramePump; written: number[]; reader: net.Socket }> {
  const { width = 16, height = 16 } = options;
  const dir = mkdtempSync(path.join(tmpdir(), 'classcast-pump-'));
  const frame = options.frame ?? solidFrame(width, height, [16, 128, 128]);
  const pump = new FramePump({ slots: [{ name: 'teacher', frame: () => frame }], dir, fps: 1, width, height, logger: pino({ level: 'silent' }) });
  const written: number[] = [];
  pump.on('written', (timeMs) => written.push(timeMs));
  await pump.start();
  const reader = net.connect(path.join(dir, 'frames.sock'));
  if (!options.paused) reader.resume();
  cleanups.push(() => rmSync(dir, { recursive: true, force: true }), () => pump.close(), () => void reader.destroy());
  // Connected once the pump's accept has run: the first kick writes.
  await new Promise<void>((resolve) => reader.once('connect', () => resolve()));
  await new Promise<void>((resolve) => {
    const poll = () => {
      pump.kick();
      if (written.length > 0) resolve();
      else setTimeout(poll, 5);
    };
    poll();
  });
  return { pump, written, reader };
}

describe('FramePump keyframe requests', () => {
  it('writes a flagged frame at once instead of at the next camera frame or tick', async () => {
    const { pump, written } = await pumpWithReader();
    const before = written.length;
    // The program camera is not due (no kicks since), and the tick is a second away.
    await new Promise((resolve) => setTimeout(resolve, 50));
    pump.requestKeyframe(1);
    expect(written.length).toBe(before + 1);
    expect(flagsOf(written.at(-1)!)).toBe(2);
    expect(written.at(-1)!).toBeGreaterThan(written.at(-2)!);
  });
});

describe('FramePump pacing by the compositor', () => {
  const pause = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

  /** A pump whose compositor has reported a frame out, with one frame (layer 0 flagged) inside it since. */
  async function oneInside(): Promise<{ pump: FramePump; written: number[]; inCompositor: number }> {
    const { pump, written } = await pumpWithReader();
    // Not paced until the compositor reports a frame out: writes go as they come.
    pump.frameOut();
    // Past the 8 ms a keyframe request leaves after a write.
    await pause(20);
    pump.requestKeyframe(0);
    expect(flagsOf(written.at(-1)!)).toBe(1);
    await pause(20);
    return { pump, written, inCompositor: written.length };
  }

  it('holds one frame in the compositor at most once it reports frames out, and sends the freshest when one is out', async () => {
    const { pump, written, inCompositor } = await oneInside();
    // A frame is in the compositor: the next write waits, a later one replaces it (one dropped).
    pump.requestKeyframe(1);
    expect(written.length).toBe(inCompositor);
    const dropped = pump.stats.dropped;
    await pause(20);
    pump.requestKeyframe(1);
    expect(written.length).toBe(inCompositor);
    expect(pump.stats.dropped).toBe(dropped + 1);
    // The frame is out: the waiting write goes at once, carrying every request since.
    pump.frameOut();
    expect(written.length).toBe(inCompositor + 1);
    expect(flagsOf(written.at(-1)!)).toBe(2);
    // Out again with nothing waiting: nothing is written.
    pump.frameOut();
    expect(written.length).toBe(inCompositor + 1);
  });

  it('lets a frame that never comes out go after a while, so a stalled report never freezes the picture', async () => {
    const { pump, written, inCompositor: before } = await oneInside();
    pump.requestKeyframe(1);
    expect(written.length).toBe(before);
    // Time itself is what is tested: past the stall limit (250 ms) the next write goes.
    await pause(300);
    pump.requestKeyframe(1);
    expect(written.length).toBe(before + 1);
    expect(flagsOf(written.at(-1)!)).toBe(2);
  });
});

describe('FramePump and pooled camera frames', () => {
  it('holds a camera frame until its bytes left for the compositor', async () => {
    // A 720p frame: more than a socket buffer takes, so the write waits for the reader.
    const pool = new FramePool((1280 * 720 * 3) / 2);
    const frame = pool.acquire();
    const { reader } = await pumpWithReader({ frame, width: 1280, height: 720, paused: true });
    // The camera moves on to a later frame: only the pump's hold keeps this one.
    releaseFrame(frame);
    // Nobody reads: the frame's bytes wait in the socket and the buffer stays out of the pool.
    const other = pool.acquire();
    // Compared by identity: a matcher on two 1.4 MB buffers spends seconds formatting them.
    expect(other === frame).toBe(false);
    releaseFrame(other);
    // Read: the write completes and the buffer goes back (the next one the pool hands out).
    reader.resume();
    await new Promise<void>((resolve) => {
      const poll = () => {
        const next = pool.acquire();
        if (next === frame) return resolve();
        releaseFrame(next);
        setTimeout(poll, 5);
      };
      poll();
    });
  });
});
