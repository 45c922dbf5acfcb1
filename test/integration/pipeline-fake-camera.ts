import type { Logger } from 'pino';
import { RtspRelay } from '../../devices/camera/sim/rtsp-relay.ts';
import { Supervisor } from '../../config/foundation/process/supervisor.ts';

export interface FakeCameraOptions {
  id: string;
  color: string;
  width: number;
  height: number;
  fps: number;
  logger: Logger;
}

/**
 * A camera for pipeline tests: a flat colour pushed by ffmpeg to the same RTSP relay the camera
 * simulator uses, pulled by the pipeline over RTSP/UDP like a real camera. Flat colours let a
 * test tell from decoded pixels which camera is where. `unplug()`/`plugIn()` stop and restart
 * the picture, as a camera that loses power does.
 */
export class FakeCamera {
  readonly relay: RtspRelay;
  readonly #options: FakeCameraOptions;
  #pusher: Supervisor | undefined;

  private constructor(options: FakeCameraOptions, relay: RtspRelay) {
    this.#options = options;
    this.relay = relay;
  }

  static async start(options: FakeCameraOptions): Promise<FakeCamera> {
    const relay = new RtspRelay({ name: options.id, host: '127.0.0.1', logger: options.logger });
    await relay.start();
    const camera = new FakeCamera(options, relay);
    await camera.plugIn();
    return camera;
  }

  get id(): string {
    return this.#options.id;
  }

  get url(): string {
    return this.relay.clientUrl(this.#options.id);
  }

  async plugIn(): Promise<void> {
    const o = this.#options;
    const pusher = new Supervisor({
      name: `fake-camera-${o.id}`,
      command: 'ffmpeg',
      args: () => [
        '-hide_banner', '-nostdin', '-nostats', '-loglevel', 'info',
        '-re', '-f', 'lavfi', '-i', `color=c=${o.color}:s=${o.width}x${o.height}:r=${o.fps}`,
        '-c:v', 'libx264', '-preset', 'ultrafast', '-tune', 'zerolatency', '-g', String(o.fps), '-bf', '0', '-pix_fmt', 'yuv420p',
        '-f', 'rtsp', '-rtsp_transport', 'udp', this.relay.sourceUrl(o.id),
      ],
      logger: o.logger,
      readyWhen: (line) => line.startsWith('Output #0'),
      backoff: { initialMs: 200, maxMs: 2_000 },
    });
    this.#pusher = pusher;
    const ready = pusher.next('ready', 20_000);
    ready.catch(() => {});
    // A first ANNOUNCE can race the relay's housekeeping; the supervisor retries.
    await pusher.start().catch(() => ready);
  }

  async unplug(): Promise<void> {
    await this.#pusher?.stop();
    this.#pusher = undefined;
  }

  async close(): Promise<void> {
    await this.unplug();
    await this.relay.close();
  }
}
