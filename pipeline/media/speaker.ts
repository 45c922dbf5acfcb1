import { rm } from 'node:fs/promises';
import { join } from 'node:path';
import type { Logger } from 'pino';
import { writeFileAtomic } from '../../config/foundation/atomic-file.ts';
import { Supervisor } from '../../config/foundation/process/supervisor.ts';
import { simpleArgs } from './ffmpeg-command.ts';
import { freeEvenUdpPort, loopbackSdp, opusStream } from './loopback-sdp.ts';
import type { RtpForwarder } from './rtp-forwarder.ts';

/** The SSRC of the speakers' mix (talk-back rooms alone); it never leaves the box. */
export const SPEAKER_SSRC = 0x1111_0201;

/**
 * The broadcast room's speakers: the talk-back rooms' voices (never the room's own
 * microphones, which would howl), taken from the forwarder like the recorder takes its copy,
 * decoded by an ffmpeg of their own and played on an ALSA device. A device that is missing or
 * busy restarts this ffmpeg with backoff and touches nothing else.
 */
export class Speaker {
  readonly #device: string;
  readonly #forwarder: RtpForwarder;
  readonly #payloadType: number;
  readonly #sdpPath: string;
  readonly #supervisor: Supervisor;
  readonly #logger: Logger;
  #untap: (() => void) | undefined;

  constructor(options: { device: string; forwarder: RtpForwarder; payloadType: number; workDir: string; logger: Logger; ffmpegPath?: string }) {
    this.#device = options.device;
    this.#forwarder = options.forwarder;
    this.#payloadType = options.payloadType;
    this.#sdpPath = join(options.workDir, 'speaker.sdp');
    this.#logger = options.logger.child({ component: 'speaker' });
    this.#supervisor = new Supervisor({
      name: 'ffmpeg-speaker',
      command: options.ffmpegPath ?? 'ffmpeg',
      args: () =>
        simpleArgs(
          { url: this.#sdpPath, options: ['-protocol_whitelist', 'file,udp,rtp', '-fflags', 'nobuffer', '-probesize', '32', '-analyzeduration', '0'] },
          this.#device,
          ['-map', '0:a:0', '-ac', '2', '-ar', '48000', '-f', 'alsa'],
        ),
      logger: this.#logger,
      backoff: { initialMs: 1_000, maxMs: 10_000 },
      stopTimeoutMs: 1_000,
    });
    // Its ports were picked free just before ffmpeg bound them: after an exit, new ones.
    this.#supervisor.on('exit', (_code, _signal, expected) => {
      if (!expected) void this.#listen().catch((error: unknown) => this.#logger.warn({ err: error }, 'new speaker port failed'));
    });
  }

  async start(): Promise<void> {
    await this.#listen();
    this.#supervisor.start().catch((error: unknown) => this.#logger.warn({ err: error, device: this.#device }, 'speaker output did not start; retrying'));
  }

  async close(): Promise<void> {
    this.#untap?.();
    await this.#supervisor.stop();
    await rm(this.#sdpPath, { force: true });
  }

  async #listen(): Promise<void> {
    const port = await freeEvenUdpPort();
    writeFileAtomic(this.#sdpPath, loopbackSdp('classcast speakers', [{ type: 'audio', stream: opusStream(port, this.#payloadType) }]));
    this.#untap?.();
    this.#untap = this.#forwarder.addTap({ kind: 'audio', endpoint: { ip: '127.0.0.1', port }, ssrcs: [SPEAKER_SSRC] });
  }
}
