import type { ChildProcess } from 'node:child_process';
import { once } from 'node:events';
import { PassThrough } from 'node:stream';
import { describe, expect, it } from 'vitest';
import { Picture } from '../../devices/camera/sim/picture.ts';
import { drawStamp, readStamp, stampRegion } from '../../devices/camera/sim/time-stamp.ts';

const W = 640;
const H = 360;

/** A busy yuv420p frame (a diagonal ramp), so the reader cannot lean on a clean background. */
function busyFrame(): Buffer {
  const frame = Buffer.alloc((W * H * 3) / 2, 128);
  for (let y = 0; y < H; y += 1) for (let x = 0; x < W; x += 1) frame[y * W + x] = (x * 3 + y * 5) % 256;
  return frame;
}

/** Box-filter downscale of the luma plane by an integer factor, as a scaler would blur it. */
function downscale(frame: Buffer, factor: number): { luma: (x: number, y: number) => number; w: number; h: number } {
  const w = W / factor;
  const h = H / factor;
  const out = new Uint8Array(w * h);
  for (let y = 0; y < h; y += 1) {
    for (let x = 0; x < w; x += 1) {
      let sum = 0;
      for (let dy = 0; dy < factor; dy += 1) for (let dx = 0; dx < factor; dx += 1) sum += frame[(y * factor + dy) * W + x * factor + dx]!;
      out[y * w + x] = Math.round(sum / (factor * factor));
    }
  }
  return { luma: (x, y) => out[Math.min(h - 1, Math.max(0, y)) * w + Math.min(w - 1, Math.max(0, x))]!, w, h };
}

describe('frame time stamp', () => {
  const ms = 1_795_000_123_456;

  it('round-trips at full size and after scaling by 0.5 and 0.25', () => {
    const frame = busyFrame();
    drawStamp(frame, W, H, ms);
    expect(readStamp((x, y) => frame[y * W + x]!, W, H)).toBe(ms);
    for (const factor of [2, 4]) {
      const scaled = downscale(frame, factor);
      expect(readStamp(scaled.luma, scaled.w, scaled.h)).toBe(ms);
    }
  });

  it('round-trips with noise of ±40 added (compression artefacts)', () => {
    const frame = busyFrame();
    drawStamp(frame, W, H, ms + 1);
    let seed = 7;
    const noisy = Buffer.from(frame);
    for (let i = 0; i < W * H; i += 1) {
      seed = (seed * 1103515245 + 12345) % 2 ** 31;
      noisy[i] = Math.max(0, Math.min(255, noisy[i]! + ((seed % 81) - 40)));
    }
    expect(readStamp((x, y) => noisy[y * W + x]!, W, H)).toBe(ms + 1);
  });

  it('reads nothing from an unstamped frame and rejects a flipped bit', () => {
    const frame = busyFrame();
    expect(readStamp((x, y) => frame[y * W + x]!, W, H)).toBeUndefined();
    drawStamp(frame, W, H, ms);
    // Invert one block of the time (row 0, column 20): the check no longer matches.
    const block = W / 48;
    const cx = Math.floor(W - block / 2 - 28 * block + 20.5 * block);
    const cy = Math.floor(H - block / 2 - 2 * block + block / 2);
    const inverted = frame[cy * W + cx] === 235 ? 16 : 235;
    const flipped = (x: number, y: number) => (Math.abs(x - cx) < block / 2 && Math.abs(y - cy) < block / 2 ? inverted : frame[y * W + x]!);
    expect(readStamp(flipped, W, H)).toBeUndefined();
  });

  it('stays in the bottom-right corner and neutralises chroma under it', () => {
    const frame = busyFrame();
    drawStamp(frame, W, H, ms);
    const r = stampRegion(W, H);
    expect(r.x).toBeGreaterThan(W * 0.35);
    expect(r.x + r.w).toBeLessThanOrEqual(W);
    expect(r.y).toBeGreaterThan(H * 0.8);
    const u = W * H;
    expect(frame[u + ((r.y + 4) >> 1) * (W / 2) + ((r.x + 4) >> 1)]).toBe(128);
    // Luma above the stamp is untouched.
    expect(frame[(r.y - 2) * W + r.x + 3]).toBe(((r.x + 3) * 3 + (r.y - 2) * 5) % 256);
  });
});

describe('Picture time stamping', () => {
  /** The first frame a Picture writes to its encoder's stdin (a stream standing in for ffmpeg). */
  async function firstFrame(picture: Picture): Promise<Buffer> {
    const stdin = new PassThrough({ highWaterMark: 4 * W * H });
    picture.attach({ stdin } as unknown as ChildProcess);
    const chunks: Buffer[] = [];
    let bytes = 0;
    picture.start(50);
    try {
      while (bytes < W * H) {
        const [chunk] = (await once(stdin, 'data')) as [Buffer];
        chunks.push(chunk);
        bytes += chunk.length;
      }
    } finally {
      picture.stop();
    }
    return Buffer.concat(chunks);
  }

  it('stamps written frames with their write time only when asked', async () => {
    const before = Date.now();
    const stamped = await firstFrame(new Picture(W, H, '/nonexistent/label.txt', { stampTime: true }));
    const ms = readStamp((x, y) => stamped[y * W + x]!, W, H);
    expect(ms).toBeGreaterThanOrEqual(before);
    expect(ms).toBeLessThanOrEqual(Date.now());
    const plain = await firstFrame(new Picture(W, H, '/nonexistent/label.txt'));
    expect(readStamp((x, y) => plain[y * W + x]!, W, H)).toBeUndefined();
    expect(plain.subarray(0, W * H).every((v) => v === 0)).toBe(true);
  });
});
