import type { Logger } from 'pino';
import type { PipelineSlice } from '../../config/schema/pipeline.ts';
import { AudioPump } from './audio-pump.ts';
import { AudioRing } from './audio-ring.ts';
import { AudioFeed, StampedToneSource, ToneSource, type PumpSource } from './audio-sources.ts';
import type { SoundGraphOptions } from './sound-graph.ts';

/**
 * Everything that brings the classroom's sound to the mixer through Node, built from the
 * channel list: a playout buffer per camera whose own microphone is a channel (its ingest fills
 * it, see CameraFeed), a feed of its own for every RTSP or file channel, tones made in Node,
 * and the AudioPump that plays them all on the start's clock. ALSA channels are not here: the
 * mixer reads them itself.
 */
export class PipelineSound {
  /** Rings by camera id, for the cameras' ingests to fill. */
  readonly cameraRings = new Map<string, AudioRing>();
  /** Rings by talk-back channel id, for the answering rooms' ingests to fill (silent between). */
  readonly talkbackRings = new Map<string, AudioRing>();
  readonly #sources: PumpSource[] = [];
  readonly #positions = new Map<string, number>();
  readonly #feeds: AudioFeed[] = [];
  #pump: AudioPump | undefined;

  /** `cameras`: the ids of cameras whose ingest runs (none when the compositor reads cameras itself). */
  constructor(options: { config: PipelineSlice; cameras: string[]; talkback?: string[]; logger: Logger; ffmpegPath?: string }) {
    for (const channel of options.config.audioChannels) {
      const source = channel.source;
      if (source.kind === 'alsa') continue;
      if (source.kind === 'camera') {
        if (!options.cameras.includes(source.camera)) {
          options.logger.warn({ channel: channel.id, camera: source.camera }, 'no ingest for the camera this audio channel names; it stays silent');
          continue;
        }
        let ring = this.cameraRings.get(source.camera);
        if (!ring) {
          ring = new AudioRing();
          this.cameraRings.set(source.camera, ring);
          this.#positions.set(channel.id, this.#sources.push(ring) - 1);
        } else {
          this.#positions.set(channel.id, this.#sources.indexOf(ring));
        }
        continue;
      }
      if (source.kind === 'tone') {
        const tone = source.stamped ? new StampedToneSource(source.frequency) : new ToneSource(source.frequency);
        this.#positions.set(channel.id, this.#sources.push(tone) - 1);
        continue;
      }
      const feed = new AudioFeed({ channel, logger: options.logger, ...(options.ffmpegPath ? { ffmpegPath: options.ffmpegPath } : {}) });
      this.#feeds.push(feed);
      this.#positions.set(channel.id, this.#sources.push(feed) - 1);
    }
    for (const id of options.talkback ?? []) {
      const ring = new AudioRing();
      this.talkbackRings.set(id, ring);
      this.#positions.set(id, this.#sources.push(ring) - 1);
    }
  }

  async start(workDir: string): Promise<void> {
    if (this.#sources.length === 0) return;
    this.#pump = new AudioPump({ channels: this.#sources, dir: workDir });
    for (const feed of this.#feeds) feed.start();
    await this.#pump.start();
  }

  /** The pump's part of a mixer start's graph, whose timestamps count from `originMs`. */
  graphPart(originMs: number): Pick<SoundGraphOptions, 'pumpedAudio'> {
    return this.#pump ? { pumpedAudio: { input: this.#pump.input(originMs), positions: this.#positions } } : {};
  }

  async close(): Promise<void> {
    await this.#pump?.close();
    await Promise.all(this.#feeds.map((f) => f.close()));
  }
}
