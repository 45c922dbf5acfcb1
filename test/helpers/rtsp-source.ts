import type { Logger } from 'pino';
import type { RtspRelay } from '../../devices/camera/sim/rtsp-relay.ts';
import { Supervisor } from '../../config/foundation/process/supervisor.ts';

/**
 * A live source pushed to an RTSP relay by ffmpeg, like a camera or an IP microphone: `-re`
 * lavfi `graph` in, `encode` (codec options) out, one AAC frame per RTP packet (`-muxdelay 0`,
 * as devices send it; ffmpeg's RTSP muxer otherwise bundles up to 0.7 s of sound). Resolves
 * once ffmpeg is streaming; stop it with `stop()`.
 */
export async function startRtspPush(options: { relay: RtspRelay; path: string; graph: string; encode: string[]; logger: Logger }): Promise<Supervisor> {
  const source = new Supervisor({
    name: `push-${options.path}`,
    command: 'ffmpeg',
    args: () => [
      '-hide_banner', '-nostdin', '-nostats', '-loglevel', 'info',
      '-re', '-f', 'lavfi', '-i', options.graph,
      ...options.encode,
      '-muxdelay', '0',
      '-f', 'rtsp', '-rtsp_transport', 'udp', options.relay.sourceUrl(options.path),
    ],
    logger: options.logger,
    readyWhen: (line) => line.startsWith('Output #0'),
    backoff: { initialMs: 200, maxMs: 2_000 },
  });
  // The relay may refuse the first ANNOUNCE while it starts: the supervisor retries.
  const ready = source.next('ready', 20_000);
  ready.catch(() => {});
  await source.start().catch(() => ready);
  return source;
}
