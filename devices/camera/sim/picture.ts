import { execFile, spawn } from 'node:child_process';
import { rename, writeFile } from 'node:fs/promises';
import type { ChildProcess } from 'node:child_process';
import type { PtzVector } from '../types.ts';
import { FONT_DIR } from './video.ts';
import { orphanSafe } from '../../../config/foundation/process/orphan-safe.ts';
import { drawStamp } from './time-stamp.ts';

/** How much wider than the output the scene is; zoom 0 shows 60 % of it, zoom 1 shows 15 %. */
const SCENE_FACTOR = 3;
const VIEW_AT_ZOOM_0 = 0.6;
const VIEW_AT_ZOOM_1 = 0.15;

function run(args: string[]): Promise<Buffer> {
  return new Promise((resolve, reject) => {
    execFile('ffmpeg', args, { encoding: 'buffer', maxBuffer: 256 * 1024 * 1024, timeout: 30_000 }, (error, stdout) =>
      error ? reject(error) : resolve(stdout),
    );
  });
}

/**
 * The picture of a simulated camera: a wide scene rendered once, of which Node cuts the part
 * the virtual head looks at (nearest-neighbour, raw yuv420p) and feeds it to ffmpeg's stdin
 * at the frame rate. A frame is only recomputed when the head moved, so an idle camera costs
 * a buffer write per frame. (ffmpeg's crop+zmq route was tried: changing crop's size at run
 * time stalled ffmpeg 5.1's filter graph.)
 */
export class Picture {
  readonly width: number;
  readonly height: number;
  readonly #sceneW: number;
  readonly #sceneH: number;
  #scene: Buffer = Buffer.alloc(0);
  #frame: Buffer;
  #position: PtzVector = { pan: 0, tilt: 0, zoom: 0 };
  #dirty = true;
  #timer: NodeJS.Timeout | undefined;
  #child: ChildProcess | undefined;
  #blocked = false;
  readonly #labelFile: string;
  #labelWrite: Promise<void> = Promise.resolve();
  #preset: string | undefined;
  readonly #stampTime: boolean;

  /** `stampTime`: each written frame carries its write time (see time-stamp.ts), for delay benchmarks. */
  constructor(width: number, height: number, labelFile: string, options: { stampTime?: boolean } = {}) {
    this.#stampTime = options.stampTime ?? false;
    this.width = width;
    this.height = height;
    this.#sceneW = 2 * Math.round((width * SCENE_FACTOR) / 2);
    this.#sceneH = 2 * Math.round((height * SCENE_FACTOR) / 2);
    this.#frame = Buffer.alloc((width * height * 3) / 2);
    this.#labelFile = labelFile;
  }

