import type { types } from 'mediasoup';
import type { RtpEndpoint } from '../media/targets.ts';
import type { IngestPlan } from './codecs.ts';

/** Where an SFU's transports listen, and what they announce. */
export interface RoomNetwork {
  listenIp: string;
  announcedAddress?: string;
  rtcMinPort: number;
  rtcMaxPort: number;
  /** Address the ingest PlainTransports listen on (loopback when the encoder is local). */
  ingestIp: string;
  /** Address a remote encoder sends to, when it differs from `ingestIp` (NAT, 0.0.0.0). */
  ingestAnnouncedAddress?: string;
}

/**
 * Where the encoder sends: one PlainTransport (comedia, RTCP-mux, SRTP) per kind, with the
 * keys of this session: only packets sealed with `srtp.send` are taken, so nobody else who
 * reaches the port can send into the room or lock the publisher out.
 */
export interface IngestEndpoints {
  video: RtpEndpoint & { srtp: { send: string; receive: string } };
  audio: RtpEndpoint & { srtp: { send: string; receive: string } };
}

/** What a feed put into a room's first router. */
export interface FeedOpening {
  /** The program's video, then its sound, then talk-back's mix-minus sounds. */
  producers: types.Producer[];
  /** The mix-minus sounds, by talk-back place (a subset of `producers`). */
  minus: types.Producer[];
  /** Closing these ends the feed, and with it the producers and every consumer of them. */
  transports: types.Transport[];
  /** Where a publisher sends (a sealed ingest); none for a room fed from another SFU. */
  ingest?: IngestEndpoints;
}

/**
 * How a room gets its broadcast while it is published: a sealed ingest a broadcast
 * classroom's encoder sends into (`sealed-ingest.ts`), or, on an edge SFU, a pipe from the
 * origin SFU (`pipe-feed.ts`).
 */
export interface RoomFeed {
  /** The encoder's plan, when the feed is an ingest (a publisher compares it on reopening). */
  readonly plan?: IngestPlan;
  open(router: types.Router): Promise<FeedOpening>;
  /** The feed's transports were closed (the room unpublished, or its router went away). */
  closed?(): void;
}
