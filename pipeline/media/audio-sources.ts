import type { Logger } from 'pino';
import type { AudioChannelConfig } from '../../config/schema/pipeline.ts';
import { Supervisor } from '../../config/foundation/process/supervisor.ts';
import { AUDIO_RATE, AudioRing } from './audio-ring.ts';
import { simpleArgs } from './ffmpeg-command.ts';
import { rtspInputOptions } from './graph.ts';

/** What the AudioPump plays on one of its channels: the next samples, on demand. */
export interface PumpSource {
  /** Fills `out`; `startMs` is the wall time (epoch ms) its first sample stands for. */
  pull(out: Float32Array, startMs: number): void;
}

/**
 * A test tone made in Node (the demo's voices): phase-continuous, never late. Amplitude 1/8
 * (−21 dBFS RMS), like ffmpeg's `sine` source it replaces.
 */
export class ToneSource implements PumpSource {
  readonly #step: number;
  #phase = 0;

  constructor(frequency: number, readonly amplitude = 0.125) {
    this.#step = (2 * Math.PI * frequency) / AUDIO_RATE;
  }

  pull(out: Float32Array): void {
    for (let i = 0; i < out.length; i += 1) {
      out[i] = this.amplitude * Math.sin(this.#phase);
      this.#phase += this.#step;
    }
    this.#phase %= 2 * Math.PI;
  }
}

/** How long each second's stamp sounds (ms), and how loud (a peak of −6 dBFS). */
export const STAMP_BEEP = { ms: 100, amplitude: 0.5 };

/**
 * A tone that sounds only in the first `STAMP_BEEP.ms` of each second of the wall clock, by
 * the time the pump gives each sample: the sound's counterpart of the simulated cameras'
 * stamped frames. A listener that hears a beep start knows when it entered the box (the last
 * whole second), so the sound's delay to a member classroom is read beep by beep.
 */
export class StampedToneSource implements PumpSource {
  readonly #radiansPerMs: number;

  constructor(frequency: number) {
    this.#radiansPerMs = (2 * Math.PI * frequency) / 1000;
  }

  pull(out: Float32Array, startMs: number): void {
    for (let i = 0; i < out.length; i += 1) {
      const ms = startMs + (i * 1000) / AUDIO_RATE;
      out[i] = ((ms % 1000) + 1000) % 1000 < STAMP_BEEP.ms ? STAMP_BEEP.amplitude * Math.sin(this.#radiansPerMs * ms) : 0;
    }
  }
}

/**
 * A microphone or file read by its own ffmpeg (decoded to mono f32le on stdout) into a
 * playout buffer. The mixer never reads it itself, so a stream that stalls or drops
 * leaves silence on its channel instead of stalling the whole graph; the ingest restarts with
 * backoff, and a stream that stays silent for long is restarted too.
 */
export class AudioFeed implements PumpSource {
  readonly ring = new AudioRing();
  readonly #supervisor: Supervisor;
  readonly #logger: Logger;

  constructor(options: { channel: AudioChannelConfig; logger: Logger; ffmpegPath?: string }) {
    const { channel } = options;
    this.#logger = options.logger.child({ component: 'audio-feed', channel: channel.id });
    const input = feedInput(channel);
    this.#supervisor = new Supervisor({
      name: `ffmpeg-audio-${channel.id}`,
      command: options.ffmpegPath ?? 'ffmpeg',
      args: () => simpleArgs(input, 'pipe:1', ['-vn', '-ac', '1', '-ar', String(AUDIO_RATE), '-f', 'f32le', '-flush_packets', '1']),
      logger: this.#logger,
      stdoutData: true,
      backoff: { initialMs: 500, maxMs: 5_000 },
      stopTimeoutMs: 1_000,
      // Alive but silent: an RTSP session over UDP whose RTP stopped never ends by itself.
      stallAfterMs: 5_000,
    });
    this.#supervisor.on('spawn', (child) => {
      this.ring.reset();
      child.stdout!.on('data', (data: Buffer) => {
        this.#supervisor.alive();
        this.ring.pushBytes(data);
      });
    });
  }

  pull(out: Float32Array): void {
    this.ring.pull(out);
  }

  start(): void {
    this.#supervisor.start().catch((error: unknown) => this.#logger.warn({ err: error }, 'audio ingest did not start; retrying'));
  }

  async close(): Promise<void> {
    await this.#supervisor.stop();
  }
}

function feedInput(channel: AudioChannelConfig): { url: string; options: string[] } {
  const source = channel.source;
  switch (source.kind) {
    case 'rtsp':
      // A separate audio stream (an IP microphone, or a camera's microphone by URL).
      return { url: source.url, options: [...rtspInputOptions(), '-allowed_media_types', 'audio'] };
    case 'file':
      return { url: source.path, options: ['-re', ...(source.loop ? ['-stream_loop', '-1'] : [])] };
    default:
      throw new TypeError(`channel ${channel.id} (${source.kind}) has no audio ingest of its own`);
  }
}
