/**
 * Runs in the member-classroom page (bundled by esbuild, added as a script tag): on every
 * presented frame (requestVideoFrameCallback) reads the stamp's corner; delay = expected
 * display time − stamp. The page's clock (timeOrigin + performance.now(), monotonic) is tied
 * once to Date.now(), the clock the camera stamps with.
 *
 * The corner is copied out of the frame's luma plane (WebCodecs `VideoFrame.copyTo` with a
 * rect: a few kilobytes, no colour conversion), as the box's stages read it. A canvas
 * (`drawImage` of the video, then `getImageData`) converts the whole 720p frame to RGB first,
 * 30 times a second on the page's main thread: that reader alone took the page's polls from
 * every 100 ms to every 150, and Chromium's audio jitter buffer from 60 to 120 ms (runs AH,
 * docs/benchmarks.md), so the page it measured was not the page a classroom runs. The canvas
 * stays as the way for a frame without planes in memory (a GPU-decoded one).
 *
 * The sound likewise: the demo's stamped beep starts on each second of the wall clock as the
 * box's audio pump takes it in (audio-sources.ts, `StampedToneSource`). A WebAudio analyser on
 * the received sound track, polled every 2 ms, hears each beep start; delay = that moment −
 * the whole second before it (so a delay past a second would alias). The analyser sees the
 * sound once Chromium's jitter buffer has let it out, as the loudspeaker would get it.
 */
import { readStamp, stampRegion } from '../../devices/camera/sim/time-stamp.ts';

export interface GlassPageState {
  /** Delay of each camera frame's first presentation (the pipeline runs at 25 fps over a 15 fps camera, so frames repeat). */
  delays: number[];
  /** The width each of `delays` was read at (which simulcast layer showed that frame). */
  widths: number[];
  /** The camera's stamp of each of `delays`. */
  stamps: number[];
  /** Frames presented while recording, repeats included. */
  presented: number;
  unreadable: number;
  recording: boolean;
  /** Width of the last presented frame (which simulcast layer is showing). */
  width: number;
  /** Delay of each beep of the box's stamped sound heard while recording (ms after its second). */
  sounds: number[];
  /** Presented frames read while recording, by way: the frame's luma plane, or a canvas. */
  read: { plane: number; canvas: number };
}

const video = document.querySelector('video')!;
const canvas = document.createElement('canvas');
const ctx = canvas.getContext('2d', { willReadFrequently: true })!;
const wallOffset = Date.now() - (performance.timeOrigin + performance.now());
const state: GlassPageState = { delays: [], widths: [], stamps: [], presented: 0, unreadable: 0, recording: false, width: 0, sounds: [], read: { plane: 0, canvas: 0 } };
let lastStamp: number | undefined;
(window as unknown as { glass: GlassPageState }).glass = state;

/** A beep is loud above this peak, and over below the lower one. */
const LOUD = { on: 0.1, off: 0.02 };
let listening = false;

/** Starts hearing the beeps once the page plays a sound track (the sound follows the first picture). */
function listen(): void {
  const stream = video.srcObject;
  if (listening || !(stream instanceof MediaStream) || stream.getAudioTracks().length === 0) return;
  listening = true;
  const audio = new AudioContext();
  void audio.resume();
  const analyser = audio.createAnalyser();
  analyser.fftSize = 256; // 5.3 ms at 48 kHz: a beep that just began is at the end of these
  audio.createMediaStreamSource(new MediaStream(stream.getAudioTracks())).connect(analyser);
  const samples = new Float32Array(analyser.fftSize);
  let loud = false;
  setInterval(() => {
    analyser.getFloatTimeDomainData(samples);
    let peak = 0;
    for (const sample of samples) peak = Math.max(peak, Math.abs(sample));
    if (!loud && peak > LOUD.on && state.recording) state.sounds.push((performance.timeOrigin + performance.now() + wallOffset) % 1000);
    loud = peak > LOUD.on ? true : peak < LOUD.off ? false : loud;
  }, 2);
}

