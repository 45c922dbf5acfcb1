/**
 * The contract between the media pipeline (the RTP sender) and the SFU (the receiver).
 *
 * The SFU creates one mediasoup PlainTransport for video and one for audio, both with
 * `comedia: true` and `rtcpMux: true`, and hands their tuple (ip, port) here. The pipeline
 * sends RTP *and* RTCP sender reports to that one port (rtcp-mux). All video layers reach the
 * video transport from ONE local socket (see `RtpForwarder` for why), so comedia locks onto a
 * single source tuple and every layer is accepted.
 *
 * Video is H.264 constrained baseline, packetization-mode 1, level 3.1
 * (`profile-level-id` {@link H264_PROFILE_LEVEL_ID}), SPS/PPS in band before every IDR.
 * Each layer is its own RTP stream with its own SSRC: the SFU registers ONE producer with
 * one encoding per layer (simulcast over a PlainTransport), mediasoup orders encodings
 * lowest first, so reverse `layers` when building them.
 * Audio is Opus, 48 kHz, 2 channels, 10 ms frames.
 */
export interface RtpEndpoint {
  ip: string;
  port: number;
  /**
   * The SRTP keys of this session (`srtp.ts`, AES_CM_128_HMAC_SHA1_80, base64): `send`, made
   * by the SFU for this publisher, encrypts what goes there; `receive` decrypts the SFU's
   * feedback. Without them the link is plain RTP (a test's own sink).
   */
  srtp?: { send: string; receive: string };
}

export interface VideoLayer {
  /** Stable name, e.g. `h` (high) and `l` (low); used as the mediasoup encoding `rid` if wanted. */
  rid: string;
  ssrc: number;
  width: number;
  height: number;
  bitrateKbps: number;
}

export interface PublishTargets {
  video: RtpEndpoint;
  videoPayloadType: number;
  /** Highest first. */
  layers: VideoLayer[];
  audio: RtpEndpoint;
  audioPayloadType: number;
  audioSsrc: number;
  /**
   * Talk-back's mix-minus streams, one per place on air: the program's sound without that
   * place's room, sent like the program's sound (same port, own SSRC). The SFU registers each
   * as an audio producer of its own, which only the room speaking on that place hears.
   */
  minusSsrcs?: number[];
}

/** The SSRC of mix-minus stream `k` (0-based). */
export function minusSsrc(k: number): number {
  return 0x1111_0101 + k;
}

export const H264_PROFILE_LEVEL_ID = '42e01f';

/**
 * Video RTP carries the playout-delay header extension (one-byte form, this id) with a minimum
 * of 0: a receiver (Chromium) then renders each frame as soon as it is decoded instead of
 * smoothing over a jitter buffer of its own choosing; the maximum bounds what it may add on a
 * jittery link (Chromium's low-latency renderer takes a maximum up to 500 ms). mediasoup
 * forwards the extension to consumers that negotiated it.
 */
export const PLAYOUT_DELAY = { uri: 'http://www.webrtc.org/experiments/rtp-hdrext/playout-delay', id: 14, minMs: 0, maxMs: 400 } as const;

/** mediasoup-style codec parameters the SFU should put in the producers' rtpParameters. */
export const VIDEO_CODEC_PARAMETERS = {
  'packetization-mode': 1,
  'profile-level-id': H264_PROFILE_LEVEL_ID,
  'level-asymmetry-allowed': 1,
} as const;
export const AUDIO_CODEC_PARAMETERS = { sprop_stereo: 1, useinbandfec: 1 } as const;

/**
 * The layers for a pipeline config: the canvas at `videoBitrateKbps`, and (if enabled) the
 * low layer at `lowLayer.width` with the canvas's aspect. The SFU builds its producer's
 * encodings and the PublishTargets from this.
 */
export function pipelineLayers(config: {
  width: number;
  height: number;
  videoBitrateKbps: number;
  lowLayer: { enabled: boolean; width: number; bitrateKbps: number };
}): VideoLayer[] {
  const high: VideoLayer = { rid: 'h', ssrc: 0x2222_0001, width: config.width, height: config.height, bitrateKbps: config.videoBitrateKbps };
  if (!config.lowLayer.enabled || config.lowLayer.width >= config.width) return [high];
  const width = even(config.lowLayer.width);
  return [high, { rid: 'l', ssrc: 0x2222_0002, width, height: even((width * config.height) / config.width), bitrateKbps: config.lowLayer.bitrateKbps }];
}

/** The layers the pipeline encodes for an output canvas; the low layer is 640x360 (or half). */
export function defaultLayers(width: number, height: number, bitrateKbps: number): VideoLayer[] {
  const lowW = Math.min(640, even(width / 2));
  const lowH = even((lowW * height) / width);
  return [
    { rid: 'h', ssrc: 0x2222_0001, width, height, bitrateKbps },
    { rid: 'l', ssrc: 0x2222_0002, width: lowW, height: lowH, bitrateKbps: Math.max(150, Math.min(400, Math.round(bitrateKbps / 4))) },
  ];
}

/** The nearest even size of at least 2 px (yuv420p halves both dimensions for chroma). */
export function even(n: number): number {
  return Math.max(2, 2 * Math.round(n / 2));
}
