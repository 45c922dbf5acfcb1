import type { Logger } from 'pino';
import { TypedEmitter } from '../../config/foundation/emitter.ts';
import { InvalidStateError } from '../../config/foundation/errors.ts';
import { Supervisor } from '../../config/foundation/process/supervisor.ts';
import { simpleArgs } from './ffmpeg-command.ts';
import { AUDIO_RATE, type AudioRing } from './audio-ring.ts';
import { FramePool, releaseFrame } from './frame-pool.ts';
import { mediaInputOptions } from './graph.ts';

/** The buffer the ingest's output is read into: a FIFO holds 64 KiB, more than any one read returns. */
const READ_BYTES = 64 * 1024;

export interface CameraFeedOptions {
  id: string;
  url: string;
  /** How ffmpeg reads `url`; default: the low-delay RTSP options, or real-time pacing (`-re`). */
  inputOptions?: string[];
  width: number;
  height: number;
  fps: number;
  /** No frame for this long = lost. */
  lossMs: number;
  logger: Logger;
  ffmpegPath?: string;
  /**
   * The camera's own microphone: its audio track is read in the same RTSP session as the
   * picture, so both leave the ingest on the camera's one timeline, and lands here.
   */
  audio?: AudioRing;
}

export type CameraFeedState = 'online' | 'offline';

export type CameraFeedEvents = {
  state: [CameraFeedState];
  /**
   * Every complete frame as it arrives, with its arrival time (ms, wall clock): the pipeline
   * writes the program camera's frames on it (FramePump.kick), probes time it (`bench glass`).
   * The buffer is reused for a later frame: a listener that keeps it holds it (`holdFrame`).
   */
  frame: [frame: Buffer, atMs: number];
};

/**
 * One camera's ingest: its own ffmpeg decodes the RTSP stream to raw yuv420p frames of the
 * canvas size, and we keep the latest. The compositor never reads a camera itself, so a camera
 * that drops, stalls or restarts never stalls or restarts the encoder (the FramePump shows the
 * other camera or a slate meanwhile). The ingest restarts with backoff after it exits; a
 * stream that stalls without closing (UDP RTP just stops) is restarted by its supervisor
 * (`stallAfterMs`: no frame for that long).
 */
export class CameraFeed extends TypedEmitter<CameraFeedEvents> {
  readonly id: string;
  readonly frameBytes: number;
  readonly #options: CameraFeedOptions;
  readonly #logger: Logger;
  readonly #supervisor: Supervisor;
  readonly #pool: FramePool;
  #latest: Buffer | undefined;
  #lastFrameAt = 0;
  /** The frame being read from the pipe, `#filled` bytes of it so far. */
  #assembly: Buffer | undefined;
  #filled = 0;
  #state: CameraFeedState = 'offline';
  #watchdog: NodeJS.Timeout | undefined;
  #closed = false;
  #started = false;
  #frames = 0;

