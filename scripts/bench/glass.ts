import { spawn, type ChildProcess } from 'node:child_process';
import { writeFileSync } from 'node:fs';
import { mkdtemp, rm } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { monitorEventLoopDelay } from 'node:perf_hooks';
import { build } from 'esbuild';
import type { Logger } from 'pino';
import { chromium, type Browser, type Page } from 'playwright-core';
import { startDemo } from '../../daemon/demo/demo.ts';
import { MEMBER_PAGE_FLAGS } from '../../daemon/web/classroom/kiosk.ts';
import { readStamp } from '../../devices/camera/sim/time-stamp.ts';
import { rtspInputOptions } from '../../pipeline/media/graph.ts';
import { even } from '../../pipeline/media/targets.ts';
import { orphanSafe } from '../../config/foundation/process/orphan-safe.ts';
import { Supervisor } from '../../config/foundation/process/supervisor.ts';
import type { GlassPageState } from './glass-page.ts';
import { watchMajorGcs, type MajorGcs } from './gc-watch.ts';
import { HlsChain } from './glass-hls.ts';
import { percentile, spread, stageShare, type Share, type StageFrames } from './glass-share.ts';
import { GlassStages, type StageName } from './glass-stages.ts';
import { formatJoin, joinRow, measureJoin, type JoinRow } from './join.ts';
import { JoinWatch } from './join-watch.ts';
import { HEADLESS_OFFLINE_FLAGS, memberBrowserFlags } from './member-browser.ts';
import { idleKeyframeAnswers, KeyframeWatch } from './keyframe-watch.ts';
import { SoundWatch } from './sound-watch.ts';
import { ShapedLink } from './shaped-link.ts';
import { SplitCores } from './split-cores.ts';
import { cpuPercent, cpuTicks } from './workers-cpu.ts';

/** The rural link a member classroom joins over in the bench: 1 Mbit/s each way. */
const RURAL_LINK_KBIT = 1000;
/**
 * The unloaded window is measured again, at most this many times, when the SFU kept the page on
 * a lower layer for most of it: such a window says little of the canvas's delay.
 */
const LOW_LAYER_RETRIES = 2;
/** How long a window measured again waits for the page to show the canvas's layer. */
const HIGH_LAYER_WAIT_MS = 30_000;

export interface GlassOptions {
  /** Measuring window, after the page is live and a warm-up second. */
  measureMs: number;
  logger: Logger;
  /** Canvas and cameras (default the schema's: 1280x720 at 30 fps). */
  width?: number;
  height?: number;
  fps?: number;
}

export interface GlassRow {
  path: string;
  /** Camera frames whose stamp was read in the window (each counted at its first presentation). */
  frames: number;
  /** Frames presented in the window, repeats included. */
  presented: number;
  /** Presented frames whose stamp could not be read. */
  unreadable: number;
  /** Width of the picture read (the simulcast layer, for the page). */
  width: number;
  /**
   * For a page on the SFU: frames read at another width (a lower simulcast layer) in the
   * window, left out of the figures, which are the canvas's.
   */
  otherLayerFrames?: number;
  p50: number;
  p95: number;
  p99: number;
  max: number;
  /**
   * For the page: the mean time a frame / an audio sample waited in Chromium's jitter buffer
   * over the window (getStats `jitterBufferDelay / jitterBufferEmittedCount`), in ms, and the
   * sound's mean target over it (`jitterBufferTargetDelay`): a wait above its target is a
   * backlog being drained, at its target the lateness NetEq saw.
   */
  jitterBufferMs?: { video: number; audio: number; audioTarget: number };
  /**
   * For the page: presented frames whose stamp it read from the frame's luma plane, and those
   * it had to read through a canvas (glass-page.ts).
   */
  stampsRead?: { plane: number; canvas: number };
  /**
   * For a stage of the path and the page: its own part of each frame's delay (this stage's
   * delay − the stage before's, over the frames both saw; glass-share.ts), at p50 and p95.
   */
  shareMs?: number;
  shareP95Ms?: number;
}

const STAGES: { name: StageName; path: string }[] = [
  { name: 'ingest', path: 'stage: camera → ingest decoded in Node' },
  { name: 'pump', path: 'stage: → frame pump wrote it' },
  { name: 'encoded', path: 'stage: → composited, encoded, RTP leaving the box' },
  { name: 'sfu', path: 'stage: → RTP leaving the SFU' },
];

/** Cumulative jitter-buffer figures of the page's inbound streams (getStats). */
async function jitterBuffers(page: Page): Promise<Record<'video' | 'audio', { delay: number; target: number; emitted: number }>> {
  return page.evaluate(async () => {
    const api = (window as unknown as { classcast: { stats: () => Promise<Record<string, unknown>[]> } }).classcast;
    const out = { video: { delay: 0, target: 0, emitted: 0 }, audio: { delay: 0, target: 0, emitted: 0 } };
    for (const s of await api.stats()) {
      if (s.type !== 'inbound-rtp' || (s.kind !== 'video' && s.kind !== 'audio')) continue;
      out[s.kind].delay += Number(s.jitterBufferDelay ?? 0);
      out[s.kind].target += Number(s.jitterBufferTargetDelay ?? 0);
      out[s.kind].emitted += Number(s.jitterBufferEmittedCount ?? 0);
    }
    return out;
  });
}

