import type { types } from 'mediasoup';
import { AUDIO_CODEC_PARAMETERS, PLAYOUT_DELAY, VIDEO_CODEC_PARAMETERS, type PublishTargets } from '../media/targets.ts';

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

/** How the encoder will send (everything of the publish contract but the endpoints). */
export type IngestPlan = Omit<PublishTargets, 'video' | 'audio'>;

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
        parameters: { ...VIDEO_CODEC_PARAMETERS },
        rtcpFeedback: [{ type: 'nack' }, { type: 'nack', parameter: 'pli' }, { type: 'ccm', parameter: 'fir' }],
      },
    ],
    encodings: lowestFirst.map((layer) => ({ ssrc: layer.ssrc, maxBitrate: layer.bitrateKbps * 1000 })),
    headerExtensions: [{ uri: PLAYOUT_DELAY.uri, id: PLAYOUT_DELAY.id }],
  };
}

/** The program's sound (`ssrc` omitted), or one of talk-back's mix-minus streams. */
export function audioProducerRtpParameters(plan: IngestPlan, ssrc = plan.audioSsrc): types.RtpParameters {
  return {
    codecs: [
      {
        mimeType: 'audio/opus',
        payloadType: plan.audioPayloadType,
        clockRate: 48000,
        channels: 2,
        parameters: { ...AUDIO_CODEC_PARAMETERS },
      },
    ],
    encodings: [{ ssrc }],
  };
}
