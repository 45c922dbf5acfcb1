import { Device } from 'mediasoup-client';
import type { types } from 'mediasoup-client';
import { Chrome111 } from 'mediasoup-client/handlers/Chrome111';
import { nativeRtpCapabilities } from '../../signalling/browser-capabilities.ts';

/**
 * What the classroom page's HTML starts before its script arrives (`window.classcastEarly`):
 * the signalling socket, the browser's native offers (the two `createOffer`s a mediasoup-client
 * device makes as it loads, one per direction, with the same transceivers) and a DTLS
 * certificate whose fingerprint goes with the join, so the SFU connects the transport at once.
 */
export interface EarlyStart {
  socket?: WebSocket;
  offers?: { recvonly: Promise<string>; sendonly: Promise<string> };
  certificate?: Promise<RTCCertificate>;
  /**
   * Called once, where the script would send its own join: the answer frame of the join the
   * HTML sent (its capabilities as the receiving offer, its certificate's DTLS parameters), or
   * null when it sent none (and never will).
   */
  claim?: () => Promise<EarlyJoinFrame | null>;
  /** Notifications that came before the script took the socket over (null once taken). */
  notifications?: { notification: string; data: unknown }[] | null;
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
 * mediasoup-client's own.
 */
export function newDevice(offers?: EarlyStart['offers']): Device {
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
      getNativeRtpCapabilities: async ({ direction }: { direction: Direction }) => {
        try {
          return nativeRtpCapabilities(await offers[direction]);
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
