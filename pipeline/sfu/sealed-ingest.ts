import type { types } from 'mediasoup';
import { newSrtpKey, SRTP_SUITE } from '../media/srtp.ts';
import { audioProducerRtpParameters, videoProducerRtpParameters, type IngestPlan } from './codecs.ts';
import type { FeedOpening, RoomFeed, RoomNetwork } from './feed.ts';

/**
 * A broadcast classroom's encoder publishing into the room: two sealed PlainTransports
 * (comedia, RTCP-mux, SRTP) with a key per transport and per opening, told to the publisher
 * over its own channel (the daemon itself, or the authenticated publisher socket), never
 * logged. Talk-back's mix-minus streams arrive on the audio port, told apart by their SSRC.
 */
export function sealedIngest(net: RoomNetwork, plan: IngestPlan): RoomFeed {
  const plainOptions = {
    listenInfo: {
      protocol: 'udp' as const,
      ip: net.ingestIp,
      announcedAddress: net.ingestAnnouncedAddress,
      portRange: { min: net.rtcMinPort, max: net.rtcMaxPort },
    },
    rtcpMux: true,
    comedia: true,
    enableSrtp: true,
    srtpCryptoSuite: SRTP_SUITE,
  } as const;
  return {
    plan,
    async open(router: types.Router): Promise<FeedOpening> {
      const transports: types.Transport[] = [];
      const sealed = async () => {
        const transport = await router.createPlainTransport(plainOptions);
        transports.push(transport);
        const send = newSrtpKey();
        await transport.connect({ srtpParameters: { cryptoSuite: SRTP_SUITE, keyBase64: send } });
        return { transport, srtp: { send, receive: transport.srtpParameters!.keyBase64 } };
      };
      try {
        const { transport: videoTransport, srtp: videoKeys } = await sealed();
        const { transport: audioTransport, srtp: audioKeys } = await sealed();
        const video = await videoTransport.produce({ kind: 'video', rtpParameters: videoProducerRtpParameters(plan) });
        const audio = await audioTransport.produce({ kind: 'audio', rtpParameters: audioProducerRtpParameters(plan) });
        const minus: types.Producer[] = [];
        for (const ssrc of plan.minusSsrcs ?? []) {
          minus.push(await audioTransport.produce({ kind: 'audio', rtpParameters: audioProducerRtpParameters(plan, ssrc), appData: { minus: true } }));
        }
        const ip = net.ingestAnnouncedAddress ?? net.ingestIp;
        return {
          producers: [video, audio, ...minus],
          minus,
          transports,
          ingest: {
            video: { ip, port: videoTransport.tuple.localPort, srtp: videoKeys },
            audio: { ip, port: audioTransport.tuple.localPort, srtp: audioKeys },
          },
        };
      } catch (error) {
        for (const transport of transports) transport.close();
        throw error;
      }
    },
  };
}
