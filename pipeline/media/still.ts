import { execFile } from 'node:child_process';
import { ClasscastError } from '../../config/foundation/errors.ts';
import { holdFrame } from './frame-pool.ts';

/**
 * One raw yuv420p frame as a JPEG (a preview in the console), by a short-lived ffmpeg: a few
 * tens of milliseconds for a 720p frame, called at most about once a second per viewer.
 */
export function jpegStill(frame: Buffer, size: { width: number; height: number }, ffmpegPath = 'ffmpeg'): Promise<Buffer> {
  // A camera's frame is reused for a later one: held until ffmpeg has read it.
  const release = holdFrame(frame);
  return new Promise<Buffer>((resolve, reject) => {
    const child = execFile(
      ffmpegPath,
      ['-hide_banner', '-loglevel', 'error', '-f', 'rawvideo', '-pix_fmt', 'yuv420p', '-s', `${size.width}x${size.height}`, '-i', 'pipe:0', '-frames:v', '1', '-q:v', '6', '-f', 'mjpeg', 'pipe:1'],
      { encoding: 'buffer', maxBuffer: 16 * 1024 * 1024, timeout: 5_000 },
      (error, stdout) => {
        if (error) reject(new ClasscastError('FFMPEG_START_FAILED', 'the preview could not be encoded', { cause: error }));
        else resolve(stdout);
      },
    );
    child.stdin?.on('error', () => undefined);
    child.stdin?.end(frame);
  }).finally(release);
}
