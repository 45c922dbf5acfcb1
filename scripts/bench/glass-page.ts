/**
 * Runs in the member-classroom page (bundled by esbuild, added as a script tag): on every
 * presented frame (requestVideoFrameCallback) draws the stamp's corner to a canvas and reads
 * it; delay = expected display time − stamp. The page's clock (timeOrigin + performance.now(),
 * monotonic) is tied once to Date.now(), the clock the camera stamps with.
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
}

const video = document.querySelector('video')!;
const canvas = document.createElement('canvas');
const ctx = canvas.getContext('2d', { willReadFrequently: true })!;
const wallOffset = Date.now() - (performance.timeOrigin + performance.now());
const state: GlassPageState = { delays: [], widths: [], stamps: [], presented: 0, unreadable: 0, recording: false, width: 0 };
let lastStamp: number | undefined;
(window as unknown as { glass: GlassPageState }).glass = state;

function onFrame(_now: number, meta: VideoFrameCallbackMetadata): void {
  const r = stampRegion(meta.width, meta.height);
  if (canvas.width !== r.w || canvas.height !== r.h) {
    canvas.width = r.w;
    canvas.height = r.h;
  }
  ctx.drawImage(video, r.x, r.y, r.w, r.h, 0, 0, r.w, r.h);
  const { data } = ctx.getImageData(0, 0, r.w, r.h);
  const luma = (x: number, y: number): number => {
    const cx = Math.min(r.w - 1, Math.max(0, x - r.x));
    const cy = Math.min(r.h - 1, Math.max(0, y - r.y));
    const i = (cy * r.w + cx) * 4;
    return 0.299 * data[i]! + 0.587 * data[i + 1]! + 0.114 * data[i + 2]!;
  };
  const stamped = readStamp(luma, meta.width, meta.height);
  state.width = meta.width;
  if (state.recording) {
    state.presented += 1;
    if (stamped === undefined) state.unreadable += 1;
    else if (stamped !== lastStamp) {
      state.delays.push(performance.timeOrigin + meta.expectedDisplayTime + wallOffset - stamped);
      state.widths.push(meta.width);
      state.stamps.push(stamped);
    }
  }
  if (stamped !== undefined) lastStamp = stamped;
  video.requestVideoFrameCallback(onFrame);
}

video.requestVideoFrameCallback(onFrame);