const PAGE_MODULE = path.resolve(import.meta.dirname, 'glass-page.ts');
const START_TIMEOUT_MS = 60_000;

/** A stage's row and its frames (for withShares), from what `stages` recorded. */
export function stageRow(stages: GlassStages, name: StageName, pathName: string, width: number): { row: GlassRow; frames: StageFrames } {
  const frames = stages.frames(name);
  return { row: row(pathName, frames.delays, frames.delays.length, 0, width), frames };
}

/** `stages` (the path's, in order) with each one's share of the delay (stageShare). */
export function withShares(stages: { row: GlassRow; frames: StageFrames }[]): GlassRow[] {
  return stages.map(({ row: r, frames }, i) => {
    const share = stageShare(frames, i === 0 ? undefined : stages[i - 1]!.frames);
    return { ...r, shareMs: share.p50, shareP95Ms: share.p95 };
  });
}

export function row(pathName: string, delays: readonly number[], presented: number, unreadable: number, width: number): GlassRow {
  const sorted = [...delays].sort((a, b) => a - b);
  const round = (v: number) => Math.round(v * 10) / 10;
  return {
    path: pathName,
    frames: sorted.length,
    presented,
    unreadable,
    width,
    p50: round(percentile(sorted, 0.5)),
    p95: round(percentile(sorted, 0.95)),
    p99: round(percentile(sorted, 0.99)),
    max: round(sorted.at(-1) ?? 0),
  };
}

/**
 * Chromium's flags for the bench's pages: a member-classroom kiosk's (`kiosk.ts`, through
 * `memberBrowserFlags`; `stock`: without them, Chromium building its address bar's UI pages
 * with each window, the baseline row). mediasoup-client needs a secure context: 127.0.0.1 is
 * one, the shaped link's address is made one by a flag (a kiosk gets it from https).
 */
async function browserArgs(origin: string, stock = false): Promise<string[]> {
  return [
    ...HEADLESS_OFFLINE_FLAGS,
    `--unsafely-treat-insecure-origin-as-secure=${origin}`,
    ...(stock ? MEMBER_PAGE_FLAGS : await memberBrowserFlags()),
  ];
}

/**
 * Debian's Chromium, headless, with a member kiosk's flags as in test/helpers/browser.ts
 * (`stock`: without them, see browserArgs). With `userPriority` (a directory for its start
 * script), at the default nice 0; without, at this process's (the box's -5). Either way in
 * a session of its own (Playwright starts it so), which the kernel weighs as much as the box's
 * whole session before any nice counts (autogroup): the browser competes with the box as an
 * equal. `executablePath`: a start script of its own instead (SplitCores.pageLauncher).
 */
export async function launchBrowser(origin: string, userPriority?: string, executablePath?: string, stock = false): Promise<Browser> {
  executablePath ??= userPriority ? atUserPriority(userPriority, '/usr/bin/chromium') : '/usr/bin/chromium';
  return chromium.launch({ executablePath, headless: true, args: await browserArgs(origin, stock) });
}

/** A start script in `dir` that runs `command` at nice 0, whatever this process runs at. */
export function atUserPriority(dir: string, command: string): string {
  const script = path.join(dir, `${path.basename(command)}-user-priority.sh`);
  writeFileSync(script, `#!/bin/sh\nexec nice -n ${-os.getPriority(0)} ${command} "$@"\n`, { mode: 0o755 });
  return script;
}

/** The page-side reader, bundled with the same stamp module the camera draws with. */
export async function installPageReader(page: Page): Promise<void> {
  const result = await build({ entryPoints: [PAGE_MODULE], bundle: true, format: 'iife', write: false, logLevel: 'silent' });
  await page.addScriptTag({ content: result.outputFiles[0]!.text });
}

/** Reads (and optionally clears) the page's samples, and turns recording on or off. */
export async function pageSamples(page: Page, recording: boolean, reset: boolean): Promise<GlassPageState> {
  return page.evaluate(
    ([rec, clear]) => {
      const g = (window as unknown as { glass: GlassPageState }).glass;
      const out = { ...g, delays: [...g.delays], widths: [...g.widths], stamps: [...g.stamps], sounds: [...g.sounds], read: { ...g.read } };
      g.recording = rec;
      if (clear) {
        g.delays = [];
        g.widths = [];
        g.stamps = [];
        g.sounds = [];
        g.presented = 0;
        g.unreadable = 0;
        g.read = { plane: 0, canvas: 0 };
      }
      return out;
    },
    [recording, reset] as const,
  );
}

