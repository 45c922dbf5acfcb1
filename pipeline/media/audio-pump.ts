import { InvalidStateError } from '../../config/foundation/errors.ts';
import { AUDIO_RATE } from './audio-ring.ts';
import type { PumpSource } from './audio-sources.ts';
import { FeedSocket } from './feed-socket.ts';
import type { InputSpec } from './graph.ts';

const TICK_MS = 10;

/**
 * Samples per packet the mixer's ffmpeg reads: 10 ms, one Opus frame, one tick of the pump.
 * Raw PCM (`-f f32le`) is read 1024 samples at a time (ffmpeg's pcm demuxer), so each sample
 * waited up to 21 ms for the rest of its packet, and the mixer let its 10 ms Opus frames out
 * two at a time. A WAV stream's packet size is an option (`-max_size`). Smaller packets cost
 * more than they gain: at 2.5 ms every filter of the graph ran four times as often, and the
 * mixer took 20 % of a core instead of 9.
 */
const PACKET_SAMPLES = 480;

/**
 * The header of an endless WAV stream of `channels` interleaved 32-bit float channels at 48 kHz
 * (format 3, IEEE float; the RIFF and data sizes unknown, 0xFFFFFFFF, read with `-ignore_length`).
 */
export function wavHeader(channels: number): Buffer {
  const header = Buffer.alloc(44);
  header.write('RIFF', 0, 'ascii');
  header.writeUInt32LE(0xffffffff, 4);
  header.write('WAVEfmt ', 8, 'ascii');
  header.writeUInt32LE(16, 16);
  header.writeUInt16LE(3, 20);
  header.writeUInt16LE(channels, 22);
  header.writeUInt32LE(AUDIO_RATE, 24);
  header.writeUInt32LE(AUDIO_RATE * channels * 4, 28);
  header.writeUInt16LE(channels * 4, 32);
  header.writeUInt16LE(32, 34);
  header.write('data', 36, 'ascii');
  header.writeUInt32LE(0xffffffff, 40);
  return header;
}

/**
 * Feeds the mixer the sound that reaches it through Node (a camera's own microphone,
 * read by the camera's ingest with its picture; RTSP and file channels, each read by a feed of
 * its own; test tones made here): one Unix socket, an endless WAV stream of one mono 32-bit
 * float channel per source, interleaved, 48 kHz, read in packets of 10 ms. A source that has
 * nothing (a stalled stream) gives silence; the mixer's sound never waits for it.
 *
 * The mixer's clock: ffmpeg counts an input's raw PCM samples for its timestamps, so the
 * pump makes the count equal the wall clock. Every mixer start has an origin (the wall
 * time its timestamps count from, see `MediaPipeline`); on connecting, the pump first writes
 * silence for the time since the origin, then exactly the samples due each tick, taken from
 * each channel's playout buffer (silence when it has none). Nothing is ever dropped on this
 * socket: a dropped sample would shift every later timestamp. The compositor's picture input
 * is stamped with the wall clock too (from its own start's origin), and each process's sender
 * reports pair its timestamps with the wall clock, so sound and picture line up by when they
 * reached the box.
 */
export class AudioPump {
  readonly #channels: PumpSource[];
  readonly #socket: FeedSocket;
  /** The start's origin on the monotonic clock (performance.now()), and on the wall clock (epoch ms). */
  #origin: number | undefined;
  #originMs = 0;
  #written = 0;
  #timer: NodeJS.Timeout | undefined;
  #closed = false;

  constructor(options: { channels: PumpSource[]; dir: string }) {
    this.#channels = options.channels;
    this.#socket = new FeedSocket(`${options.dir}/audio.sock`);
  }

  /** The mixer's input for a start whose timestamps count from `originMs` (epoch ms). */
  input(originMs: number): InputSpec {
    // Counted on the monotonic clock from here on: a wall-clock step (NTP) must not stop or
    // flood the sound; the graph waits for sound, so a gap in it would stall every output.
    this.#origin = performance.now() - (Date.now() - originMs);
    this.#originMs = originMs;
    return {
      url: `unix://${this.#socket.path}`,
      options: [
        '-f', 'wav',
        '-ignore_length', '1',
        '-max_size', String(PACKET_SAMPLES * this.#channels.length * 4),
        '-probesize', '32',
        '-analyzeduration', '0',
        '-thread_queue_size', '64',
      ],
    };
  }

  async start(): Promise<void> {
    if (this.#closed) throw new InvalidStateError('audio pump closed');
    // A new mixer (after a restart) starts its count over, after the stream's header.
    await this.#socket.listen((socket) => {
      this.#written = 0;
      socket.write(wavHeader(this.#channels.length));
      this.#pump();
    });
    this.#timer = setInterval(() => this.#pump(), TICK_MS);
  }

  async close(): Promise<void> {
    if (this.#closed) return;
    this.#closed = true;
    clearInterval(this.#timer);
    await this.#socket.close();
  }

  #pump(): void {
    const socket = this.#socket.client;
    if (!socket || this.#origin === undefined) return;
    const due = Math.floor(((performance.now() - this.#origin) * AUDIO_RATE) / 1000) - this.#written;
    if (due <= 0) return;
    const count = this.#channels.length;
    const frame = Buffer.alloc(due * count * 4);
    // The silence owed since the origin (the first write) is not taken from the buffers.
    if (this.#written > 0) {
      const mono = new Float32Array(due);
      // The wall time these samples stand for: the count is the clock.
      const startMs = this.#originMs + (this.#written * 1000) / AUDIO_RATE;
      this.#channels.forEach((source, c) => {
        source.pull(mono, startMs);
        for (let i = 0; i < due; i += 1) frame.writeFloatLE(mono[i]!, (i * count + c) * 4);
      });
    }
    socket.write(frame);
    this.#written += due;
  }
}