  /** Renders the wide scene: ffmpeg's test pattern, a grid, and the camera's name. */
  async render(title: string, titleFile: string): Promise<void> {
    const w = this.#sceneW;
    const h = this.#sceneH;
    await writeFile(titleFile, title);
    this.#scene = await run([
      '-v', 'error', '-f', 'lavfi', '-i', `testsrc2=size=${w}x${h}:rate=1`,
      '-vf', [
        `drawgrid=w=${Math.round(w / 12)}:h=${Math.round(h / 8)}:t=2:c=white@0.6`,
        `drawtext=fontfile=${FONT_DIR}/DejaVuSans-Bold.ttf:textfile=${titleFile}:fontsize=${Math.round(h / 10)}:fontcolor=white:borderw=4:x=(w-tw)/2:y=(h-th)/2`,
      ].join(','),
      '-frames:v', '1', '-f', 'rawvideo', '-pix_fmt', 'yuv420p', 'pipe:1',
    ]);
    await this.#writeLabel();
  }

  /** ffmpeg input arguments for the frames this feeds. */
  inputArgs(fps: number): string[] {
    return ['-f', 'rawvideo', '-pix_fmt', 'yuv420p', '-s', `${this.width}x${this.height}`, '-framerate', String(fps), '-i', 'pipe:0'];
  }

  /** Draws the preset name and position (a file renamed into place, read by drawtext each frame). */
  labelFilter(): string {
    const size = Math.max(10, Math.round(this.width / 36));
    return `drawtext=fontfile=${FONT_DIR}/DejaVuSansMono.ttf:textfile=${this.#labelFile}:reload=1:fontsize=${size}:fontcolor=white:box=1:boxcolor=black@0.6:boxborderw=4:x=w-tw-8:y=8`;
  }

  setPosition(position: PtzVector): void {
    this.#position = { ...position };
    this.#dirty = true;
    void this.#writeLabel();
  }

  setPreset(name: string | undefined): void {
    this.#preset = name;
    void this.#writeLabel();
  }

  get label(): string {
    const p = this.#position;
    const f = (v: number) => `${v >= 0 ? '+' : '-'}${Math.abs(v).toFixed(2)}`;
    // Only characters drawtext shows as they are (no % expansion, no escapes).
    const preset = (this.#preset ?? '-').replace(/[^A-Za-z0-9 ._-]/g, '_');
    return `PRESET ${preset}\nPAN ${f(p.pan)} TILT ${f(p.tilt)} ZOOM ${p.zoom.toFixed(2)}`;
  }

  #writeLabel(): Promise<void> {
    const text = this.label;
    const file = this.#labelFile;
    const write = async () => {
      await writeFile(`${file}.tmp`, text);
      await rename(`${file}.tmp`, file);
    };
    this.#labelWrite = this.#labelWrite.then(write, write);
    return this.#labelWrite;
  }

  /** Feeds frames to `child`'s stdin from now on (each ffmpeg restart brings a new child). */
  attach(child: ChildProcess): void {
    this.#child = child;
    this.#blocked = false;
    child.stdin?.on('error', () => {});
    child.stdin?.on('drain', () => (this.#blocked = false));
  }

  start(fps: number): void {
    this.#timer ??= setInterval(() => this.#tick(), 1000 / fps);
  }

  stop(): void {
    clearInterval(this.#timer);
    this.#timer = undefined;
    this.#child = undefined;
  }

  /** The current frame as a JPEG, for the snapshot URI. */
  snapshot(): Promise<Buffer> {
    if (this.#dirty) this.#compose();
    const frame = this.#frame;
    return new Promise((resolve, reject) => {
      const args = ['-v', 'error', '-f', 'rawvideo', '-pix_fmt', 'yuv420p', '-s', `${this.width}x${this.height}`, '-i', 'pipe:0', '-frames:v', '1', '-f', 'mjpeg', 'pipe:1'];
      const [command, finalArgs] = orphanSafe('ffmpeg', args);
      const child = spawn(command, finalArgs, { stdio: ['pipe', 'pipe', 'ignore'] });
      const chunks: Buffer[] = [];
      child.stdout.on('data', (chunk: Buffer) => chunks.push(chunk));
      child.once('error', reject);
      child.once('close', (code) => (code === 0 ? resolve(Buffer.concat(chunks)) : reject(new Error(`ffmpeg snapshot exited with ${code}`))));
      child.stdin.on('error', () => {});
      child.stdin.end(frame);
    });
  }

  #tick(): void {
    const stdin = this.#child?.stdin;
    if (!stdin || stdin.destroyed || !stdin.writable) return;
    if (this.#dirty) this.#compose();
    // A frame that cannot be written now is dropped, not queued: a camera is live.
    if (this.#blocked) return;
    // Drawn last, over the composed frame, so the stamp is the moment the frame leaves.
    if (this.#stampTime) drawStamp(this.#frame, this.width, this.height, Date.now());
    if (!stdin.write(this.#frame)) this.#blocked = true;
  }

  /** Window of the scene for the head's position; pan −1…1 left→right, tilt +1 is up. */
  window(position: PtzVector): { x: number; y: number; w: number; h: number } {
    const w = this.#sceneW * (VIEW_AT_ZOOM_0 - (VIEW_AT_ZOOM_0 - VIEW_AT_ZOOM_1) * position.zoom);
    const h = (w * this.height) / this.width;
    const x = ((position.pan + 1) / 2) * (this.#sceneW - w);
    const y = ((1 - position.tilt) / 2) * (this.#sceneH - h);
    return { x, y, w, h };
  }

  #compose(): void {
    this.#dirty = false;
    if (this.#scene.length === 0) return;
    const { x, y, w, h } = this.window(this.#position);
    const frame = Buffer.alloc(this.#frame.length);
    const sw = this.#sceneW;
    const sh = this.#sceneH;
    const planes = [
      { src: 0, dst: 0, sw, sh, ow: this.width, oh: this.height, scale: 1 },
      { src: sw * sh, dst: this.width * this.height, sw: sw / 2, sh: sh / 2, ow: this.width / 2, oh: this.height / 2, scale: 2 },
      { src: (sw * sh * 5) / 4, dst: (this.width * this.height * 5) / 4, sw: sw / 2, sh: sh / 2, ow: this.width / 2, oh: this.height / 2, scale: 2 },
    ];
    for (const p of planes) {
      const cols = new Int32Array(p.ow);
      for (let i = 0; i < p.ow; i += 1) cols[i] = Math.min(p.sw - 1, Math.floor((x + ((i + 0.5) * w) / p.ow) / p.scale));
      for (let j = 0; j < p.oh; j += 1) {
        const row = Math.min(p.sh - 1, Math.floor((y + ((j + 0.5) * h) / p.oh) / p.scale));
        const srcRow = p.src + row * p.sw;
        const dstRow = p.dst + j * p.ow;
        for (let i = 0; i < p.ow; i += 1) frame[dstRow + i] = this.#scene[srcRow + cols[i]!]!;
      }
    }
    this.#frame = frame;
  }
}