export async function until<T>(probe: () => Promise<T>, accept: (v: T) => boolean, timeoutMs: number, what: string): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const value = await probe();
    if (accept(value)) return value;
    if (Date.now() > deadline) throw new Error(`bench glass: timed out waiting for ${what}; last: ${JSON.stringify(value).slice(0, 200)}`);
    await new Promise((resolve) => setTimeout(resolve, 200));
  }
}

/**
 * The baseline: the camera's RTSP decoded straight by ffmpeg with the pipeline's own ingest
 * options, grey frames read in Node: camera encode + RTSP relay + decode, nothing else.
 *
 * It runs in the daemon's process, so it reads as the camera ingest does (the Supervisor's
 * `stdoutInto`: one read buffer, and one frame buffer it fills): a new buffer per read and per frame (7 MB a second
 * at 640x360@30) made V8 collect in full 7–8 times in 10 s in the daemon's process, which
 * without it collects none, and added 10 points of a core to it.
 */
class DirectDecoder {
  readonly #supervisor: Supervisor;
  readonly #frame: Buffer;
  #filled = 0;
  recording = false;
  delays: number[] = [];
  /** The camera's stamp of each of `delays`. */
  stamps: number[] = [];
  presented = 0;
  unreadable = 0;
  seen = 0;
  #lastStamp: number | undefined;

  private constructor(url: string, width: number, height: number, logger: Logger) {
    this.#frame = Buffer.alloc(width * height);
    this.#supervisor = new Supervisor({
      name: 'bench-direct-decode',
      command: 'ffmpeg',
      args: ['-hide_banner', '-nostdin', '-loglevel', 'error', ...rtspInputOptions(), '-i', url, '-an', '-fps_mode', 'passthrough', '-f', 'rawvideo', '-pix_fmt', 'gray', '-s', `${width}x${height}`, 'pipe:1'],
      logger,
      // One run: a decoder that ends leaves the baseline short, as it did before.
      restart: false,
      stdoutInto: { bytes: 64 * 1024, onData: (chunk) => this.#onData(chunk, width, height) },
    });
  }

  static async start(url: string, width: number, height: number, logger: Logger): Promise<DirectDecoder> {
    const decoder = new DirectDecoder(url, width, height, logger);
    await decoder.#supervisor.start();
    return decoder;
  }

  #onData(chunk: Buffer, width: number, height: number): void {
    const now = Date.now();
    let at = 0;
    while (at < chunk.length) {
      const copied = chunk.copy(this.#frame, this.#filled, at);
      at += copied;
      this.#filled += copied;
      if (this.#filled < this.#frame.length) return;
      this.#filled = 0;
      this.seen += 1;
      if (!this.recording) continue;
      const frame = this.#frame;
      const stamped = readStamp((x, y) => frame[y * width + x]!, width, height);
      this.presented += 1;
      if (stamped === undefined) this.unreadable += 1;
      else if (stamped !== this.#lastStamp) {
        this.delays.push(now - stamped);
        this.stamps.push(stamped);
      }
      if (stamped !== undefined) this.#lastStamp = stamped;
    }
  }

  async close(): Promise<void> {
    await this.#supervisor.stop();
  }
}

/**
 * Glass-to-glass delay: the demo with stamping simulated cameras and the teacher layout, a
 * member classroom in headless Chromium reading the stamp of each presented frame, beside the
 * camera's RTSP decoded directly, in the same window.
 */
export interface GlassResult {
  rows: GlassRow[];
  /** Page open → first picture, cold (fresh profile each load) and warm (cached), then over the rural link. */
  join: JoinRow[];
  /** The rural link's shape, or why it could not be made here. */
  ruralLink: string;
  /** How the last row of loads split the cores, or why it is missing. */
  splitCores: string;
  /** Keyframe request reaching the box → its IDR leaving, with no page loading (ms, sorted). */
  keyframeIdleMs: number[];
  /**
   * classcast's part of the delay, frame by frame: the page showing a frame − the camera's
   * RTSP decoding it directly, over the frames both read, unloaded and under the busy loop.
   */
  classcastShare: { unloaded: Share; underLoad: Share };
  /**
   * The sound's way beside the picture's (`SoundFigures`), unloaded, under the busy loop, and
   * (`ownCore`) in a last window with the page on a core of its own and the box on the other
   * (`SplitCores`, when there are two cores): the ear and the eye apart from the page's own
   * starvation on the shared cores.
   */
  sound: { unloaded: SoundFigures; underLoad: SoundFigures; ownCore?: SoundFigures };
  /** Frames the box dropped instead of queueing: in the unloaded window and under the hog. */
  dropped: { unloaded: number; underLoad: number };
  /** The nice value the box ran at (-5 as its systemd unit runs it, when allowed). */
  nice: number;
  /**
   * The bench's own process in the unloaded window (the demo's daemon with its simulated
   * devices), and the compositor's and the mixer's ffmpeg in the same window.
   */
  boxProcess: { cpuPercent: number; loopDelayP99Ms: number; majorGcs: MajorGcs; compositorCpuPercent: number; mixerCpuPercent: number };
  /** Unloaded windows measured and not kept, the page on a lower layer for most of each. */
  windowRetries: number;
}

