/**
 * Runs in the member-classroom page (bundled by esbuild, added as a script tag): on every
 * presented frame (requestVideoFrameCallback) draws the stamp's corner to a canvas and reads
 * it; delay = expected display time − stamp. The page's clock (timeOrigin + performance.now(),
 * monotonic) is tied once to Date.now(), the clock the camera stamps with.
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
}

const video = document.querySelector('video')!;
const canvas = document.createElement('canvas');
const ctx = canvas.getContext('2d', { willReadFrequently: true })!;
const wallOffset = Date.now() - (performance.timeOrigin + performance.now());
const state: GlassPageState = { delays: [], widths: [], stamps: [], presented: 0, unreadable: 0, recording: false, width: 0, sounds: [] };
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

function onFrame(_now: number, meta: VideoFrameCallbackMetadata): void {
  listen();
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
