import type { Layout, PipelineSlice } from '../../config/schema/pipeline.ts';
import type { MediaPipeline, MixControl } from '../../pipeline/media/media-pipeline.ts';

/**
 * What a technician set during the day — layout, gains, mutes — kept apart from any one
 * pipeline: changes go live on the running pipeline through its control socket, and a
 * pipeline opened later (next lesson, or after a crash) starts from them.
 */
export class Studio implements MixControl {
  readonly #base: PipelineSlice;
  #layout: Layout;
  readonly #mix = new Map<string, { gainDb: number; muted: boolean }>();
  #pipeline: MediaPipeline | undefined;
  readonly #levels = new Map<string, number>();
  #unsubscribeLevels: (() => void) | undefined;
  /** Called whenever the running pipeline reports new channel levels. */
  onLevels: (() => void) | undefined;

  constructor(base: PipelineSlice) {
    this.#base = base;
    this.#layout = base.layout;
    for (const c of base.audioChannels) this.#mix.set(c.id, { gainDb: c.gainDb, muted: c.muted });
  }

  get layout(): Layout {
    return this.#layout;
  }

  get pipeline(): MediaPipeline | undefined {
    return this.#pipeline;
  }

  /** The pipeline config with today's layout and mix applied. */
  pipelineConfig(): PipelineSlice {
    return {
      ...this.#base,
      layout: this.#layout,
      audioChannels: this.#base.audioChannels.map((c) => ({ ...c, ...this.#mix.get(c.id) })),
    };
  }

  attach(pipeline: MediaPipeline): void {
    this.#pipeline = pipeline;
    const onLevel = (channelId: string, rmsDb: number) => {
      this.#levels.set(channelId, rmsDb);
      this.onLevels?.();
    };
    pipeline.on('level', onLevel);
    this.#unsubscribeLevels = () => pipeline.off('level', onLevel);
  }

  detach(pipeline: MediaPipeline): void {
    if (this.#pipeline !== pipeline) return;
    this.#pipeline = undefined;
    this.#unsubscribeLevels?.();
    this.#levels.clear();
  }

  /** The mix level of a channel after its gain (dBFS), while a pipeline runs. */
  levelDb(channelId: string): number | undefined {
    return this.#levels.get(channelId);
  }

  async setLayout(layout: Layout): Promise<void> {
    await this.#pipeline?.setLayout(layout);
    this.#layout = layout;
  }

  async setGain(channelId: string, db: number): Promise<void> {
    await this.#pipeline?.setGain(channelId, db);
    this.#entry(channelId).gainDb = db;
  }

  async setMuted(channelId: string, muted: boolean): Promise<void> {
    await this.#pipeline?.setMuted(channelId, muted);
    this.#entry(channelId).muted = muted;
  }

  #entry(channelId: string): { gainDb: number; muted: boolean } {
    let entry = this.#mix.get(channelId);
    if (!entry) {
      entry = { gainDb: 0, muted: false };
      this.#mix.set(channelId, entry);
    }
    return entry;
  }
}
