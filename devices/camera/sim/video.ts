import type { Logger } from 'pino';
import { ClasscastError, InvalidStateError } from '../../../config/foundation/errors.ts';
import { redactUrlCredentials } from '../../../config/foundation/redact-url.ts';
import { Supervisor } from '../../../config/foundation/process/supervisor.ts';

export const FONT_DIR = '/usr/share/fonts/truetype/dejavu';
const MONO = `${FONT_DIR}/DejaVuSansMono-Bold.ttf`;

export interface SimVideoOptions {
  name: string;
  /** Where to push: the relay's source URL. */
  publishUrl: string;
  width: number;
  height: number;
  fps: number;
  /** A file holding the camera's name, drawn as is (a file needs no filter escaping). */
  titleFile: string;
  /** Input arguments for the picture (default: ffmpeg's test pattern). */
  input?: () => string[];
  /** Filters applied to the input before the clock and title are drawn. */
  filters?: () => string[];
  /** Keep ffmpeg's stdin open, for frames fed from Node. */
  stdin?: 'pipe';
  logger: Logger;
}

/** Seconds since local midnight at the Unix epoch offset, for the clock overlay. */
function localMidnightEpochSeconds(): number {
  const midnight = new Date();
  midnight.setHours(0, 0, 0, 0);
  return Math.round(midnight.getTime() / 1000);
}

/**
 * The clock is the frame's wall-clock time of day with milliseconds, taken when the frame is
 * filtered (RTCTIME), so a viewer can read glass-to-glass delay off the picture. ffmpeg 5.1's
 * `%{localtime}` has no milliseconds; instead the pts becomes "ms since local midnight" and
 * `%{pts:hms}` prints it. The pts stay in 1/1000 time base, so the encoder sees real spacing.
 */
export function overlayFilters(width: number, titleFile: string): string[] {
  const size = Math.max(12, Math.round(width / 24));
  const midnight = localMidnightEpochSeconds();
  return [
    'settb=1/1000',
    `setpts=RTCTIME/1000-${midnight}000`,
    `drawtext=fontfile=${MONO}:text='%{pts\\:hms}':fontsize=${size}:fontcolor=white:box=1:boxcolor=black@0.6:boxborderw=4:x=8:y=8`,
    `drawtext=fontfile=${MONO}:textfile=${titleFile}:fontsize=${Math.round(size * 0.75)}:fontcolor=yellow:box=1:boxcolor=black@0.6:boxborderw=4:x=8:y=h-th-12`,
  ];
}

/** ffmpeg publishing the simulated picture to the relay, supervised and restarted on failure. */
export class SimVideo {
  readonly #options: SimVideoOptions;
  readonly #supervisor: Supervisor;
  #closed = false;

  constructor(options: SimVideoOptions) {
    this.#options = options;
    this.#supervisor = new Supervisor({
      name: `ffmpeg-sim-${options.name}`,
      command: 'ffmpeg',
      args: () => this.#args(),
      logger: options.logger.child({ component: 'sim-video' }),
      // The Output line is printed after ANNOUNCE/SETUP/RECORD went through.
      readyWhen: (line) => line.startsWith('Output #0'),
      backoff: { initialMs: 250, maxMs: 5_000 },
      ...(options.stdin ? { stdin: options.stdin } : {}),
    });
  }

  get supervisor(): Supervisor {
    return this.#supervisor;
  }

  #args(): string[] {
    const { width, height, fps, publishUrl, titleFile } = this.#options;
    const input = this.#options.input?.() ?? ['-re', '-f', 'lavfi', '-i', `testsrc2=size=${width}x${height}:rate=${fps}`];
    const filters = [...(this.#options.filters?.() ?? []), ...overlayFilters(width, titleFile)];
    return [
      '-hide_banner', '-nostdin', '-nostats', '-loglevel', 'info',
      ...input,
      '-vf', filters.join(','),
      '-fps_mode', 'passthrough',
      '-an',
      '-c:v', 'libx264', '-preset', 'ultrafast', '-tune', 'zerolatency', '-profile:v', 'baseline',
      '-pix_fmt', 'yuv420p', '-g', String(fps), '-keyint_min', String(fps), '-sc_threshold', '0', '-bf', '0',
      '-f', 'rtsp', '-rtsp_transport', 'udp', publishUrl,
    ];
  }

  async start(): Promise<void> {
    if (this.#closed) throw new InvalidStateError('sim video closed');
    // A first run can fail for a passing reason (the relay's RTP port taken by someone
    // else makes RECORD fail with 404); the supervisor retries, and we wait for that.
    const ready = this.#supervisor.next('ready', 20_000);
    ready.catch(() => {});
    // What ffmpeg last said, for the error if it never gets through.
    const said: string[] = [];
    const listen = (_stream: string, line: string) => {
      said.push(line);
      if (said.length > 12) said.shift();
    };
    this.#supervisor.on('line', listen);
    try {
      await this.#supervisor.start().catch(() => ready);
    } catch (error) {
      throw new ClasscastError('FFMPEG_START_FAILED', `the simulated camera's picture did not reach its relay: ${said.map(redactUrlCredentials).join(' | ')}`, { cause: error });
    } finally {
      this.#supervisor.off('line', listen);
    }
  }

  async close(): Promise<void> {
    if (this.#closed) return;
    this.#closed = true;
    await this.#supervisor.stop();
  }
}
