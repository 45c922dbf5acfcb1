import { execFile } from 'node:child_process';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import pino from 'pino';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
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

function decodeFrames(url: string, frames: number): Promise<number> {
  return new Promise((resolve, reject) => {
    execFile(
      'ffmpeg',
      ['-v', 'error', '-rtsp_transport', 'udp', '-i', url, '-frames:v', String(frames), '-f', 'rawvideo', '-pix_fmt', 'gray', '-'],
      { timeout: 20_000, encoding: 'buffer', maxBuffer: 64 * 1024 * 1024 },
      (error, stdout) => (error ? reject(error) : resolve(stdout.length)),
    );
  });
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
    const bytes = await decodeFrames(cameras[0]!.rtspUrl, 5);
    expect(bytes).toBe(5 * 320 * 180);
  });

  it('close is idempotent and stops serving', async () => {
    const camera = await startSimCamera({ id: 'brief', name: 'Brief', dataDir, user: 'u', password: 'p', logger, width: 320, height: 180, fps: 10 });
    await Promise.all([camera.close(), camera.close()]);
    await expect(ffprobe(camera.rtspUrl)).rejects.toThrow();
  });
});