/**
 * The sound's way and the picture's from where each enters the box's ffmpeg (the mixer's, the
 * compositor's), in one window: the demo's stamped beep from the audio pump to heard in the page (`heard`: each
 * beep's delay), and the picture from the frame pump to shown (`picture`: frame by frame). A
 * camera's own microphone enters the audio pump with its picture (pipeline/MEDIA.md, "Lip
 * sync"), so `heard` − `picture` is how far its sound lags its picture in a member classroom.
 */
export interface SoundFigures {
  heard: Share;
  /** The box's part of `heard`: the audio pump to the program's sound leaving the box, packet by packet (`SoundWatch`). */
  box: Share;
  picture: Share;
}

/**
 * A member classroom's window as `SoundFigures`; `pump`: the frame pump's frames of that
 * window; `box`: the sound's delays leaving the box in it.
 */
export function soundFigures(inPage: Pick<GlassPageState, 'sounds'>, shown: StageFrames, pump: StageFrames, box: readonly number[]): SoundFigures {
  return { heard: spread(inPage.sounds), box: spread(box), picture: stageShare(shown, pump) };
}

/**
 * A row of a member classroom's window at the canvas's width: frames the SFU sent at a lower
 * simulcast layer (its bandwidth estimate moved the classroom down) are counted, not measured.
 */
function pageRow(pathName: string, state: GlassPageState, width: number): GlassRow {
  const { delays } = canvasFrames(state, width);
  return { ...row(pathName, delays, state.presented, state.unreadable, width), otherLayerFrames: state.delays.length - delays.length, stampsRead: state.read };
}

/** The page's frames read `width` wide (the canvas's layer). */
export function canvasFrames(state: Pick<GlassPageState, 'delays' | 'widths' | 'stamps'>, width: number): StageFrames {
  const kept = state.delays.flatMap((_, i) => (state.widths[i] === width ? [i] : []));
  return { delays: kept.map((i) => state.delays[i]!), stamps: kept.map((i) => state.stamps[i]!) };
}

/** More than half of a window's frames came at a layer other than `width` (the canvas's). */
export function mostlyOtherLayer(state: Pick<GlassPageState, 'widths'>, width: number): boolean {
  const other = state.widths.filter((w) => w !== width).length;
  return other * 2 > state.widths.length;
}

/** A member page of `url` in `browser`, live and reading the camera's stamps (five read). */
async function openMemberPage(browser: Browser, url: string, what: string): Promise<Page> {
  const page = await browser.newPage();
  await page.goto(url);
  await page.waitForSelector('video');
  await installPageReader(page);
  await pageSamples(page, true, true);
  await until(() => pageSamples(page, true, false), (s) => s.delays.length >= 5, START_TIMEOUT_MS, `stamped frames in ${what}`);
  return page;
}

/** Waits until the page shows pictures `width` wide (the high layer, after a newcomer's low one). */
async function untilShowing(page: Page, width: number, timeoutMs = START_TIMEOUT_MS): Promise<void> {
  const showing = () => page.evaluate(() => (window as unknown as { glass: GlassPageState }).glass.width);
  await until(showing, (w) => w === width, timeoutMs, `the member classroom showing the ${width} px layer`);
}

/** Reads delays from a page with the reader installed, over one window of `ms`. */
export async function pageWindow(page: Page, ms: number): Promise<GlassPageState> {
  await pageSamples(page, true, true);
  await new Promise((resolve) => setTimeout(resolve, ms));
  return pageSamples(page, false, false);
}

/** A busy loop on one core beside the daemon, for as long as it is needed (bounded), at the default priority. */
function startHog(maxMs: number): ChildProcess {
  const [command, args] = orphanSafe(process.execPath, ['-e', `const end = Date.now() + ${maxMs}; while (Date.now() < end) {}`]);
  const hog = spawn(command, args, { stdio: 'ignore' });
  try {
    if (hog.pid) os.setPriority(hog.pid, 0);
  } catch {
    // It inherited our priority; then the window measures a hog as favoured as the box.
  }
  return hog;
}

/**
 * The box runs as its systemd unit runs it, at nice -5 (scripts/systemd/classcast.service),
 * children included; where that is not allowed (not root), at the priority it has.
 */
export function asTheUnitRuns(): number {
  try {
    os.setPriority(0, -5);
  } catch {
    // not permitted: measure as we are
  }
  return os.getPriority(0);
}

/**
 * Glass-to-glass delay: the demo with stamping simulated cameras and the teacher layout, a
 * member classroom in headless Chromium reading the stamp of each presented frame, beside the
 * camera's RTSP decoded directly, in the same window; then, in the same run, page loads to the
 * first picture, a window with a busy loop eating one core, and the same camera through an
 * ffmpeg → HLS → hls.js chain.
 */
