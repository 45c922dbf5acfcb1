import type { Logger } from 'pino';
import type { Layout, PipelineSlice } from '../../config/schema/pipeline.ts';
import type { AudioRing } from './audio-ring.ts';
import { CameraFeed, type CameraFeedState } from './camera-feed.ts';
import { FramePump, solidFrame, type PumpSlot } from './frame-pump.ts';
import { mediaInputOptions, type VideoSlots } from './graph.ts';
import { BACKGROUND, placeLayout, type Canvas } from './layouts.ts';
import { defaultPlaces, TEST_PICTURE } from './program.ts';
import { even } from './targets.ts';

export interface VideoInput {
  id: string;
  /** RTSP URI (from ONVIF GetStreamUri), or any URL/path ffmpeg reads. */
  url: string;
  /** The camera's role from config (`teacher`, `students`, `blackboard`, …). */
  role?: string;
}

/** The sources in the program's two places (see program.ts). */
export interface Places {
  main: string;
  second: string;
}

export interface PictureIngestOptions {
  config: PipelineSlice;
  videoInputs: VideoInput[];
  /** The compositor's canvas (the high layer). */
  canvas: Canvas;
  logger: Logger;
  ffmpegPath?: string;
  /** A camera went online or offline (its place shows the other place's camera or a slate). */
  onCamera: (cameraId: string, state: CameraFeedState) => void;
  /** Sources may join while the compositor runs (talk-back): the second place is always drawn. */
  guests?: boolean;
}

/**
 * The compositor's pictures: one ingest per camera (every camera, so any of them can go on
 * program at once), the board feed or a test picture, and the FramePump that writes, every
 * frame, each place's camera (else the other place's, else a slate) in one stacked frame.
 * The program camera's frames go out as they arrive; the others are sampled at those moments.
 */
export class PictureIngest {
  readonly #options: PictureIngestOptions;
  readonly #feeds = new Map<string, CameraFeed>();
  /** Sources that come and go while the compositor runs: talk-back rooms on air. */
  readonly #guests = new Map<string, CameraFeed>();
  /** The size pictures reach the compositor at (the canvas, or half of it). */
  readonly #size: { width: number; height: number };
  #board: CameraFeed | undefined;
  #pump: FramePump | undefined;
  #places: Places;
  #layout: Layout;
  /** The ingest the current program shows full: its frames are written as they arrive. */
  #programFeed: CameraFeed | undefined;

  constructor(options: PictureIngestOptions, program: { layout: Layout } & Places) {
    this.#options = options;
    this.#places = { main: program.main, second: program.second };
    this.#layout = program.layout;
    const { config } = options;
    this.#size = config.cameraFrameSize === 'half' ? { width: even(config.width / 2), height: even(config.height / 2) } : { width: config.width, height: config.height };
  }

  get feeds(): ReadonlyMap<string, CameraFeed> {
    return this.#feeds;
  }

  get pump(): FramePump | undefined {
    return this.#pump;
  }

  /** The board's source id, if there is a board feed. */
  get board(): string | undefined {
    return this.#board?.id;
  }

