import type { types } from 'mediasoup';

/**
 * What the routers speak. H.264 constrained baseline with packetization-mode 1 is what every
 * browser decodes in WebRTC (Debian's Chromium included); Opus for sound.
 */
export const ROUTER_CODECS: types.RtpCodecCapability[] = [
  { kind: 'audio', mimeType: 'audio/opus', clockRate: 48000, channels: 2 },
  {
    kind: 'video',
    mimeType: 'video/H264',
    clockRate: 90000,
    parameters: { 'packetization-mode': 1, 'profile-level-id': '42e01f', 'level-asymmetry-allowed': 1 },
    rtcpFeedback: [
      { type: 'nack' },
      { type: 'nack', parameter: 'pli' },
      { type: 'ccm', parameter: 'fir' },
      { type: 'goog-remb' },
      { type: 'transport-cc' },
    ],
  },
];

/** One simulcast layer as the encoder sends it: its own SSRC over the same PlainTransport. */
export interface IngestLayer {
  rid: string;
  ssrc: number;
  width: number;
  height: number;
  bitrateKbps: number;
}

/** How the encoder will send: payload types and SSRCs, layers highest first. */
export interface IngestPlan {
  videoPayloadType: number;
  layers: IngestLayer[];
  audioPayloadType: number;
  audioSsrc: number;
}

export const DEFAULT_INGEST_PLAN: IngestPlan = {
  videoPayloadType: 102,
  layers: [{ rid: 'h', ssrc: 2222, width: 1280, height: 720, bitrateKbps: 2000 }],
  audioPayloadType: 100,
  audioSsrc: 1111,
};

export function videoProducerRtpParameters(plan: IngestPlan): types.RtpParameters {
  if (plan.layers.length === 0) throw new TypeError('an ingest plan needs at least one video layer');
  // mediasoup treats several encodings (lowest first, each with its own SSRC) as simulcast,
  // which gives each consumer its own layer chosen from its bandwidth estimate.
  const lowestFirst = [...plan.layers].sort((a, b) => a.bitrateKbps - b.bitrateKbps);
  return {
    codecs: [
      {
        mimeType: 'video/H264',
        payloadType: plan.videoPayloadType,
        clockRate: 90000,
        parameters: { 'packetization-mode': 1, 'profile-level-id': '42e01f', 'level-asymmetry-allowed': 1 },
        rtcpFeedback: [{ type: 'nack' }, { type: 'nack', parameter: 'pli' }, { type: 'ccm', parameter: 'fir' }],
      },
    ],
    encodings: lowestFirst.map((layer) => ({ ssrc: layer.ssrc, maxBitrate: layer.bitrateKbps * 1000 })),
  };
}

export function audioProducerRtpParameters(plan: IngestPlan): types.RtpParameters {
  return {
    codecs: [
      {
        mimeType: 'audio/opus',
        payloadType: plan.audioPayloadType,
        clockRate: 48000,
        channels: 2,
        parameters: { 'sprop-stereo': 1 },
      },
    ],
    encodings: [{ ssrc: plan.audioSsrc }],
  };
}