export async function runGlass(options: GlassOptions): Promise<GlassResult> {
  const dataDir = await mkdtemp(path.join(os.tmpdir(), 'classcast-glass-'));
  let demo: Awaited<ReturnType<typeof startDemo>> | undefined;
  let browser: Browser | undefined;
  let direct: DirectDecoder | undefined;
  let hog: ChildProcess | undefined;
  let hls: HlsChain | undefined;
  let keyframes: KeyframeWatch | undefined;
  let joins: JoinWatch | undefined;
  let sound: SoundWatch | undefined;
  let ruralBrowser: Browser | undefined;
  // A member classroom behind a thin link joins too: the box listens on the link's host end.
  const link = ShapedLink.create({ downKbit: RURAL_LINK_KBIT, upKbit: RURAL_LINK_KBIT });
  const ruralLink = link instanceof ShapedLink ? `${RURAL_LINK_KBIT} kbit/s each way (tc tbf, 150 ms queue)` : `not measured: ${link.unavailable}`;
  const size = { width: options.width ?? 1280, height: options.height ?? 720, fps: options.fps ?? 30 };
  const stages = new GlassStages(size.width, size.height);
  const nice = asTheUnitRuns();
  const split = SplitCores.create();
  const splitCores = split instanceof SplitCores ? split.describe : `not measured: ${split.unavailable}`;
  try {
    // The teacher camera full screen all along: no voice tracking to cut away from it.
    demo = await startDemo({
      port: 0,
      dataDir,
      logger: options.logger,
      logLevel: 'error',
      stampTime: true,
      layout: 'teacher',
      canvas: size,
      teacherCamera: size,
      director: false,
      ...(link instanceof ShapedLink ? { host: link.hostIp } : {}),
    });
    const camera = demo.cameras[0]!;
    direct = await DirectDecoder.start(camera.rtspUrl, 640, even((640 * size.height) / size.width), options.logger);
    const pipeline = demo.daemon.studio.pipeline;
    const feed = pipeline?.cameraFeeds().get(camera.id);
    const pump = pipeline?.framePump;
    if (!pipeline || !feed || !pump || !demo.daemon.room) throw new Error('bench glass: the demo has no pipeline with a camera ingest');
    stages.watchIngest(feed);
    stages.watchPump(pump);
    await stages.watchEncoded(pipeline.forwarder, demo.daemon.plan.layers[0]!.ssrc);
    const sfuProbe = await stages.watchSfu(demo.daemon.room);
    keyframes = await KeyframeWatch.start(pipeline.forwarder);
    const signalling = demo.daemon.signalling;
    if (!signalling) throw new Error('bench glass: the demo has no member signalling');
    joins = new JoinWatch(signalling);
    sound = await SoundWatch.start(pipeline.forwarder, demo.daemon.plan.audioSsrc);
    browser = await launchBrowser(demo.info.apiBase, dataDir);
    // Page loads while the lesson runs, before the measuring page opens: a kiosk after a
    // reboot (cold) and after a reload (warm), each the only member classroom in its browser.
    await until(async () => pipeline.figures().sinceOutputMs < 1000, (ok) => ok, START_TIMEOUT_MS, 'the pipeline sending');
    const join = [
      joinRow('join: fresh profile (nothing cached)', await measureJoin(browser, demo.info.classroomUrl, 6, false, keyframes, joins)),
      joinRow('join: reload (script cached)', await measureJoin(browser, demo.info.classroomUrl, 6, true, keyframes, joins)),
    ];
    // The baseline: the same fresh loads in Chromium as it comes, which builds its address
    // bar's UI pages in a renderer of their own with each window (kiosk.ts).
    const stock = await launchBrowser(demo.info.apiBase, dataDir, undefined, true);
    try {
      join.push(joinRow('join: fresh profile, Chromium without the kiosk flags', await measureJoin(stock, demo.info.classroomUrl, 6, false, keyframes, joins)));
    } finally {
      await stock.close();
    }
    if (link instanceof ShapedLink) {
      ruralBrowser = await link.launchChromium(await browserArgs(demo.info.apiBase), atUserPriority(dataDir, '/usr/bin/chromium'));
      join.push(joinRow(`join over a ${RURAL_LINK_KBIT} kbit/s link: fresh profile`, await measureJoin(ruralBrowser, demo.info.classroomUrl, 6, false, keyframes, joins)));
      await ruralBrowser.close();
    }
    // The same fresh loads with the page and the box on a core each: what the first picture
    // is when neither waits for the other's work (a member PC is another machine).
    if (split instanceof SplitCores) {
      const { apiBase, classroomUrl } = demo.info;
      const watch = keyframes;
      const joinWatch = joins;
      const loads = await split.run(async () => {
        const own = await launchBrowser(apiBase, undefined, split.pageLauncher(dataDir, '/usr/bin/chromium'));
        try {
          return await measureJoin(own, classroomUrl, 6, false, watch, joinWatch);
        } finally {
          await own.close();
        }
      });
      join.push(joinRow('join: fresh profile, the page on a core of its own', loads));
    }
    // The same answer with no page loading on the box's cores: what the joins' pages cost it.
    const keyframeIdleMs = await idleKeyframeAnswers(keyframes, () => sfuProbe.requestKeyFrame(), 6);
    // Live and reading stamps in the page, and frames arriving at the direct decoder.
    const page = await openMemberPage(browser, demo.info.classroomUrl, 'the member classroom');
    const d = direct;
    await until(async () => d.seen, (n) => n >= 5, START_TIMEOUT_MS, 'frames from the camera');
    // The high layer, a second of warm-up (jitter buffer settling), then the window; again
    // (every row of it) when the page spent most of it on a lower layer.
    await untilShowing(page, size.width);
    // A window of the stages and the camera decoded directly, from empty (the page's is pageWindow).
    const soundOut = sound;
    const startRecording = () => {
      stages.clear();
      soundOut.clear();
      soundOut.recording = true;
      d.delays = [];
      d.stamps = [];
      d.presented = 0;
      d.unreadable = 0;
      d.recording = true;
      stages.recording = true;
    };
    const stopRecording = () => {
      soundOut.recording = false;
      d.recording = false;
      stages.recording = false;
    };
    const unloadedWindow = async () => {
      await new Promise((resolve) => setTimeout(resolve, 1000));
      const buffersBefore = await jitterBuffers(page);
      const droppedBefore = pump.stats.dropped;
      startRecording();
      const loopDelay = monitorEventLoopDelay({ resolution: 2 });
      loopDelay.enable();
      const gcs = watchMajorGcs();
      const cpuBefore = process.cpuUsage();
      // The compositor's and the mixer's ffmpeg, each the same process through the window (a restart would show as 0).
      const processCpu = (pidOf: () => number | undefined) => {
        const pid = pidOf();
        const before = pid === undefined ? 0 : cpuTicks(pid);
        return () => (pid === undefined || pidOf() !== pid ? 0 : cpuTicks(pid) - before);
      };
      const compositorTicks = processCpu(() => pipeline.encoderPid);
      const mixerTicks = processCpu(() => pipeline.mixerPid);
      const windowStart = performance.now();
      const inPage = await pageWindow(page, options.measureMs);
      const cpu = process.cpuUsage(cpuBefore);
      const compositorCpu = compositorTicks();
      const mixerCpu = mixerTicks();
      const windowMs = performance.now() - windowStart;
      loopDelay.disable();
      stopRecording();
      const majorGcs = await gcs.stop();
      return {
        inPage,
        buffersBefore,
        buffersAfter: await jitterBuffers(page),
        dropped: pump.stats.dropped - droppedBefore,
        soundOut: [...soundOut.delays],
        boxProcess: {
          cpuPercent: Math.round(((cpu.user + cpu.system) / 1000 / windowMs) * 100),
          loopDelayP99Ms: Math.round(loopDelay.percentile(99) / 1e5) / 10,
          majorGcs,
          compositorCpuPercent: cpuPercent(compositorCpu, windowMs),
          mixerCpuPercent: cpuPercent(mixerCpu, windowMs),
        },
      };
    };
    let unloaded = await unloadedWindow();
    let windowRetries = 0;
    while (windowRetries < LOW_LAYER_RETRIES && mostlyOtherLayer(unloaded.inPage, size.width)) {
      // mediasoup holds a consumer on the lower layer for 10 s after a downgrade.
      const back = await untilShowing(page, size.width, HIGH_LAYER_WAIT_MS).then(() => true, () => false);
      if (!back) break;
      windowRetries += 1;
      unloaded = await unloadedWindow();
    }
    const { inPage, buffersBefore, buffersAfter, boxProcess } = unloaded;
    const meanMs = (kind: 'video' | 'audio', figure: 'delay' | 'target' = 'delay') => {
      const emitted = buffersAfter[kind].emitted - buffersBefore[kind].emitted;
      return emitted > 0 ? Math.round(((buffersAfter[kind][figure] - buffersBefore[kind][figure]) / emitted) * 1000) : 0;
    };
    const inside = STAGES.map((stage) => stageRow(stages, stage.name, stage.path, size.width));
    const glass = { ...pageRow('glass: camera → pipeline → SFU → Chromium shown', inPage, size.width), jitterBufferMs: { video: meanMs('video'), audio: meanMs('audio'), audioTarget: meanMs('audio', 'target') } };
    const shown = canvasFrames(inPage, size.width);
    const chain = withShares([...inside, { row: glass, frames: shown }]);
    const droppedUnloaded = unloaded.dropped;
    const baseline = row('baseline: camera RTSP decoded by ffmpeg', d.delays, d.presented, d.unreadable, 640);
    const shareUnloaded = stageShare(shown, d);
    const soundUnloaded = soundFigures(inPage, shown, stages.frames('pump'), unloaded.soundOut);
    // The same window with the pump not holding frames for the compositor (it writes whenever
    // the socket has drained, so up to two frames queue in ffmpeg): how it was before.
    const queuedWindow = async (label: string): Promise<GlassRow[]> => {
      pump.holdForCompositor = false;
      try {
        await new Promise((resolve) => setTimeout(resolve, 1000));
        stages.clear('encoded');
        stages.recording = true;
        const queued = await pageWindow(page, options.measureMs);
        stages.recording = false;
        return [
          row(`${label}baseline: frames queued in ffmpeg (pump not held): RTP leaving the box`, stages.delays.encoded, stages.delays.encoded.length, 0, size.width),
          pageRow(`${label}baseline: frames queued in ffmpeg (pump not held): glass`, queued, size.width),
        ];
      } finally {
        pump.holdForCompositor = true;
      }
    };
    const queuedUnloaded = await queuedWindow('');

    // The same window with a busy loop on one core beside everything.
    hog = startHog(2 * options.measureMs + 15_000);
    await new Promise((resolve) => setTimeout(resolve, 1000));
    const droppedBeforeHog = pump.stats.dropped;
    startRecording();
    const loaded = await pageWindow(page, options.measureMs);
    stopRecording();
    const droppedUnderLoad = pump.stats.dropped - droppedBeforeHog;
    const shownUnderLoad = canvasFrames(loaded, size.width);
    const shareUnderLoad = stageShare(shownUnderLoad, d);
    const soundUnderLoad = soundFigures(loaded, shownUnderLoad, stages.frames('pump'), soundOut.delays);
    // The camera's own path (in a classroom: hardware) slows under the loop too; the baseline
    // decoded directly in the same window tells its part from classcast's. The shares tell the
    // box's part (ingest → RTP leaving it) from the page's (Chromium on the same cores).
    const loadedRows = [
      row('under a one-core busy loop: baseline: camera RTSP decoded by ffmpeg', d.delays, d.presented, d.unreadable, 640),
      ...withShares([
        stageRow(stages, 'ingest', 'under a one-core busy loop: camera → ingest decoded in Node', size.width),
        stageRow(stages, 'encoded', 'under a one-core busy loop: RTP leaving the box', size.width),
        { row: pageRow('under a one-core busy loop: glass', loaded, size.width), frames: shownUnderLoad },
      ]),
    ];
    const queuedUnderLoad = await queuedWindow('under a one-core busy loop: ');
    hog.kill('SIGKILL');
    const underLoad = [...loadedRows, ...queuedUnderLoad];

    // What schools use instead: the same camera through ffmpeg → HLS → hls.js.
    hls = await HlsChain.start(camera.rtspUrl, size.fps, await mkdtemp(path.join(dataDir, 'hls-')));
    const hlsPage = await hls.open(browser);
    await installPageReader(hlsPage);
    await pageSamples(hlsPage, true, true);
    await until(() => pageSamples(hlsPage, true, false), (s) => s.delays.length >= 5, START_TIMEOUT_MS, 'stamped frames through HLS');
    const viaHls = await pageWindow(hlsPage, options.measureMs);
    const hlsRow = row('baseline: same camera → ffmpeg HLS (1 s segments) → hls.js', viaHls.delays, viaHls.presented, viaHls.unreadable, viaHls.width);
    await hlsPage.close();
    await hls.close();
    hls = undefined;

    // Last, the page on a core of its own and the box on the other, as the join row does: the
    // sound and the picture apart from the page's own starvation on the shared cores (a member
    // PC is another machine). The other pages are closed first: the bench's browser is the
    // box's child, held to the box's core with it.
    await page.close();
    let ownCore: { row: GlassRow; sound: SoundFigures } | undefined;
    if (split instanceof SplitCores) {
      const { apiBase, classroomUrl } = demo.info;
      const inOwn = await split.run(async () => {
        const own = await launchBrowser(apiBase, undefined, split.pageLauncher(dataDir, '/usr/bin/chromium'));
        try {
          const ownPage = await openMemberPage(own, classroomUrl, 'the page on a core of its own');
          await untilShowing(ownPage, size.width);
          await new Promise((resolve) => setTimeout(resolve, 1000));
          startRecording();
          const measured = await pageWindow(ownPage, options.measureMs);
          stopRecording();
          return measured;
        } finally {
          await own.close();
        }
      });
      const shownOwn = canvasFrames(inOwn, size.width);
      ownCore = { row: pageRow('the page on a core of its own: glass', inOwn, size.width), sound: soundFigures(inOwn, shownOwn, stages.frames('pump'), soundOut.delays) };
    }

    return {
      rows: [baseline, ...chain, ...queuedUnloaded, ...underLoad, hlsRow, ...(ownCore ? [ownCore.row] : [])],
      join,
      ruralLink,
      splitCores,
      keyframeIdleMs,
      classcastShare: { unloaded: shareUnloaded, underLoad: shareUnderLoad },
      sound: { unloaded: soundUnloaded, underLoad: soundUnderLoad, ...(ownCore ? { ownCore: ownCore.sound } : {}) },
      dropped: { unloaded: droppedUnloaded, underLoad: droppedUnderLoad },
      nice,
      boxProcess,
      windowRetries,
    };
  } finally {
    if (hog && hog.exitCode === null) hog.kill('SIGKILL');
    keyframes?.close();
    joins?.close();
    sound?.close();
    await ruralBrowser?.close().catch(() => undefined);
    await hls?.close();
    stages.close();
    await direct?.close();
    await browser?.close().catch(() => undefined);
    await demo?.close();
    await rm(dataDir, { recursive: true, force: true });
    if (link instanceof ShapedLink) link.close();
  }
}

