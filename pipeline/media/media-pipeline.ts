import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { Logger } from 'pino';
import { TypedEmitter } from '../../config/foundation/emitter.ts';
import { ClasscastError, InvalidStateError, isClasscastError } from '../../config/foundation/errors.ts';
import type { SupervisorState } from '../../config/foundation/process/supervisor.ts';
import type { Layout, PipelineSlice } from '../../config/schema/pipeline.ts';
import { recordingSchema, type RecordingSlice } from '../../config/schema/recording.ts';
import type { CameraFeed, CameraFeedState } from './camera-feed.ts';
import { compositorArgs, mixerArgs, rtpUrl } from './ffmpeg-command.ts';
import type { FramePump } from './frame-pump.ts';
import { buildPictureGraph, type VideoSlots } from './graph.ts';
import { GraphProcess } from './graph-process.ts';
import { gridOrigin, KeyframeRequests, MAX_FLAGGED_LAYERS } from './keyframe-flag.ts';
import { layoutSteps, placeLayout } from './layouts.ts';
import { meterParser, parseMeterLine } from './meters.ts';
import { directSlots, PictureIngest, type Places, type VideoInput } from './picture-ingest.ts';
import { checkChange, cutTo, placesOf, programSources, talkbackSource, type Program, type ProgramChange } from './program.ts';
import { Recorder } from './recorder.ts';
import type { RecordingInfo } from './recording-catalogue.ts';
import { RtpForwarder, type MediaKind } from './rtp-forwarder.ts';
import { buildSoundGraph, gainFilterName, volumeOf } from './sound-graph.ts';
import { PipelineSound } from './sound.ts';
import { Speaker, SPEAKER_SSRC } from './speaker.ts';
import { TalkbackIntake, type TalkbackStreams } from './talkback-intake.ts';
import type { PublishTargets } from './targets.ts';
import { zmqAddress } from './zmq-request.ts';

export type { VideoInput } from './picture-ingest.ts';

export interface MediaPipelineOptions {
  config: PipelineSlice;
  videoInputs: VideoInput[];
  targets: PublishTargets;
  logger: Logger;
  /** Where the ffmpeg binary is; default `ffmpeg` on PATH. */
  ffmpegPath?: string;
  /**
   * `ingest` (default): one ingest ffmpeg per camera feeding the compositor through the
   * FramePump, so a lost camera never stops the encoder. `direct`: the compositor reads the
   * cameras itself (one process fewer, but a camera loss restarts the encoder).
   */
  cameraMode?: 'ingest' | 'direct';
  /** Where lessons are recorded; without it recording calls fail with INVALID_STATE. */
  recordingDir?: string;
  recording?: RecordingSlice;
  /**
   * The ALSA device of the broadcast room's speakers, where the talk-back rooms are heard
   * (with talk-back places, `targets.minusSsrcs`); none: they are not played here.
   */
  speaker?: string;
}

/** What the audio API calls (PATCH /api/audio/{channel}). */
export interface MixControl {
  setGain(channelId: string, db: number): Promise<void>;
  setMuted(channelId: string, muted: boolean): Promise<void>;
}

export type PipelineHealth = 'online' | 'degraded' | 'offline';

/** The pipeline's two ffmpeg processes: the pictures' compositor and the sound's mixer. */
export type MediaProcess = 'compositor' | 'mixer';

export type MediaPipelineEvents = {
  /** RMS level of a channel after its gain, in dBFS, about four times a second. */
  level: [channelId: string, rmsDb: number];
  health: [PipelineHealth];
  /** The compositor or the mixer exited without us asking; it restarts with backoff. */
  encoderExit: [code: number | null, signal: NodeJS.Signals | null, which: MediaProcess];
  program: [Program];
  /** A camera's ingest got frames again, or lost them (its slot shows the other camera or a slate). */
  camera: [cameraId: string, state: CameraFeedState];
};

/** The running pipeline's figures, for metrics and readiness. */
export interface PipelineFigures {
  /** Stacked frames the frame pump sent to the compositor, and those it dropped instead of queueing. */
  framesOut: number;
  framesDropped: number;
  keyframeRequests: number;
  keyframesForced: number;
  cameras: { id: string; state: CameraFeedState; frames: number }[];
  /**
   * ms since the staler of picture and sound last sent an RTP packet to the SFU (Infinity
   * before both have): each has its own process, and either may stop while the other goes on.
   */
  sinceOutputMs: number;
  /**
   * Over the last `OUTPUT_RATE_WINDOW_MS`, once the output has flowed that long (undefined
   * before): frames a second of the high layer leaving for the SFU, and the share of the
   * frames due to the compositor that the frame pump dropped because it had not taken the one
   * before (0–1; undefined without a pump). The output follows the program camera's rate, so
   * the dropped share, not the rate, tells a compositor that cannot keep up.
   */
  outputFps: number | undefined;
  droppedShare: number | undefined;
}