  constructor(options: CameraFeedOptions) {
    super();
    this.id = options.id;
    this.#options = options;
    this.frameBytes = (options.width * options.height * 3) / 2;
    this.#pool = new FramePool(this.frameBytes);
    this.#logger = options.logger.child({ component: 'camera-feed', camera: options.id });
    this.#supervisor = new Supervisor({
      name: `ffmpeg-ingest-${options.id}`,
      command: options.ffmpegPath ?? 'ffmpeg',
      args: () => this.#args(),
      logger: this.#logger,
      // Raw frames at up to tens of MB a second: read into one reused buffer, not a new one per read.
      stdoutInto: { bytes: READ_BYTES, onData: (data) => this.#onData(data) },
      extraPipes: options.audio ? 1 : 0,
      backoff: { initialMs: 500, maxMs: 5_000 },
      stopTimeoutMs: 1_000,
      // Alive but silent: an RTSP session over UDP whose RTP stopped never ends by itself.
      stallAfterMs: Math.max(5_000, options.lossMs * 2),
    });
    this.#supervisor.on('spawn', (child) => {
      this.#filled = 0;
      const audio = options.audio;
      if (audio) {
        audio.reset();
        (child.stdio[3] as NodeJS.ReadableStream).on('data', (data: Buffer) => audio.pushBytes(data));
      }
    });
  }

  get state(): CameraFeedState {
    return this.#state;
  }

  /** The size of its frames (yuv420p). */
  get size(): { width: number; height: number } {
    return { width: this.#options.width, height: this.#options.height };
  }

  /** Frames received since start (tests and metrics). */
  get frames(): number {
    return this.#frames;
  }

  get ingestPid(): number | undefined {
    return this.#supervisor.pid;
  }

  /**
   * The latest frame while the camera is online, else undefined. Its buffer is reused for a
   * later frame: whoever keeps it past this tick holds it (`holdFrame`).
   */
  latest(): Buffer | undefined {
    return this.#state === 'online' ? this.#latest : undefined;
  }

  /** Starts the ingest; never fails because the camera is down (it keeps retrying). */
  start(): void {
    if (this.#closed) throw new InvalidStateError('camera feed closed');
    if (this.#started) return;
    this.#started = true;
    this.#supervisor.start().catch((error: unknown) => this.#logger.warn({ err: error }, 'ingest did not start; retrying'));
    const check = Math.max(100, Math.round(this.#options.lossMs / 4));
    this.#watchdog = setInterval(() => this.#check(), check);
    this.#watchdog.unref();
  }

  async close(): Promise<void> {
    if (this.#closed) return;
    this.#closed = true;
    clearInterval(this.#watchdog);
    await this.#supervisor.stop();
    this.#setState('offline');
  }

  #args(): string[] {
    const { url, width, height, audio } = this.#options;
    const input = this.#options.inputOptions ?? mediaInputOptions(url);
    const args = simpleArgs({ url, options: input }, 'pipe:1', [
      '-map',
      '0:v:0',
      '-vf',
      // No fps filter: the frame pump samples the latest frame at the canvas rate, so a 15 fps
      // camera sends 15 frames a second through the pipe, not 25 with duplicates.
      `scale=${width}:${height}:force_original_aspect_ratio=decrease:flags=fast_bilinear,pad=${width}:${height}:-1:-1,setsar=1,format=yuv420p`,
      // Each frame leaves as soon as it is decoded (the CLI's frame-rate logic held one back).
      '-fps_mode',
      'passthrough',
      '-f',
      'rawvideo',
    ]);
    if (!audio) return args;
    // Second output on fd 3: the sound, mono f32le, flushed per packet.
    return [...args, '-map', '0:a:0', '-ac', '1', '-ar', String(AUDIO_RATE), '-f', 'f32le', '-flush_packets', '1', 'pipe:3'];
  }

  /** Copies the pipe's chunks into pooled frame buffers (no allocation per frame). */
  #onData(data: Buffer): void {
    let at = 0;
    while (at < data.length) {
      const frame = (this.#assembly ??= this.#pool.acquire());
      const n = Math.min(data.length - at, this.frameBytes - this.#filled);
      data.copy(frame, this.#filled, at, at + n);
      at += n;
      this.#filled += n;
      if (this.#filled < this.frameBytes) return;
      this.#assembly = undefined;
      this.#filled = 0;
      if (this.#latest) releaseFrame(this.#latest);
      this.#latest = frame;
      this.#lastFrameAt = Date.now();
      this.#supervisor.alive();
      this.#frames += 1;
      if (this.listenerCount('frame') > 0) this.safeEmit('frame', frame, this.#lastFrameAt);
      this.#setState('online');
    }
  }

  #check(): void {
    const now = Date.now();
    if (this.#state === 'online' && now - this.#lastFrameAt > this.#options.lossMs) {
      this.#logger.warn({ silentMs: now - this.#lastFrameAt }, 'camera lost');
      this.#setState('offline');
    }
  }

  #setState(state: CameraFeedState): void {
    if (this.#state === state) return;
    this.#state = state;
    if (state === 'online') this.#logger.info('camera online');
    this.safeEmit('state', state);
  }
}