/** What the share column holds, for the tables' headings. */
export const SHARE_NOTE = 'share = the stage\'s own part of each frame\'s delay, over the frames it and the stage before both saw';

/** A row's share cell: p50 / p95, or empty (a row outside the chain). */
export function shareCell(r: GlassRow): string {
  return r.shareMs === undefined ? '' : `${r.shareMs} / ${r.shareP95Ms}`;
}

export function formatGlass(result: GlassResult): string {
  const rows = result.rows;
  const lines = [
    `glass-to-glass delay, ms from the camera writing a frame (stages: cumulative; ${SHARE_NOTE})`,
    'path | width | frames | presented | unreadable | p50 | p95 | p99 | max | share p50 / p95',
  ];
  for (const r of rows) {
    const width = r.otherLayerFrames ? `${r.width} (${r.otherLayerFrames} frames of a lower layer left out)` : r.width;
    lines.push(`${r.path} | ${width} | ${r.frames} | ${r.presented} | ${r.unreadable} | ${r.p50} | ${r.p95} | ${r.p99} | ${r.max} | ${shareCell(r)}`);
  }
  for (const r of rows) {
    if (r.jitterBufferMs) lines.push(`in the page, mean wait in Chromium's jitter buffer: video ${r.jitterBufferMs.video} ms, audio ${r.jitterBufferMs.audio} ms (its target ${r.jitterBufferMs.audioTarget} ms)`);
  }
  const read = rows.flatMap((r) => (r.stampsRead ? [r.stampsRead] : []));
  const sum = (via: 'plane' | 'canvas') => read.reduce((n, r) => n + r[via], 0);
  if (read.length > 0) lines.push(`the pages' windows read each shown frame's stamp from its luma plane: ${sum('plane')} frames; through a canvas: ${sum('canvas')}`);
  const share = (s: Share) => (s.frames > 0 ? `p50 ${s.p50} ms, p95 ${s.p95} ms (${s.frames} frames)` : 'no frame read at both');
  lines.push(`classcast's share, frame by frame (shown in the page − the camera decoded directly): ${share(result.classcastShare.unloaded)}; under the busy loop ${share(result.classcastShare.underLoad)}`);
  const sound = (f: SoundFigures) =>
    f.heard.frames > 0
      ? `heard p50 ${f.heard.p50} ms, p95 ${f.heard.p95} ms (${f.heard.frames} beeps; leaving the box p50 ${f.box.p50} ms, p95 ${f.box.p95} ms); the picture from the frame pump to shown p50 ${f.picture.p50} ms, p95 ${f.picture.p95} ms; sound − picture p50 ${(f.heard.p50 >= f.picture.p50 ? '+' : '') + Math.round((f.heard.p50 - f.picture.p50) * 10) / 10} ms`
      : 'no beep heard';
  lines.push(`sound, from the box's audio pump (the demo's stamped beep) to heard in the page, beside the picture from the box's frame pump: ${sound(result.sound.unloaded)}; under the busy loop ${sound(result.sound.underLoad)}${result.sound.ownCore ? `; the page on a core of its own ${sound(result.sound.ownCore)}` : ''}`);
  lines.push(`frames the box dropped instead of queueing (frame pump): ${result.dropped.unloaded} unloaded, ${result.dropped.underLoad} under the busy loop`);
  lines.push(`the box ran at nice ${result.nice} (its systemd unit: -5), the busy loop at 0`);
  const box = result.boxProcess;
  lines.push(`the daemon's process (with the simulated cameras and microphones), unloaded window: ${box.cpuPercent} % of a core, event-loop delay p99 ${box.loopDelayP99Ms} ms, ${box.majorGcs.count} full collections (${box.majorGcs.ms} ms); the compositor's ffmpeg: ${box.compositorCpuPercent} % of a core; the mixer's: ${box.mixerCpuPercent} %`);
  if (result.windowRetries > 0) {
    lines.push(`the unloaded window was measured ${result.windowRetries + 1} times: the SFU had the page on a lower layer for most of the ${result.windowRetries === 1 ? 'first' : `first ${result.windowRetries}`}`);
  }
  const idle = result.keyframeIdleMs;
  const joinNotes = [
    `rural link: ${result.ruralLink}`,
    `a core of its own: ${result.splitCores}`,
    `keyframe request → IDR leaving the box with no page loading: ${idle.length ? `p50 ${idle[Math.floor((idle.length - 1) / 2)]} ms, max ${idle.at(-1)} ms (${idle.length} requests)` : 'no answer'}`,
  ];
  return `${lines.join('\n')}\n\n${formatJoin(result.join)}\n${joinNotes.join('\n')}`;
}
