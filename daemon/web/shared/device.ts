import { Device } from 'mediasoup-client';
import type { types } from 'mediasoup-client';
import { Chrome111 } from 'mediasoup-client/handlers/Chrome111';
import { nativeRtpCapabilities } from '../../signalling/browser-capabilities.ts';

/**
 * What the classroom page's HTML starts before its script arrives (`window.classcastEarly`):
 * the signalling socket, the browser's native offers (the two `createOffer`s a mediasoup-client
 * device makes as it loads, one per direction, with the same transceivers) and a DTLS
 * certificate whose fingerprint goes with the join, so the SFU connects the transport at once.
 * The receiving offer goes with the join; the sending one (talk-back) is made only when the
 * script is loaded, after the first picture, so its peer connection does not compete with it.
 */
export interface EarlyStart {
  socket?: WebSocket;
  offers?: { recvonly: Promise<string>; sendonly?: Promise<string> };
  certificate?: Promise<RTCCertificate>;
  /**
   * Called once, where the script would send its own join: the answer frame of the join the
   * HTML sent (its capabilities as the receiving offer, its certificate's DTLS parameters), or
   * null when it sent none (and never will).
   */
  claim?: () => Promise<EarlyJoinFrame | null>;
  /** Notifications that came before the script took the socket over (null once taken). */
  notifications?: { notification: string; data: unknown }[] | null;
  /**
   * The receivers the HTML set up from the join answer's offer (the picture may be showing
   * already), on a peer connection with the certificate; null when it set up none.
   */
  receiver?: Promise<EarlyReceiver | null>;
}

export interface EarlyReceiver {
  pc: RTCPeerConnection;
  /** The SFU transport it belongs to. */
  transportId: string;
}

export interface EarlyJoinFrame {
  ok: boolean;
  data?: unknown;
  error?: { code: string; message: string };
}

type Direction = 'recvonly' | 'sendonly';

/**
 * A mediasoup-client device for this browser. A Chromium whose user agent mediasoup-client
 * does not recognise (headless, a kiosk with its own UA string) gets the standard `Chrome111`
 * handler when the browser has the standard transceiver API. With `offers`, a `Chrome111`
 * device loads from the offers the page made while its script was on its way (the device's
 * load then costs no peer connections of its own); any trouble with them falls back to
 * mediasoup-client's own. With `takePeerConnection`, a receive transport it makes takes over
 * the peer connection that returns, if any (`adoptPeerConnection`).
 */
export function newDevice(offers?: EarlyStart['offers'], takePeerConnection?: () => RTCPeerConnection | undefined): Device {
  let device: Device;
  try {
    device = new Device();
  } catch (error) {
    const standard = typeof RTCRtpTransceiver !== 'undefined' && 'setCodecPreferences' in RTCRtpTransceiver.prototype;
    if (!standard) throw error;
    device = new Device({ handlerName: 'Chrome111' });
  }
  if (!offers || device.handlerName !== 'Chrome111') return device;
  const own = Chrome111.createFactory({});
  return new Device({
    handlerFactory: {
      ...own,
      factory: (options) => {
        const handler = own.factory(options);
        const pc = options.direction === 'recv' ? takePeerConnection?.() : undefined;
        if (!pc) return handler;
        try {
          adoptPeerConnection(handler, pc);
        } catch (error) {
          // Its SFU transport is connected to that peer connection: the page starts over.
          pc.close();
          handler.close();
          throw error;
        }
        return handler;
      },
      getNativeRtpCapabilities: async ({ direction }: { direction: Direction }) => {
        const offer = offers[direction];
        if (!offer) return own.getNativeRtpCapabilities({ direction });
        try {
          return nativeRtpCapabilities(await offer);
        } catch {
          return own.getNativeRtpCapabilities({ direction });
        }
      },
    },
  });
}

/** The DTLS parameters a transport using `certificate` presents (mediasoup compares upper case). */
export function certificateDtls(certificate: RTCCertificate): types.DtlsParameters {
  return {
    role: 'client',
    fingerprints: certificate.getFingerprints().map((f) => ({ algorithm: f.algorithm as types.FingerprintAlgorithm, value: f.value!.toUpperCase() })),
  };
}

/** What a `Chrome111` handler keeps of its peer connection (mediasoup-client 3.24). */
interface HandlerPeerConnection {
  _pc: RTCPeerConnection;
  onIceGatheringStateChange: EventListener;
  onIceCandidateError: EventListener;
  onConnectionStateChange: EventListener & (() => void);
}

/**
 * Gives a new `Chrome111` receive handler the peer connection the page's HTML set up (its
 * receivers negotiated from the same offer the handler will make, ICE and DTLS under way or
 * done) in place of the empty one it made: the transport's first `consume` then negotiates
 * nothing new, and the picture already showing goes on. Throws when the handler is not shaped
 * as expected (another mediasoup-client), before anything changed.
 */
export function adoptPeerConnection(handler: unknown, pc: RTCPeerConnection): void {
  const h = handler as HandlerPeerConnection;
  const events: [string, EventListener][] = [
    ['icegatheringstatechange', h.onIceGatheringStateChange],
    ['icecandidateerror', h.onIceCandidateError],
    ['connectionstatechange', h.onConnectionStateChange],
  ];
  if (!(h._pc instanceof RTCPeerConnection) || events.some(([, listener]) => typeof listener !== 'function')) {
    throw new Error('this mediasoup-client handler cannot take a peer connection over');
  }
  const own = h._pc;
  for (const [event, listener] of events) {
    own.removeEventListener(event, listener);
    pc.addEventListener(event, listener);
  }
  own.close();
  h._pc = pc;
  performance.mark('classcast:receivers-taken-over');
  // The transport listens from the moment the factory returns: tell it how far ICE got.
  queueMicrotask(() => {
    if (pc.connectionState !== 'new') h.onConnectionStateChange();
  });
}
