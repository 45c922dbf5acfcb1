import { execFile } from 'node:child_process';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import pino from 'pino';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { OnvifCamera } from '../../devices/camera/onvif/onvif-camera.ts';
import { startSimCamera, type SimCamera } from '../../devices/camera/sim/index.ts';

const logger = pino({ level: 'silent' });

function ffprobe(url: string): Promise<{ streams: { codec_name: string; width: number; height: number; avg_frame_rate: string }[] }> {
  return new Promise((resolve, reject) => {
    execFile(
      'ffprobe',
      ['-v', 'error', '-rtsp_transport', 'udp', '-show_streams', '-of', 'json', url],
      { timeout: 20_000 },
      (error, stdout) => (error ? reject(error) : resolve(JSON.parse(stdout))),
    );
  });
}

function decodeFrames(url: string, frames: number): Promise<Buffer> {
  return new Promise((resolve, reject) => {
    execFile(
      'ffmpeg',
      ['-v', 'error', '-rtsp_transport', 'udp', '-i', url, '-frames:v', String(frames), '-f', 'rawvideo', '-pix_fmt', 'gray', '-'],
      { timeout: 20_000, encoding: 'buffer', maxBuffer: 64 * 1024 * 1024 },
      (error, stdout) => (error ? reject(error) : resolve(stdout)),
    );
  });
}

/** Mean absolute difference of two gray frames, leaving out the top rows (clock and label). */
function difference(a: Buffer, b: Buffer, width: number, height: number): number {
  let sum = 0;
  let n = 0;
  for (let y = Math.round(height * 0.3); y < height; y += 1) {
    for (let x = 0; x < width; x += 1) {
      sum += Math.abs(a[y * width + x]! - b[y * width + x]!);
      n += 1;
    }
  }
  return sum / n;
}

describe('simulated camera over RTSP', () => {
  let dataDir: string;
  const cameras: SimCamera[] = [];

  beforeAll(async () => {
    dataDir = await mkdtemp(join(tmpdir(), 'camera-sim-rtsp-'));
    // Two at once: ports must not collide.
    cameras.push(
      ...(await Promise.all([
        startSimCamera({ id: 'teacher', name: 'Teacher camera', dataDir, user: 'admin', password: 'pw', logger, width: 320, height: 180, fps: 10 }),
        startSimCamera({ id: 'students', name: 'Student camera', dataDir, user: 'admin', password: 'pw', logger, width: 320, height: 180, fps: 10 }),
      ])),
    );
  });

  afterAll(async () => {
    await Promise.all(cameras.map((c) => c.close()));
    await rm(dataDir, { recursive: true, force: true });
  });

  it('serves H.264 that ffprobe reads, for each camera on its own port', async () => {
    const [a, b] = cameras;
    expect(a!.rtspUrl).not.toBe(b!.rtspUrl);
    expect(a!.xaddr).toMatch(/^http:\/\/127\.0\.0\.1:\d+\/onvif\/device_service$/);
    for (const camera of cameras) {
      const probe = await ffprobe(camera.rtspUrl);
      const video = probe.streams[0]!;
      expect(video.codec_name).toBe('h264');
      expect([video.width, video.height]).toEqual([320, 180]);
    }
  });

  it('decodes frames from the stream', async () => {
    const frames = await decodeFrames(cameras[0]!.rtspUrl, 5);
    expect(frames.length).toBe(5 * 320 * 180);
  });

  it('a preset recall over ONVIF changes the picture', async () => {
    const sim = cameras[1]!;
    const driver = new OnvifCamera({ id: sim.id, xaddr: sim.xaddr, user: 'admin', password: 'pw', logger, movePollMs: 50 });
    try {
      await driver.connect();
      expect(driver.info!.streamUri).toBe(sim.rtspUrl);
      // The third frame of each session: the first one after joining a UDP stream can be
      // incomplete on a busy box (a packet of the keyframe late or lost).
      const settled = async () => (await decodeFrames(sim.rtspUrl, 3)).subarray(2 * 320 * 180, 3 * 320 * 180);
      const before = await settled();
      const still = await settled();
      await driver.recallPreset('Lectern', 1);
      await driver.next('arrived', 15_000);
      const after = await settled();
      expect(difference(before, still, 320, 180)).toBeLessThan(3);
      expect(difference(before, after, 320, 180)).toBeGreaterThan(15);
    } finally {
      await driver.close();
    }
  });

  it('close is idempotent and stops serving', async () => {
    const camera = await startSimCamera({ id: 'brief', name: 'Brief', dataDir, user: 'u', password: 'p', logger, width: 320, height: 180, fps: 10 });
    await Promise.all([camera.close(), camera.close()]);
    await expect(ffprobe(camera.rtspUrl)).rejects.toThrow();
  });
});
