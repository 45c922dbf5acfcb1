import { ortc, type types } from 'mediasoup-client';
import { Chrome111 } from 'mediasoup-client/handlers/Chrome111';
import { getMsidStreamIdAndTrackId } from 'mediasoup-client/handlers/ortc/utils';
import { RemoteSdp } from 'mediasoup-client/handlers/sdp/RemoteSdp';
import { parse } from 'sdp-transform';
import { ClasscastError } from '../../config/foundation/errors.ts';
import type { ConsumerAnswer, TransportAnswer } from './protocol.ts';

/** mediasoup-client's own reading of a native offer (a static its types call private). */
const localRtpCapabilities = (Chrome111 as unknown as { getLocalRtpCapabilities: (sdp: object) => types.RtpCapabilities }).getLocalRtpCapabilities;

/**
 * A Chromium's native capabilities from the offer its `getNativeRtpCapabilities` makes (a
 * peer connection with an audio and a video transceiver), read as mediasoup-client reads it.
 */
export function nativeRtpCapabilities(offerSdp: string): types.RtpCapabilities {
  return localRtpCapabilities.call(Chrome111, parse(offerSdp));
}

/**
 * What a page's mediasoup-client device (the `Chrome111` handler) loaded with `routerCapabilities`
 * from the native receiving offer `offerSdp` will receive: worked out on the server exactly as
 * `Device.load` does it, so a join sent by the page's HTML, before its script has loaded a
 * device, brings consumers that device takes. Throws BAD_REQUEST for an offer it cannot read.
 */
export function chromiumRecvCapabilities(offerSdp: string, routerCapabilities: unknown): types.RtpCapabilities {
  try {
    const router = structuredClone(routerCapabilities) as types.RtpCapabilities;
    ortc.validateAndNormalizeRtpCapabilities(router);
    const native = nativeRtpCapabilities(offerSdp);
    ortc.validateAndNormalizeRtpCapabilities(native);
    const recv = ortc.getRecvRtpCapabilities(ortc.getExtendedRtpCapabilities(native, router, false));
    ortc.validateAndNormalizeRtpCapabilities(recv);
    return recv;
  } catch (error) {
    throw new ClasscastError('BAD_REQUEST', `cannot read the page's native offer: ${(error as Error).message}`);
  }
}

/**
 * The SDP offer a page's `Chrome111` receive transport sets when it consumes `consumers` (in
 * this order, in one call) on `transport`: made here with mediasoup-client's own `RemoteSdp`,
 * as its handler makes it. The page's HTML sets its receivers up from it before its script
 * has arrived; the script's transport later takes that peer connection over and sets the very
 * same offer again (a negotiation that changes nothing).
 */
export function chromiumRecvOffer(transport: TransportAnswer, consumers: readonly ConsumerAnswer[]): string {
  const sdp = new RemoteSdp({
    iceParameters: transport.iceParameters as types.IceParameters,
    iceCandidates: transport.iceCandidates as types.IceCandidate[],
    dtlsParameters: transport.dtlsParameters as types.DtlsParameters,
  });
  consumers.forEach((consumer, index) => {
    const rtpParameters = consumer.rtpParameters as types.RtpParameters;
    const { msidStreamId } = getMsidStreamIdAndTrackId(rtpParameters.msid);
    sdp.receive({
      mid: rtpParameters.mid ?? String(index),
      kind: consumer.kind,
      offerRtpParameters: rtpParameters,
      streamId: msidStreamId ?? rtpParameters.rtcp?.cname ?? '-',
      trackId: consumer.id,
    });
  });
  return sdp.getSdp();
}
