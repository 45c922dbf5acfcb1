import type { Logger } from 'pino';
import { RtspRelay } from '../../devices/camera/sim/rtsp-relay.ts';
import { Supervisor } from '../../pipeline/process/supervisor.ts';

/**
 * A camera for pipeline tests: a flat colour pushed by ffmpeg to the same RTSP relay the camera
 * simulator uses, pulled by the pipeline over RTSP/UDP like a real camera. Flat colours let a
 * test tell from decoded pixels which camera is where.
 */
export class FakeCamera {
  readonly relay: RtspRelay;
  readonly pusher: Supervisor;
  readonly id: string;

  private constructor(id: string, relay: RtspRelay, pusher: Supervisor) {
    this.id = id;
    this.relay = relay;
    this.pusher = pusher;
  }

  static async start(options: { id: string; color: string; width: number; height: number; fps: number; logger: Logger }): Promise<FakeCamera> {
    const relay = new RtspRelay({ name: options.id, host: '127.0.0.1', logger: options.logger });
    await relay.start();
    const pusher = new Supervisor({
      name: `fake-camera-${options.id}`,
      command: 'ffmpeg',
      args: () => [
        '-hide_banner', '-nostdin', '-nostats', '-loglevel', 'info',
        '-re', '-f', 'lavfi', '-i', `color=c=${options.color}:s=${options.width}x${options.height}:r=${options.fps}`,
        '-c:v', 'libx264', '-preset', 'ultrafast', '-tune', 'zerolatency', '-g', String(options.fps), '-bf', '0', '-pix_fmt', 'yuv420p',
        '-f', 'rtsp', '-rtsp_transport', 'udp', relay.sourceUrl(options.id),
      ],
      logger: options.logger,
      readyWhen: (line) => line.startsWith('Output #0'),
      backoff: { initialMs: 200, maxMs: 2_000 },
    });
    const camera = new FakeCamera(options.id, relay, pusher);
    await pusher.start();
    return camera;
  }

  get url(): string {
    return this.relay.clientUrl(this.id);
  }

  async close(): Promise<void> {
    await this.pusher.stop();
    await this.relay.close();
  }
}
