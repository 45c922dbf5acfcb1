import pino from 'pino';
import { afterEach, describe, expect, it } from 'vitest';
import { CameraFeed } from '../../pipeline/media/camera-feed.ts';
import { holdFrame } from '../../pipeline/media/frame-pool.ts';

const feeds: CameraFeed[] = [];
afterEach(async () => {
  for (const feed of feeds.splice(0)) await feed.close();
});

function movingPicture(): CameraFeed {
  // testsrc2 moves: every frame differs from the one before.
  const feed = new CameraFeed({ id: 'cam', url: 'testsrc2=s=320x240:r=30', inputOptions: ['-re', '-f', 'lavfi'], width: 320, height: 240, fps: 30, lossMs: 2_000, logger: pino({ level: 'silent' }) });
  feeds.push(feed);
  return feed;
}

function frames(feed: CameraFeed, count: number): Promise<Buffer[]> {
  const seen: Buffer[] = [];
  return new Promise((resolve) => {
    const onFrame = (frame: Buffer) => {
      seen.push(frame);
      if (seen.length < count) return;
      feed.off('frame', onFrame);
      resolve(seen);
    };
    feed.on('frame', onFrame);
  });
}

describe('camera feed frames', () => {
  it('reads a stream of frames into a few reused buffers', async () => {
    const feed = movingPicture();
    feed.start();
    const seen = await frames(feed, 30);
    expect(seen.every((frame) => frame.length === feed.frameBytes)).toBe(true);
    expect(feed.latest()).toBe(seen.at(-1));
    // Allocation-free: 30 frames came in a handful of buffers, each frame its own content.
    expect(new Set(seen).size).toBeLessThanOrEqual(4);
    expect(seen.at(-1)!.equals(seen.at(-2)!)).toBe(false);
  });

  it('leaves a held frame untouched while later frames come, and reuses it once released', async () => {
    const feed = movingPicture();
    feed.start();
    const [first] = await frames(feed, 1);
    const release = holdFrame(first!);
    const copy = Buffer.from(first!);
    const later = await frames(feed, 20);
    expect(later).not.toContain(first);
    expect(first!.equals(copy)).toBe(true);
    release();
    expect(await frames(feed, 20)).toContain(first);
  });
});
