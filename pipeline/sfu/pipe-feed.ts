import type { types } from 'mediasoup';
import type { FeedOpening, RoomFeed, RoomNetwork } from './feed.ts';
import { pipeEndOf, pipeTransportOptions, type PipeEnd, type PipeOffer } from './pipe-out.ts';

export interface PipeFeedOptions {
  net: RoomNetwork;
  /** Asks the origin for the room, giving it this end of the pipe; resolves with the origin's. */
  pull: (edge: PipeEnd) => Promise<PipeOffer>;
  /** The pipe was closed here (the room unpublished, its router gone): the origin may let go. */
  released: () => void;
}

/**
 * An edge SFU's room fed from its origin: a PipeTransport (SRTP, RTX/NACK) whose producers are
 * the origin's, re-created with the same ids and the pipe's RTP parameters. The edge's
 * classrooms then consume them like any room's; their keyframe requests go back up the pipe.
 */
export function pipeFeed(options: PipeFeedOptions): RoomFeed {
  return {
    async open(router: types.Router): Promise<FeedOpening> {
      const transport = await router.createPipeTransport(pipeTransportOptions(options.net));
      try {
        const offer = await options.pull(pipeEndOf(transport, options.net));
        await transport.connect({ ip: offer.ip, port: offer.port, srtpParameters: offer.srtp });
        const producers: types.Producer[] = [];
        for (const piped of offer.producers) {
          producers.push(
            await transport.produce({ id: piped.id, kind: piped.kind, rtpParameters: piped.rtpParameters, paused: piped.paused, appData: { minus: piped.minus } }),
          );
        }
        return { producers, minus: producers.filter((p) => p.appData.minus === true), transports: [transport] };
      } catch (error) {
        transport.close();
        options.released();
        throw error;
      }
    },
    closed: () => options.released(),
  };
}
