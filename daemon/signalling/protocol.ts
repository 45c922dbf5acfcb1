import { z } from 'zod';

/**
 * `/ws/sfu` frames. Requests `{id, method, data}`; answers `{id, ok: true, data}` or
 * `{id, ok: false, error: {code, message}}`; server pushes `{notification, data}`.
 * mediasoup's own parameter objects are checked for shape here and in depth by mediasoup.
 */
const anyObject = z.record(z.string(), z.unknown());

const rtpCapabilitiesSchema = z.object({ codecs: z.array(anyObject).optional(), headerExtensions: z.array(anyObject).optional() });

const dtlsParametersSchema = z.object({ role: z.enum(['auto', 'client', 'server']).optional(), fingerprints: z.array(anyObject).min(1) });

export const requestSchema = z.discriminatedUnion('method', [
  z.object({
    id: z.number().int(),
    method: z.literal('join'),
    data: z.object({
      token: z.string().min(1).max(2048),
      /**
       * A page that already knows the router's capabilities (the page embeds them) sends its
       * own here, and a live broadcast's transport and paused consumers come back in the join
       * answer: one round trip instead of three. With the DTLS parameters of the certificate
       * the page's transport will use, the SFU connects the transport before answering (no
       * `connectTransport` before ICE can start) and starts the picture (no `resume`).
       */
      media: z
        .object({
          rtpCapabilities: rtpCapabilitiesSchema.optional(),
          /**
           * Instead of `rtpCapabilities`: the browser's native receiving offer (a Chromium's),
           * from which the server works out what its device will receive. The page's HTML
           * sends the join this way before its script has loaded a device.
           */
          nativeOffer: z.string().min(1).max(32_768).optional(),
          forceTcp: z.boolean().optional(),
          dtlsParameters: dtlsParametersSchema.optional(),
        })
        .refine((m) => (m.rtpCapabilities === undefined) !== (m.nativeOffer === undefined), { message: 'give rtpCapabilities or nativeOffer' })
        .optional(),
    }),
  }),
  z.object({
    id: z.number().int(),
    method: z.literal('createTransport'),
    data: z.object({ forceTcp: z.boolean().optional() }).prefault({}),
  }),
  z.object({
    id: z.number().int(),
    method: z.literal('connectTransport'),
    data: z.object({ dtlsParameters: dtlsParametersSchema }),
  }),
  z.object({
    id: z.number().int(),
    method: z.literal('consume'),
    data: z.object({ rtpCapabilities: rtpCapabilitiesSchema }),
  }),
  z.object({
    id: z.number().int(),
    method: z.literal('resume'),
    data: z
      .object({ consumerId: z.string().min(1).max(64).optional(), consumerIds: z.array(z.string().min(1).max(64)).min(1).max(8).optional() })
      .refine((d) => (d.consumerId === undefined) !== (d.consumerIds === undefined), { message: 'give consumerId or consumerIds' }),
  }),
  /**
   * The page shows its first picture (a newcomer's is the low simulcast layer): from now on
   * its classroom may have any layer its bandwidth estimate allows.
   */
  z.object({ id: z.number().int(), method: z.literal('shown'), data: z.unknown().optional() }),
  /**
   * While its talk-back is on air, the classroom's page sends its microphone and camera: a
   * sending transport, its DTLS, then one producer per kind.
   */
  z.object({ id: z.number().int(), method: z.literal('sendTransport'), data: z.object({ forceTcp: z.boolean().optional() }).prefault({}) }),
  z.object({
    id: z.number().int(),
    method: z.literal('connectSendTransport'),
    data: z.object({ dtlsParameters: dtlsParametersSchema }),
  }),
  z.object({
    id: z.number().int(),
    method: z.literal('produce'),
    data: z.object({ kind: z.enum(['audio', 'video']), rtpParameters: z.object({ codecs: z.array(anyObject).min(1), encodings: z.array(anyObject).optional() }).loose() }),
  }),
  /** The classroom raises its hand (talk-back), or lowers it. */
  z.object({ id: z.number().int(), method: z.literal('raiseHand'), data: z.unknown().optional() }),
  z.object({ id: z.number().int(), method: z.literal('lowerHand'), data: z.unknown().optional() }),
  z.object({ id: z.number().int(), method: z.literal('ping'), data: z.unknown().optional() }),
]);

export type SignalRequest = z.infer<typeof requestSchema>;

export type BroadcastState = 'idle' | 'starting' | 'live' | 'stopping';

export interface BroadcastInfo {
  state: BroadcastState;
  lesson?: { id: string; title: string; endsAt?: string };
}

/** Transport of a member classroom's receive side, as mediasoup-client takes it. */
export interface TransportAnswer {
  id: string;
  iceParameters: unknown;
  iceCandidates: unknown[];
  dtlsParameters: unknown;
}

export interface ConsumerAnswer {
  id: string;
  producerId: string;
  kind: 'audio' | 'video';
  rtpParameters: unknown;
  /** False for a join's started picture; otherwise the page resumes it when ready. */
  paused?: boolean;
}

/** The answer to `join`. */
export interface JoinAnswer extends BroadcastInfo {
  classroom: string;
  broadcast: string;
  expiresAt: string;
  available: boolean;
  /** Whether this classroom may raise its hand (talk-back). */
  talkback: boolean;
  /**
   * An edge SFU's join: other SFUs (base URLs, other edges first, then the origin) serving the
   * same broadcast with the same token, where the page goes by itself when this one is gone.
   */
  alternates?: string[];
  /** When the join asked for media and the broadcast is live: everything to start playing. */
  media?: {
    transport: TransportAnswer;
    consumers: ConsumerAnswer[];
    /** The SFU connected the transport with the DTLS parameters the join brought. */
    connected?: boolean;
    /**
     * For a join sent by the page's HTML (`nativeOffer` and `dtlsParameters`): the SDP offer
     * of the transport with these consumers, as the page's mediasoup-client device makes it,
     * so the HTML sets its receivers up before the script arrives.
     */
    offer?: string;
  };
}

export type Notification =
  | { notification: 'state'; data: BroadcastInfo }
  | { notification: 'producers'; data: { reason: string } }
  | { notification: 'reconnect'; data: { reason: string } }
  /** This classroom's talk-back request changed (accepted, ended by the front, …). */
  | { notification: 'talkback'; data: TalkbackView };

/** A talk-back request as its classroom's page sees it. */
export interface TalkbackView {
  id: string;
  state: 'waiting' | 'on-air' | 'ended';
  reason?: string;
}

export type SignalMethod = SignalRequest['method'];
/** What a request of `method` carries, as a client sends it (before defaults). */
export type RequestData<M extends SignalMethod> = Extract<z.input<typeof requestSchema>, { method: M }>['data'];

/** What each request is answered with: the server's handlers and the page's client both use it. */
export interface SignalAnswers {
  join: JoinAnswer;
  createTransport: TransportAnswer & { rtpCapabilities: unknown };
  connectTransport: Record<string, never>;
  consume: ConsumerAnswer[];
  resume: Record<string, never>;
  shown: Record<string, never>;
  sendTransport: TransportAnswer;
  connectSendTransport: Record<string, never>;
  produce: { id: string };
  raiseHand: TalkbackView;
  lowerHand: Record<string, never>;
  ping: { pong: number };
}