  /**
   * Starts every ingest and the pump; returns the picture slots of a compositor start at
   * `originMs`. A camera whose own microphone is a channel sends its sound into its ring in
   * `rings`, read in the same session as its picture.
   */
  async start(workDir: string, rings: ReadonlyMap<string, AudioRing>): Promise<(originMs: number) => VideoSlots> {
    const { config, videoInputs } = this.#options;
    const slot = this.#size;
    const feedFor = (input: VideoInput & { inputOptions?: string[] }): CameraFeed => {
      let feed = this.#feeds.get(input.id);
      if (!feed) {
        feed = this.#newFeed(input, rings.get(input.id));
        feed.on('state', (state) => this.#options.onCamera(input.id, state));
        this.#feeds.set(input.id, feed);
      }
      return feed;
    };
    // Every picture comes through the pump, generated ones too (test pictures, files), so the
    // compositor has one timed input and honours keyframe requests (keyframe-flag.ts).
    for (const input of videoInputs) feedFor(input);
    const courseware = coursewareInput(config);
    const boardCamera = defaultPlaces(config.cameraRoles, videoInputs).board;
    this.#board = courseware ? feedFor(courseware) : boardCamera ? this.#feeds.get(boardCamera) : undefined;
    const test = videoInputs.length === 0 ? feedFor(testPictureInput(config, slot)) : undefined;
    for (const feed of this.#feeds.values()) feed.start();

    const direct = directSlots(config)([]);
    const slate = solidFrame(slot.width, slot.height, [40, 150, 115]);
    const latest = (place: keyof Places) => this.#feed(this.#places[place])?.latest();
    const board = this.#board;
    // A place whose camera is lost shows the other place's camera, else a slate.
    const pumpSlots: PumpSlot[] = [{ name: 'teacher', frame: () => latest('main') ?? latest('second') ?? slate }];
    if (!test || this.#options.guests) pumpSlots.push({ name: 'students', frame: () => latest('second') ?? latest('main') ?? slate });
    if (board) pumpSlots.push({ name: 'courseware', frame: () => board.latest() ?? slate });
    const pump = new FramePump({ slots: pumpSlots, dir: workDir, fps: config.fps, width: slot.width, height: slot.height, logger: this.#options.logger });
    this.#pump = pump;
    await pump.start();
    for (const feed of this.#feeds.values()) this.#kickOnFrames(feed);
    this.#updateProgramFeed();
    return (originMs) => {
      const input = pump.input(originMs);
      const slots: VideoSlots = { ...direct };
      for (const s of pumpSlots) slots[s.name as keyof VideoSlots] = pump.row(s.name, input);
      return slots;
    };
  }

  /** What the program shows from now on: the pump reads the places' ingests from the next frame. */
  show(layout: Layout, places: Places): void {
    this.#layout = layout;
    this.#places = { ...places };
    this.#updateProgramFeed();
  }

  /**
   * A source that joins while the compositor runs (a talk-back room on air): its own ingest
   * of `input` (its sound, if any, into `audio`), a picture for any place from its first frame.
   */
  addGuest(input: VideoInput & { inputOptions?: string[] }, audio?: AudioRing): CameraFeed {
    if (this.#feeds.has(input.id) || this.#guests.has(input.id)) throw new TypeError(`source ${input.id} is already there`);
    const feed = this.#newFeed(input, audio);
    this.#guests.set(input.id, feed);
    this.#kickOnFrames(feed);
    feed.start();
    this.#updateProgramFeed();
    return feed;
  }

  /** The ingest of guest `id`, while it is there. */
  guest(id: string): CameraFeed | undefined {
    return this.#guests.get(id);
  }

  /** The guest `id` leaves: its places show the other place's picture, or a slate. */
  async removeGuest(id: string): Promise<void> {
    const feed = this.#guests.get(id);
    if (!feed) return;
    this.#guests.delete(id);
    this.#updateProgramFeed();
    await feed.close();
  }

  cameras(): { id: string; state: CameraFeedState; frames: number }[] {
    return [...this.#feeds.values()].map((f) => ({ id: f.id, state: f.state, frames: f.frames }));
  }

  async close(): Promise<void> {
    await this.#pump?.close();
    await Promise.all([...this.#feeds.values(), ...this.#guests.values()].map((f) => f.close()));
  }

  #feed(id: string): CameraFeed | undefined {
    return this.#feeds.get(id) ?? this.#guests.get(id);
  }

  #newFeed(input: VideoInput & { inputOptions?: string[] }, audio: AudioRing | undefined): CameraFeed {
    const { config } = this.#options;
    return new CameraFeed({
      id: input.id,
      url: input.url,
      ...(input.inputOptions ? { inputOptions: input.inputOptions } : {}),
      width: this.#size.width,
      height: this.#size.height,
      fps: config.fps,
      lossMs: config.cameraLossMs,
      logger: this.#options.logger,
      ...(audio ? { audio } : {}),
      ...(this.#options.ffmpegPath ? { ffmpegPath: this.#options.ffmpegPath } : {}),
    });
  }

  /** The program camera's frames are written as they arrive. */
  #kickOnFrames(feed: CameraFeed): void {
    feed.on('frame', () => {
      if (feed === this.#programFeed) this.#pump?.kick();
    });
  }

  #updateProgramFeed(): void {
    const main = this.#feed(this.#places.main);
    const byBackground: Partial<Record<number, CameraFeed>> = {
      [BACKGROUND.black]: main,
      [BACKGROUND.teacher]: main,
      [BACKGROUND.students]: this.#feed(this.#places.second) ?? main,
      [BACKGROUND.courseware]: this.#board,
    };
    this.#programFeed = byBackground[placeLayout(this.#layout, this.#options.canvas).background];
  }
}

/**
 * Picture slots when ffmpeg reads the cameras itself: teacher = the configured or
 * `teacher`-role camera, else the first; students likewise, else the second; courseware =
 * the configured feed, else a `blackboard` camera, else a slate. No camera: a test picture.
 */
export function directSlots(config: PipelineSlice): (inputs: VideoInput[]) => VideoSlots {
  return (inputs) => {
    const pick = assignCameras(config, inputs);
    const slate = (color: string) => ({ kind: 'slate', color }) as const;
    const fromCamera = (input: VideoInput | undefined) =>
      input ? ({ kind: 'input', input: { url: input.url, options: mediaInputOptions(input.url) } } as const) : undefined;
    return {
      teacher: fromCamera(pick.teacher) ?? { kind: 'generated', lavfi: `testsrc2=s=${config.width}x${config.height}:r=${config.fps}` },
      students: fromCamera(pick.students) ?? slate('0x1d2b3a'),
      courseware: courseware(config) ?? fromCamera(pick.courseware) ?? slate('0x2b3a1d'),
    };
  };
}

export function assignCameras(config: PipelineSlice, inputs: VideoInput[]): { teacher?: VideoInput; students?: VideoInput; courseware?: VideoInput } {
  const places = defaultPlaces(config.cameraRoles, inputs);
  const byId = (id?: string) => inputs.find((i) => i.id === id);
  return { teacher: byId(places.main), students: byId(places.second), courseware: byId(places.board) };
}

/** The configured courseware as the compositor's own input (when it reads sources itself). */
function courseware(config: PipelineSlice): VideoSlots['courseware'] | undefined {
  const input = coursewareInput(config);
  return input && { kind: 'input', input: { url: input.url, options: input.inputOptions ?? mediaInputOptions(input.url) } };
}

/** The courseware feed when it is not a camera: an RTSP source, a file or a test pattern. */
function coursewareInput(config: PipelineSlice): (VideoInput & { inputOptions?: string[] }) | undefined {
  const source = config.courseware;
  if (!source) return undefined;
  switch (source.kind) {
    case 'rtsp':
      return { id: 'courseware', url: source.url };
    case 'file':
      return { id: 'courseware', url: source.path, inputOptions: ['-re', ...(source.loop ? ['-stream_loop', '-1'] : [])] };
    case 'test':
      return { id: 'courseware', url: `${source.pattern}=s=${config.width}x${config.height}:r=${config.fps}`, inputOptions: ['-re', '-f', 'lavfi'] };
  }
}

/** The picture a classroom without cameras shows (tests, a bare demo). */
function testPictureInput(config: PipelineSlice, size: { width: number; height: number }): VideoInput & { inputOptions: string[] } {
  return { id: TEST_PICTURE, url: `testsrc2=s=${size.width}x${size.height}:r=${config.fps}`, inputOptions: ['-re', '-f', 'lavfi'] };
}
