import type { Layout, PipelineSlice } from '../../config/schema/pipeline.ts';
import type { MediaPipeline, MixControl } from '../../pipeline/media/media-pipeline.ts';
import { checkChange, cutTo, defaultPlaces, placesOf, programSources, talkbackSource, type Program, type ProgramChange } from '../../pipeline/media/program.ts';

/**
 * What the technician, the director and the timetable set during the day — the program
 * (layout over sources), gains, mutes — kept apart from any one pipeline: changes go live on
 * the running pipeline through its control socket, and a pipeline opened later (next lesson,
 * or after a crash) starts from them. The one place every program change goes through.
 */
export class Studio implements MixControl {
  readonly #base: PipelineSlice;
  #program: Program;
  readonly #sources: string[];
  readonly #board: string | undefined;
  readonly #mix = new Map<string, { gainDb: number; muted: boolean }>();
  #pipeline: MediaPipeline | undefined;
  readonly #levels = new Map<string, number>();
  #unsubscribeLevels: (() => void) | undefined;
  /** Called whenever the running pipeline reports new channel levels. */
  onLevels: (() => void) | undefined;
  /** Called after every program change, from whoever made it. */
  onProgram: ((program: Program) => void) | undefined;

  /**
   * `cameras`: the configured cameras (id and role), the sources a place can show, with
   * `talkbackPlaces` talk-back places (see `talkbackSource`).
   */
  constructor(base: PipelineSlice, cameras: readonly { id: string; role?: string }[] = [], talkbackPlaces = 0) {
    this.#base = base;
    this.#program = { layout: base.layout, ...placesOf(base, cameras) };
    this.#sources = programSources(base, cameras, Array.from({ length: talkbackPlaces }, (_, k) => talkbackSource(k)));
    this.#board = base.courseware ? 'courseware' : defaultPlaces(base.cameraRoles, cameras).board;
    for (const c of base.audioChannels) this.#mix.set(c.id, { gainDb: c.gainDb, muted: c.muted });
  }

  get layout(): Layout {
    return this.#program.layout;
  }

  get program(): Program {
    return { ...this.#program };
  }

  /** What a place of the program can show. */
  get sources(): string[] {
    return [...this.#sources];
  }

  get pipeline(): MediaPipeline | undefined {
    return this.#pipeline;
  }

  /** The pipeline config with today's program and mix applied. */
  pipelineConfig(): PipelineSlice {
    const { layout, main, second } = this.#program;
    return {
      ...this.#base,
      layout,
      cameraRoles: { teacher: main, students: second },
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

  /** A mixer channel's gain and mute: what the running pipeline has, and the next one gets. */
  channel(channelId: string): { gainDb: number; muted: boolean } | undefined {
    const entry = this.#mix.get(channelId);
    return entry && { ...entry };
  }

  /** The mix level of a channel after its gain (dBFS), while a pipeline runs. */
  levelDb(channelId: string): number | undefined {
    return this.#levels.get(channelId);
  }

  async setLayout(layout: Layout): Promise<void> {
    await this.setProgram({ layout });
  }

  /** Changes the program, live on the running pipeline; checked first, so a bad change changes nothing. */
  async setProgram(change: ProgramChange): Promise<Program> {
    checkChange(change, this.#sources);
    const pipeline = this.#pipeline;
    this.#program = pipeline ? await pipeline.setProgram(change) : { ...this.#program, ...change };
    this.onProgram?.(this.program);
    return this.program;
  }

  /** Puts one source on program alone (the director's cut, a technician's program button). */
  cut(source: string): Promise<Program> {
    return this.setProgram(cutTo(this.#program, source, this.#board));
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
