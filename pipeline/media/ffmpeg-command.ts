import ffmpeg from 'fluent-ffmpeg';
import type { InputSpec, PicturePlan } from './graph.ts';
import { keyframeFlagOptions } from './keyframe-flag.ts';
import type { SoundPlan } from './sound-graph.ts';

/**
 * The one file that imports fluent-ffmpeg. It only builds argument lists; the processes run
 * under the Supervisor (restart with backoff, polite stop, orphan-safe), which fluent-ffmpeg's
 * own runner does not offer.
 */

export interface H264Output {
  label: string;
  bitrateKbps: number;
  gopFrames: number;
  threads: number;
  payloadType: number;
  ssrc: number;
  url: string;
  /**
   * Honour this layer's keyframe flag in the frames' timestamps (keyframe-flag.ts); `fps` is
   * the canvas rate, which the encoder's rate control then needs.
   */
  keyframeFlag?: { layer: number; fps: number };
}

export interface OpusOutput {
  label: string;
  bitrateKbps: number;
  payloadType: number;
  ssrc: number;
  url: string;
}

/** An RTP URL where RTP and RTCP go to the same port (rtcp-mux at the receiver). */
export function rtpUrl(host: string, port: number): string {
  return `rtp://${host}:${port}?rtcpport=${port}&pkt_size=1200`;
}

/** The compositor's command: every video layer, highest first. */
export function compositorArgs(plan: PicturePlan, video: H264Output[]): string[] {
  return rtpCommand(plan, video.map((v) => ({
    ...v,
    codec: [...h264Options(v.bitrateKbps, v.gopFrames, v.threads), ...(v.keyframeFlag ? keyframeFlagOptions(v.keyframeFlag.layer, v.keyframeFlag.fps) : [])],
  })));
}

/** The mixer's command: every audio output, the program's first. */
export function mixerArgs(plan: SoundPlan, audio: OpusOutput[]): string[] {
  return rtpCommand(plan, audio.map((a) => ({ ...a, codec: opusOptions(a.bitrateKbps) })));
}

/** A filter graph whose labelled outputs are encoded and sent as RTP, on the plan's one clock. */
function rtpCommand(
  plan: { inputs: InputSpec[]; filter: string; copyts: boolean; originMs?: number },
  outputs: { label: string; codec: string[]; payloadType: number; ssrc: number; url: string }[],
): string[] {
  const command = ffmpeg();
  addInputs(command, plan.inputs);
  command.complexFilter(plan.filter);
  for (const o of outputs) {
    command.output(o.url).outputOptions([
      '-map', `[${o.label}]`,
      ...o.codec,
      // The RTP muxer takes the SSRC as a signed 32-bit option and writes it unsigned.
      '-payload_type', String(o.payloadType), '-ssrc', String(o.ssrc | 0),
      ...senderReportClock(plan.originMs),
      '-f', 'rtp',
    ]);
  }
  return [...globalOptions(), ...(plan.copyts ? ['-copyts'] : []), ...command._getArguments()];
}

/**
 * RTCP sender reports on the inputs' shared clock. ffmpeg's RTP muxer pairs an RTP timestamp
 * with the wall clock in each sender report as if timestamp 0 were sent when the output
 * opened, so each output's pairing was off by its own start-up time, differently for sound and
 * picture on every start. `start_time_realtime` names the wall time of timestamp 0 instead:
 * the start's origin. The compositor and the mixer each have their own origin (each process
 * starts on its own), but both are wall times, so a receiver that lines its streams up by
 * their sender reports (a browser's lip sync) lines up what was captured together.
 */
function senderReportClock(originMs: number | undefined): string[] {
  return originMs === undefined ? [] : ['-start_time_realtime', String(Math.round(originMs * 1000))];
}

/**
 * H.264 for browsers at low delay: constrained baseline (x264's baseline sets
 * constraint_set1), level 3.1 = profile-level-id 42e01f, no B-frames, zerolatency (no
 * lookahead, no frame-threading delay: sliced threads), a fixed GOP without scene-cut IDRs so
 * keyframes come on a known clock, and a VBV of half a second so a keyframe's burst stays
 * small. Without a global header the RTP muxer gets SPS/PPS in band before every IDR, which is
 * what a viewer joining mid-stream needs; packetization-mode 1 (FU-A) is the muxer's default.
 */
export function h264Options(bitrateKbps: number, gopFrames: number, threads: number): string[] {
  return [
    '-c:v', 'libx264',
    '-preset', 'ultrafast',
    '-tune', 'zerolatency',
    '-profile:v', 'baseline',
    '-level:v', '3.1',
    '-pix_fmt', 'yuv420p',
    '-b:v', `${bitrateKbps}k`,
    '-maxrate', `${bitrateKbps}k`,
    '-bufsize', `${Math.round(bitrateKbps / 2)}k`,
    '-g', String(gopFrames),
    '-keyint_min', String(gopFrames),
    '-sc_threshold', '0',
    '-bf', '0',
    '-threads', String(threads),
    // A forced keyframe (on request) is an IDR, which a newcomer's decoder can start on.
    '-forced-idr', '1',
    '-x264-params', 'repeat-headers=1:aud=0',
  ];
}

/**
 * Opus 48 kHz stereo in the low-delay mode (2.5 ms look-ahead instead of 6.5), 10 ms frames:
 * the encoder waits for a frame's worth of sound before it sends anything. The cost is about
 * 4 kbit/s more of packet overhead.
 */
export function opusOptions(bitrateKbps: number): string[] {
  return ['-c:a', 'libopus', '-b:a', `${bitrateKbps}k`, '-ar', '48000', '-ac', '2', '-application', 'lowdelay', '-frame_duration', '10'];
}

/**
 * Progress as `key=value` lines on stdout once a second: the pipeline's liveness signal (an
 * RTSP input that stalls without closing leaves ffmpeg alive but silent).
 */
export function globalOptions(): string[] {
  return ['-hide_banner', '-nostdin', '-nostats', '-loglevel', 'info', '-progress', 'pipe:1', '-stats_period', '1'];
}

function addInputs(command: ffmpeg.FfmpegCommand, inputs: InputSpec[]): void {
  for (const input of inputs) command.input(input.url).inputOptions(input.options);
}

/** A generic single-input, single-output command (ingest, recorder). */
export function simpleArgs(input: InputSpec, output: string, outputOptions: string[], extraGlobal: string[] = []): string[] {
  const command = ffmpeg();
  addInputs(command, [input]);
  command.output(output).outputOptions(outputOptions);
  return [...globalOptions().filter((o, i, all) => !(o === '-progress' || all[i - 1] === '-progress')), ...extraGlobal, ...command._getArguments()];
}