/** The window the output rate is counted over (ms). */
export const OUTPUT_RATE_WINDOW_MS = 5_000;

export interface ChannelState {
  id: string;
  name: string;
  role: string;
  gainDb: number;
  muted: boolean;
}

/**
 * The classroom's media pipeline: two ffmpeg processes sending RTP through an RtpForwarder to
 * the SFU, the compositor (cameras → layout → H.264 simulcast layers) and the mixer (mics →
 * gain/mute/ducking → Opus). Apart, a picture that is slow to scale or encode never holds the
 * sound back (one ffmpeg serves its outputs in turn), and either restarts without the other.
 * Layout, gain and mute change live through each graph's zmq filter: no restart, no new
 * keyframe, nothing a member classroom can notice. A restart (crash, or a new config) builds
 * the graph from the current layout and gains, so live changes survive it.
 */
export class MediaPipeline extends TypedEmitter<MediaPipelineEvents> implements MixControl {
  readonly #options: MediaPipelineOptions;
  readonly #config: PipelineSlice;
  readonly #logger: Logger;
  readonly #forwarder: RtpForwarder;
  readonly #mix = new Map<string, { gainDb: number; muted: boolean }>();
  #layout: Layout;
  /** The last layout switch's steps (see layoutSteps): the next switch is sent after them. */
  #switching: Promise<void> = Promise.resolve();
  #compositor: GraphProcess | undefined;
  #mixer: GraphProcess | undefined;
  #workDir: string | undefined;
  #health: PipelineHealth = 'offline';
  #closed = false;
  #started = false;
  readonly #meter = meterParser();
  #pictures: PictureIngest | undefined;
  #sound: PipelineSound | undefined;
  readonly #recorder: Recorder | undefined;
  /** Talk-back places (source and channel ids), one per mix-minus stream of the targets. */
  readonly #talkback: string[];
  #intake: TalkbackIntake | undefined;
  #speaker: Speaker | undefined;
  /** The sources in the program's two places (see program.ts). */
  #places: Places;
  /** Whether the running graph honours keyframe flags (every picture through the pump). */
  #keyframeFlags = false;
  readonly #keyframes: KeyframeRequests;
  /** Each high-layer frame of the last window: when it left (performance.now()) and the pump's counts then; oldest first. */
  readonly #recentOutput: { at: number; written: number; dropped: number }[] = [];
  /** Since when frames have come out without a window-long gap. */
  #flowingSince: number | undefined;