/** Frame formats whose first plane is 8-bit luma. */
const LUMA_FIRST = new Set(['I420', 'I420A', 'I422', 'I444', 'NV12']);

type Luma = (x: number, y: number) => number;
/** Where the stamp is, in the frame's pixels. */
type Region = ReturnType<typeof stampRegion>;

/**
 * Luma of the stamp's region `r` of the presented frame, in its own coordinates: the luma
 * plane's rows of `r` (widened to even samples, as 4:2:0 asks) copied out, or undefined when
 * the frame keeps no planes in memory.
 */
async function planeLuma(frame: VideoFrame, r: Region): Promise<Luma | undefined> {
  const visible = frame.visibleRect;
  if (!frame.format || !LUMA_FIRST.has(frame.format) || !visible) return undefined;
  const x0 = (visible.x + r.x) & ~1;
  const y0 = (visible.y + r.y) & ~1;
  const x1 = Math.min(visible.x + visible.width, (visible.x + r.x + r.w + 1) & ~1);
  const y1 = Math.min(visible.y + visible.height, (visible.y + r.y + r.h + 1) & ~1);
  const rect = { x: x0, y: y0, width: x1 - x0, height: y1 - y0 };
  const data = new Uint8Array(frame.allocationSize({ rect }));
  const [luma] = await frame.copyTo(data, { rect });
  if (!luma) return undefined;
  return (x, y) => {
    const cx = Math.min(rect.width - 1, Math.max(0, visible.x + x - x0));
    const cy = Math.min(rect.height - 1, Math.max(0, visible.y + y - y0));
    return data[luma.offset + cy * luma.stride + cx]!;
  };
}

/** The same through a canvas: the presented picture drawn, then read back as RGB. */
function canvasLuma(r: Region): Luma {
  if (canvas.width !== r.w || canvas.height !== r.h) {
    canvas.width = r.w;
    canvas.height = r.h;
  }
  ctx.drawImage(video, r.x, r.y, r.w, r.h, 0, 0, r.w, r.h);
  const { data } = ctx.getImageData(0, 0, r.w, r.h);
  return (x, y) => {
    const cx = Math.min(r.w - 1, Math.max(0, x - r.x));
    const cy = Math.min(r.h - 1, Math.max(0, y - r.y));
    const i = (cy * r.w + cx) * 4;
    return 0.299 * data[i]! + 0.587 * data[i + 1]! + 0.114 * data[i + 2]!;
  };
}

/** The presented frame's luma over `r`: its plane where it has one, else the canvas. */
async function presentedLuma(r: Region): Promise<{ luma: Luma; via: 'plane' | 'canvas' }> {
  let frame: VideoFrame | undefined;
  try {
    frame = new VideoFrame(video);
    const luma = await planeLuma(frame, r);
    if (luma) return { luma, via: 'plane' };
  } catch {
    // no frame to take (none shown yet) or no copy of it: the canvas draws what is shown
  } finally {
    frame?.close();
  }
  return { luma: canvasLuma(r), via: 'canvas' };
}

/** Frames are read one after another, in the order they were shown. */
let reading: Promise<void> = Promise.resolve();

function onFrame(_now: number, meta: VideoFrameCallbackMetadata): void {
  listen();
  const r = stampRegion(meta.width, meta.height);
  const shownAt = performance.timeOrigin + meta.expectedDisplayTime + wallOffset;
  const recording = state.recording;
  state.width = meta.width;
  const read = presentedLuma(r);
  reading = reading.then(async () => {
    const { luma, via } = await read;
    const stamped = readStamp(luma, meta.width, meta.height);
    if (recording && state.recording) {
      state.presented += 1;
      state.read[via] += 1;
      if (stamped === undefined) state.unreadable += 1;
      else if (stamped !== lastStamp) {
        state.delays.push(shownAt - stamped);
        state.widths.push(meta.width);
        state.stamps.push(stamped);
      }
    }
    if (stamped !== undefined) lastStamp = stamped;
  });
  video.requestVideoFrameCallback(onFrame);
}

video.requestVideoFrameCallback(onFrame);