  constructor(options: MediaPipelineOptions) {
    super();
    this.#options = options;
    this.#config = options.config;
    this.#logger = options.logger.child({ component: 'media-pipeline' });
    this.#forwarder = new RtpForwarder(options.targets, this.#logger, { audioDelayMs: options.config.audioDelayMs, localSsrcs: [SPEAKER_SSRC] });
    this.#talkback = (options.targets.minusSsrcs ?? []).map((_, k) => talkbackSource(k));
    this.#layout = options.config.layout;
    this.#places = placesOf(options.config, options.videoInputs);
    if (options.recordingDir) {
      this.#recorder = new Recorder({
        config: options.recording ?? recordingSchema.parse({}),
        dir: options.recordingDir,
        forwarder: this.#forwarder,
        targets: options.targets,
        logger: this.#logger,
      });
    }
    for (const channel of options.config.audioChannels) {
      this.#mix.set(channel.id, { gainDb: channel.gainDb, muted: channel.muted });
    }
    // The SFU asks for a keyframe (a newcomer, a loss, a layer switch): the pump flags the next
    // frame of that layer, and its encoder makes it an IDR.
    this.#keyframes = new KeyframeRequests({ layers: options.targets.layers.length, force: (layer) => this.#pictures?.pump?.requestKeyframe(layer) });
    this.#forwarder.on('keyframeRequest', (ssrc) => {
      const layer = this.#options.targets.layers.findIndex((l) => l.ssrc === ssrc);
      if (layer >= 0 && this.#keyframeFlags) this.#keyframes.request(layer);
    });
    // A frame of the high layer is out of the compositor: the pump hands it the next (at most
    // one frame is inside it, so a box that falls behind drops stale frames instead of queueing).
    const highSsrc = options.targets.layers[0]?.ssrc;
    this.#forwarder.on('frameSent', (ssrc) => {
      if (ssrc !== highSsrc) return;
      this.#pictures?.pump?.frameOut();
      this.#countFrameOut(performance.now());
    });
  }

  /** Keyframe requests from the SFU, and the IDRs they forced (metrics, tests). */
  get keyframeStats(): { requests: number; forced: number } {
    return this.#keyframes.stats;
  }

  /** Whether a keyframe request reaches the encoder (false when ffmpeg reads the cameras itself). */
  get keyframesOnRequest(): boolean {
    return this.#keyframeFlags;
  }

  figures(): PipelineFigures {
    const pump = this.#pictures?.pump?.stats;
    const streams = this.#forwarder.stats();
    const lastOf = (kind: MediaKind) => Math.max(0, ...streams.filter((s) => s.kind === kind).map((s) => s.lastAt));
    const lastOut = Math.min(lastOf('video'), lastOf('audio'));
    const now = performance.now();
    this.#forgetFramesBefore(now - OUTPUT_RATE_WINDOW_MS);
    const counted = this.#flowingSince !== undefined && now - this.#flowingSince >= OUTPUT_RATE_WINDOW_MS;
    const first = this.#recentOutput[0];
    const last = this.#recentOutput.at(-1);
    const due = first && last ? last.written + last.dropped - first.written - first.dropped : 0;
    return {
      framesOut: pump?.written ?? 0,
      framesDropped: pump?.dropped ?? 0,
      keyframeRequests: this.#keyframes.stats.requests,
      keyframesForced: this.#keyframes.stats.forced,
      cameras: this.cameras(),
      sinceOutputMs: lastOut > 0 ? now - lastOut : Infinity,
      outputFps: counted ? Math.round((10 * this.#recentOutput.length * 1000) / OUTPUT_RATE_WINDOW_MS) / 10 : undefined,
      droppedShare: counted && pump && due > 0 ? Math.round((100 * (last!.dropped - first!.dropped)) / due) / 100 : undefined,
    };
  }

  /**
   * A frame of the high layer left for the SFU at `now`: counted for the output rate. A gap of
   * a whole window (a restart, a frozen compositor) starts the count over.
   */
  #countFrameOut(now: number): void {
    const last = this.#recentOutput.at(-1);
    if (last === undefined || now - last.at > OUTPUT_RATE_WINDOW_MS) this.#flowingSince = now;
    const pump = this.#pictures?.pump?.stats;
    this.#recentOutput.push({ at: now, written: pump?.written ?? 0, dropped: pump?.dropped ?? 0 });
    this.#forgetFramesBefore(now - OUTPUT_RATE_WINDOW_MS);
  }

  #forgetFramesBefore(since: number): void {
    let old = 0;
    while (old < this.#recentOutput.length && this.#recentOutput[old]!.at < since) old += 1;
    if (old > 0) this.#recentOutput.splice(0, old);
  }

  /** The frame pump feeding the compositor, if this pipeline has one (probes). */
  get framePump(): FramePump | undefined {
    return this.#pictures?.pump;
  }

  /** The camera ingests by camera id (probes). */
  cameraFeeds(): ReadonlyMap<string, CameraFeed> {
    return this.#pictures?.feeds ?? new Map();
  }

  get layout(): Layout {
    return this.#layout;
  }

  get health(): PipelineHealth {
    return this.#health;
  }

  get forwarder(): RtpForwarder {
    return this.#forwarder;
  }

  /** The compositor's process id (tests kill it to prove the restart). */
  get encoderPid(): number | undefined {
    return this.#compositor?.pid;
  }

  /** The mixer's process id. */
  get mixerPid(): number | undefined {
    return this.#mixer?.pid;
  }

  /** Camera ingest states by camera id. */
  cameras(): { id: string; state: CameraFeedState; frames: number }[] {
    return this.#pictures?.cameras() ?? [];
  }

  get encoderState(): SupervisorState {
    return this.#compositor?.state ?? 'idle';
  }

  get mixerState(): SupervisorState {
    return this.#mixer?.state ?? 'idle';
  }

  channels(): ChannelState[] {
    return this.#config.audioChannels.map((c) => ({ id: c.id, name: c.name, role: c.role, ...this.#mix.get(c.id)! }));
  }

  /**
   * Resolves once the encoder runs (first frames encoded and sent). Transactional: if any step
   * fails, everything started before it (sockets, ingests, pumps, the recorder, the work
   * directory) is closed before the error is thrown, and the pipeline is closed.
   */
  async start(): Promise<void> {
    if (this.#closed) throw new InvalidStateError('media pipeline is closed');
    if (this.#started) throw new InvalidStateError('media pipeline already started');
    this.#started = true;
    try {
      await this.#start();
    } catch (error) {
      await this.close();
      throw isClasscastError(error) ? error : new ClasscastError('FFMPEG_START_FAILED', 'the media pipeline did not start', { cause: error });
    }
  }

  async #start(): Promise<void> {
    const workDir = await mkdtemp(join(tmpdir(), 'classcast-media-'));
    this.#workDir = workDir;
    const controlPath = join(workDir, 'control.sock');
    const mixPath = join(workDir, 'mix.sock');
    const ports = await this.#forwarder.start();
    await this.#recorder?.start();
    const layers = this.#options.targets.layers;
    const direct = this.#options.cameraMode === 'direct';
    const sound = new PipelineSound({
      config: this.#config,
      cameras: direct ? [] : this.#options.videoInputs.map((i) => i.id),
      talkback: this.#talkback,
      logger: this.#logger,
      ...(this.#options.ffmpegPath ? { ffmpegPath: this.#options.ffmpegPath } : {}),
    });
    this.#sound = sound;
    const pictures = direct
      ? undefined
      : new PictureIngest(
          {
            config: this.#config,
            videoInputs: this.#options.videoInputs,
            canvas: layers[0]!,
            logger: this.#logger,
            ...(this.#options.ffmpegPath ? { ffmpegPath: this.#options.ffmpegPath } : {}),
            onCamera: (id, state) => this.safeEmit('camera', id, state),
            guests: this.#talkback.length > 0,
          },
          this.program,
        );
    this.#pictures = pictures;
    const slotsAt: (originMs: number) => VideoSlots = pictures
      ? await pictures.start(workDir, sound.cameraRings)
      : () => directSlots(this.#config)(this.#options.videoInputs);
    await sound.start(workDir);
    this.#intake = new TalkbackIntake({ workDir, pictures, rings: sound.talkbackRings });
    if (this.#options.speaker && this.#talkback.length > 0) {
      this.#speaker = new Speaker({
        device: this.#options.speaker,
        forwarder: this.#forwarder,
        payloadType: this.#options.targets.audioPayloadType,
        workDir,
        logger: this.#logger,
        ...(this.#options.ffmpegPath ? { ffmpegPath: this.#options.ffmpegPath } : {}),
      });
      await this.#speaker.start();
    }
    const fps = this.#config.fps;
    const compositorArgsNow = () => {
      // Built on every (re)start, from the current layout: live changes survive a crash.
      // Every start gets its own origin: the wall time its timestamps count from.
      const originMs = gridOrigin(Date.now());
      const plan = buildPictureGraph({
        config: this.#config,
        slots: slotsAt(originMs),
        layout: this.#layout,
        layers: layers.map((l) => ({ width: l.width, height: l.height })),
        controlAddress: zmqAddress({ path: controlPath }),
        originMs,
      });
      this.#keyframeFlags = plan.keyframeFlags;
      return compositorArgs(
        plan,
        layers.map((layer, i) => ({
          label: plan.videoLabels[i]!,
          bitrateKbps: layer.bitrateKbps,
          gopFrames: Math.max(1, Math.round(((i === 0 ? this.#config.keyframeIntervalMs : this.#config.lowKeyframeIntervalMs) * fps) / 1000)),
          threads: i === 0 ? 2 : 1,
          payloadType: this.#options.targets.videoPayloadType,
          ssrc: layer.ssrc,
          url: rtpUrl('127.0.0.1', ports.video),
          ...(plan.keyframeFlags && i < MAX_FLAGGED_LAYERS ? { keyframeFlag: { layer: i, fps } } : {}),
        })),
      );
    };
    const mixerArgsNow = () => {
      // From the current gains and mutes, on a clock of its own start.
      const originMs = gridOrigin(Date.now());
      const plan = buildSoundGraph({
        config: this.#config,
        ...sound.graphPart(originMs),
        mix: this.#mix,
        controlAddress: zmqAddress({ path: mixPath }),
        originMs,
        talkback: this.#talkback,
        speakers: this.#speaker !== undefined,
      });
      const opus = (label: string, ssrc: number) => ({
        label,
        bitrateKbps: this.#config.audioBitrateKbps,
        payloadType: this.#options.targets.audioPayloadType,
        ssrc,
        url: rtpUrl('127.0.0.1', ports.audio),
      });
      return mixerArgs(plan, [
        opus(plan.audioLabel, this.#options.targets.audioSsrc),
        ...plan.minusLabels.map((label, k) => opus(label, this.#options.targets.minusSsrcs![k]!)),
        ...(plan.frontLabel && this.#speaker ? [opus(plan.frontLabel, SPEAKER_SSRC)] : []),
      ]);
    };

    this.#compositor = this.#graphProcess('compositor', compositorArgsNow, controlPath);
    this.#mixer = this.#graphProcess('mixer', mixerArgsNow, mixPath);
    // The mixer's meters print on its stderr.
    this.#mixer.supervisor.on('line', (stream, line) => {
      const reading = stream === 'stderr' ? parseMeterLine(this.#meter, line) : undefined;
      if (reading) this.safeEmit('level', reading.channelId, reading.rmsDb);
    });
    await Promise.all([this.#compositor.start(), this.#mixer.start()]);
  }

  /** One of the two graphs, supervised; its RTP continues across its restarts (`rebase`). */
  #graphProcess(which: MediaProcess, args: () => string[], controlPath: string): GraphProcess {
    const graph = new GraphProcess({
      name: `ffmpeg-${which}`,
      args,
      controlPath,
      logger: this.#logger,
      ...(this.#options.ffmpegPath ? { ffmpegPath: this.#options.ffmpegPath } : {}),
    });
    const supervisor = graph.supervisor;
    supervisor.on('spawn', () => this.#forwarder.rebase(which === 'compositor' ? 'video' : 'audio'));
    supervisor.on('state', () => this.#setHealth(healthOf([this.#compositor?.state ?? 'idle', this.#mixer?.state ?? 'idle'])));
    supervisor.on('exit', (code, signal, expected) => {
      if (!expected) this.safeEmit('encoderExit', code, signal, which);
    });
    return graph;
  }

  async setLayout(layout: Layout): Promise<void> {
    await this.setProgram({ layout });
  }

  /** What is on program now. */
  get program(): Program {
    return { layout: this.#layout, ...this.#places };
  }

  /** The sources a place can show: every camera, the board feed when there is one, the talk-back places. */
  get sources(): string[] {
    return programSources(this.#config, this.#options.videoInputs, this.#talkback);
  }

  /** The talk-back places' source ids (`talkback-1`, …), one per mix-minus stream. */
  get talkbackPlaces(): readonly string[] {
    return this.#talkback;
  }

  /**
   * A room goes on air on talk-back place `place` (0-based): its sound and picture, sent as
   * `streams` by the SFU, reach the program (its picture as source `talkback-<place+1>`, its
   * sound in the mix and in every mix-minus but its own). Returns its ingest, whose frames
   * show when its picture arrives.
   */
  openTalkback(place: number, streams: TalkbackStreams): CameraFeed {
    this.#assertOpen();
    if (!this.#intake) throw new ClasscastError('INVALID_STATE', 'the media pipeline has not started');
    return this.#intake.open(place, streams);
  }

  /** The ingest of the room on air on `place`, while there is one (probes). */
  talkbackFeed(place: number): CameraFeed | undefined {
    return this.#pictures?.guest(talkbackSource(place));
  }

  /** The room on `place` leaves the air: its ingest stops and its channel falls silent. */
  async closeTalkback(place: number): Promise<void> {
    await this.#intake?.close(place);
  }

  /**
   * Changes the program live: the layout (a few filter commands, no keyframe) and the sources
   * in its places (the frame pump reads another ingest from the next frame). Checked first:
   * an unknown layout or source changes nothing.
   */
  async setProgram(change: ProgramChange): Promise<Program> {
    this.#assertOpen();
    checkChange(change, this.sources);
    const places = { main: change.main ?? this.#places.main, second: change.second ?? this.#places.second };
    if (this.#options.cameraMode === 'direct' && (places.main !== this.#places.main || places.second !== this.#places.second)) {
      throw new ClasscastError('INVALID_STATE', 'the compositor reads the cameras itself (cameraMode direct): its places are fixed');
    }
    this.#places = places;
    if (change.layout !== undefined && change.layout !== this.#layout) {
      const canvas = this.#options.targets.layers[0]!;
      const from = placeLayout(this.#layout, canvas);
      this.#layout = change.layout;
      const steps = layoutSteps(canvas, placeLayout(change.layout, canvas), from);
      // One switch after the other: interleaved, an earlier switch's last step could stop the
      // scale of an overlay a later switch shows.
      const switched = this.#switching.then(async () => {
        for (const step of steps) await (this.#compositor?.send(step) ?? Promise.resolve());
      });
      this.#switching = switched.catch(() => undefined);
      await switched;
    }
    this.#pictures?.show(this.#layout, this.#places);
    this.safeEmit('program', this.program);
    return this.program;
  }

  /** Puts `source` on program alone (see `cutTo`). */
  cut(source: string): Promise<Program> {
    return this.setProgram(cutTo(this.program, source, this.#pictures?.board));
  }

  async setGain(channelId: string, db: number): Promise<void> {
    this.#assertOpen();
    const state = this.#channel(channelId);
    if (!Number.isFinite(db) || db < -60 || db > 20) throw new TypeError('gain must be between -60 and 20 dB');
    state.gainDb = db;
    await this.#sendGain(channelId, state);
  }

  async setMuted(channelId: string, muted: boolean): Promise<void> {
    this.#assertOpen();
    const state = this.#channel(channelId);
    state.muted = muted;
    await this.#sendGain(channelId, state);
  }

  /**
   * Records the broadcast as HLS/fMP4 segments under `<recordingDir>/<lessonId>/part-<part>/`.
   * The timetable passes part 2, 3, … when it restarts a lesson's recording after a crash.
   */
  async startRecording(options: { lessonId: string; part?: number }): Promise<void> {
    this.#assertOpen();
    if (!this.#recorder) throw new InvalidStateError('no recordingDir configured');
    await this.#recorder.startRecording(options);
  }

  /**
   * Records `lessonId` part `part` from now on: a recording of another lesson (or part) is
   * finished first, so back-to-back lessons each get their own, with no gap in the broadcast.
   */
  async switchRecording(options: { lessonId: string; part: number }): Promise<void> {
    const current = this.recording;
    if (current && (current.lessonId !== options.lessonId || current.part !== options.part)) await this.stopRecording();
    await this.startRecording(options);
  }

  async stopRecording(): Promise<void> {
    await this.#recorder?.stopRecording();
  }

  async listRecordings(): Promise<RecordingInfo[]> {
    return (await this.#recorder?.listRecordings()) ?? [];
  }

  get recording(): { lessonId: string; part: number } | undefined {
    return this.#recorder?.recording;
  }

  get recorderPid(): number | undefined {
    return this.#recorder?.pid;
  }

  async close(): Promise<void> {
    if (this.#closed) return;
    this.#closed = true;
    this.#keyframes.close();
    await this.#recorder?.close();
    await this.#speaker?.close();
    await Promise.all([this.#compositor?.stop(), this.#mixer?.stop()]);
    await this.#pictures?.close();
    await this.#sound?.close();
    this.#forwarder.close();
    if (this.#workDir) await rm(this.#workDir, { recursive: true, force: true });
    this.#setHealth('offline');
  }

  #channel(channelId: string): { gainDb: number; muted: boolean } {
    const state = this.#mix.get(channelId);
    if (!state) throw new ClasscastError('NOT_FOUND', `no audio channel ${channelId}`);
    return state;
  }

  #sendGain(channelId: string, state: { gainDb: number; muted: boolean }): Promise<void> {
    return this.#mixer?.send([`${gainFilterName(channelId)} volume ${volumeOf(state.gainDb, state.muted)}`]) ?? Promise.resolve();
  }

  #setHealth(health: PipelineHealth): void {
    if (this.#health === health) return;
    this.#health = health;
    this.safeEmit('health', health);
  }

  #assertOpen(): void {
    if (this.#closed) throw new InvalidStateError('media pipeline is closed');
  }
}

/** Online when both processes run; offline when either is down for good; degraded between. */
function healthOf(states: SupervisorState[]): PipelineHealth {
  if (states.every((s) => s === 'running')) return 'online';
  if (states.some((s) => s === 'idle' || s === 'stopping' || s === 'stopped')) return 'offline';
  return 'degraded';
}
