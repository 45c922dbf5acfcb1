import * as sdp from 'sdp-transform';
import type { types } from 'mediasoup';
import { ClasscastError } from '../../config/foundation/errors.ts';
import { ROUTER_CODECS } from './codecs.ts';
import type { ConsumerInfo, TransportInfo } from './viewer.ts';

/** One media section of a WHEP player's offer. */
export interface OfferSection {
  mid: string;
  kind: 'audio' | 'video' | 'other';
  /** As offered (`m=` line): a rejected section is answered with the same. */
  type: string;
  protocol: string;
  payloads: string;
}

/** What a WHEP offer asks for, in mediasoup's terms. */
export interface WhepOffer {
  sections: OfferSection[];
  rtpCapabilities: types.RtpCapabilities;
  /** The player's DTLS side, as `WebRtcTransport.connect()` takes it. */
  dtlsParameters: types.DtlsParameters;
}

const MAX_OFFER_BYTES = 64 * 1024;

/** Parses `a=fmtp` parameters (`k=v;k=v`), numbers as numbers, as mediasoup compares them. */
function fmtpParameters(config: string | undefined): Record<string, string | number> {
  const parameters: Record<string, string | number> = {};
  for (const part of (config ?? '').split(';')) {
    const [key, value] = part.split('=').map((s) => s.trim());
    if (!key || value === undefined) continue;
    parameters[key] = /^\d+$/.test(value) ? Number(value) : value;
  }
  return parameters;
}

/**
 * Reads a WHEP player's SDP offer (RFC 9725: receive-only audio and video, BUNDLE, DTLS): the
 * codecs and header extensions it can receive, by section, and its DTLS fingerprint and role.
 */
export function parseWhepOffer(text: string): WhepOffer {
  if (text.length > MAX_OFFER_BYTES) throw new ClasscastError('PAYLOAD_TOO_LARGE', 'the SDP offer is too large');
  const session = sdp.parse(text);
  if (!session.media || session.media.length === 0) throw new ClasscastError('BAD_REQUEST', 'the SDP offer has no media');
  const codecs: types.RtpCodecCapability[] = [];
  const headerExtensions: types.RtpHeaderExtension[] = [];
  const sections: OfferSection[] = [];
  let fingerprint = session.fingerprint;
  let setup: string | undefined;
  for (const media of session.media) {
    const kind = media.type === 'audio' || media.type === 'video' ? media.type : 'other';
    sections.push({ mid: String(media.mid ?? sections.length), kind, type: media.type, protocol: media.protocol, payloads: String(media.payloads ?? '') });
    fingerprint ??= media.fingerprint;
    setup ??= media.setup;
    if (kind === 'other') continue;
    for (const rtp of media.rtp) {
      // No RTX towards a player (see `playerCodecs`).
      if (rtp.codec.toLowerCase() === 'rtx') continue;
      if (codecs.some((c) => c.kind === kind && c.preferredPayloadType === rtp.payload)) continue;
      const fmtp = media.fmtp.find((f) => f.payload === rtp.payload)?.config;
      const feedback = (media.rtcpFb ?? []).filter((f) => String(f.payload) === String(rtp.payload) || f.payload === '*');
      codecs.push({
        kind,
        mimeType: `${kind}/${rtp.codec}`,
        preferredPayloadType: rtp.payload,
        clockRate: rtp.rate ?? (kind === 'audio' ? 48_000 : 90_000),
        ...(kind === 'audio' ? { channels: Number(rtp.encoding ?? 1) } : {}),
        parameters: fmtpParameters(fmtp),
        rtcpFeedback: feedback.map((f) => ({ type: f.type, parameter: f.subtype ?? '' })),
      });
    }
    for (const ext of media.ext ?? []) {
      if (headerExtensions.some((h) => h.kind === kind && h.uri === ext.uri)) continue;
      headerExtensions.push({ kind, uri: ext.uri as types.RtpHeaderExtensionUri, preferredId: ext.value, direction: 'sendrecv' });
    }
  }
  if (!fingerprint) throw new ClasscastError('BAD_REQUEST', 'the SDP offer has no DTLS fingerprint');
  // The player offers `actpass` (or `active`): it is the DTLS client, this server answers `passive`.
  const role = setup === 'passive' ? 'server' : 'client';
  return {
    sections,
    rtpCapabilities: { codecs, headerExtensions },
    dtlsParameters: { role, fingerprints: [{ algorithm: fingerprint.type.toLowerCase() as types.FingerprintAlgorithm, value: fingerprint.hash }] },
  };
}

/**
 * The codecs of a player's own router (`BroadcastRoom.createPlayerViewer`): the room's, with
 * the payload types this offer gave them. Without RTX (its payload type would be the router's
 * pick, not the player's): lost packets are resent as they were.
 */
export function playerCodecs(offer: WhepOffer): types.RtpCodecCapability[] {
  const h264 = offer.rtpCapabilities.codecs!.filter((c) => c.mimeType.toLowerCase() === 'video/h264' && Number(c.parameters?.['packetization-mode']) === 1);
  // Constrained baseline (42e0…), what the room sends; any packetization-mode 1 H.264 else.
  const video = h264.find((c) => String(c.parameters?.['profile-level-id'] ?? '').toLowerCase().startsWith('42e0')) ?? h264[0];
  const opus = offer.rtpCapabilities.codecs!.find((c) => c.mimeType.toLowerCase() === 'audio/opus');
  const codecs: types.RtpCodecCapability[] = [];
  const roomCodec = (kind: 'audio' | 'video') => ROUTER_CODECS.find((c) => c.kind === kind)!;
  if (opus) codecs.push({ ...roomCodec('audio'), preferredPayloadType: opus.preferredPayloadType });
  if (video) codecs.push({ ...roomCodec('video'), preferredPayloadType: video.preferredPayloadType });
  if (codecs.length === 0) throw new ClasscastError('BAD_REQUEST', 'the offer can receive neither H.264 (packetization-mode 1) nor Opus');
  return codecs;
}

function fmtpLine(parameters: Record<string, unknown> | undefined): string | undefined {
  const entries = Object.entries(parameters ?? {});
  return entries.length > 0 ? entries.map(([k, v]) => `${k}=${String(v)}`).join(';') : undefined;
}

/**
 * The SDP answer to a WHEP offer: mediasoup's ICE-lite transport (its candidates, ICE and DTLS
 * parameters) and, for each offered section, the consumer sending into it, or a rejected
 * section where there is none (port 0).
 */
export function whepAnswer(offer: WhepOffer, transport: TransportInfo, consumers: Map<string, ConsumerInfo>, streamId: string): string {
  const fingerprint = transport.dtlsParameters.fingerprints.find((f) => f.algorithm === 'sha-256') ?? transport.dtlsParameters.fingerprints[0]!;
  const accepted = offer.sections.filter((s) => consumers.has(s.mid)).map((s) => s.mid);
  const media = offer.sections.map((section): sdp.MediaDescription => {
    const consumer = consumers.get(section.mid);
    if (!consumer) {
      return {
        type: section.type,
        port: 0,
        protocol: section.protocol,
        payloads: section.payloads,
        mid: section.mid,
        ...(section.kind === 'other' ? {} : { direction: 'inactive' }),
        rtp: [],
        fmtp: [],
      } as sdp.MediaDescription;
    }
    const p = consumer.rtpParameters;
    const encoding = p.encodings?.[0];
    const cname = p.rtcp?.cname ?? streamId;
    const ssrcs = [encoding?.ssrc, encoding?.rtx?.ssrc].filter((s): s is number => s !== undefined);
    return {
      type: section.kind as 'audio' | 'video',
      port: 7,
      protocol: 'UDP/TLS/RTP/SAVPF',
      payloads: p.codecs.map((c) => c.payloadType).join(' '),
      connection: { version: 4, ip: '127.0.0.1' },
      mid: section.mid,
      direction: 'sendonly',
      iceUfrag: transport.iceParameters.usernameFragment,
      icePwd: transport.iceParameters.password,
      setup: offer.dtlsParameters.role === 'client' ? 'passive' : 'active',
      rtcpMux: 'rtcp-mux',
      rtcpRsize: 'rtcp-rsize',
      candidates: transport.iceCandidates.map((c) => ({
        foundation: c.foundation,
        component: 1,
        transport: c.protocol,
        priority: c.priority,
        ip: c.address,
        port: c.port,
        type: c.type,
        ...(c.tcpType ? { tcptype: c.tcpType } : {}),
      })),
      endOfCandidates: 'end-of-candidates',
      rtp: p.codecs.map((c) => ({
        payload: c.payloadType,
        codec: c.mimeType.split('/')[1]!,
        rate: c.clockRate,
        ...(c.channels && c.channels > 1 ? { encoding: c.channels } : {}),
      })),
      fmtp: p.codecs.flatMap((c) => {
        const config = fmtpLine(c.parameters as Record<string, unknown>);
        return config ? [{ payload: c.payloadType, config }] : [];
      }),
      rtcpFb: p.codecs.flatMap((c) => (c.rtcpFeedback ?? []).map((f) => ({ payload: String(c.payloadType), type: f.type, ...(f.parameter ? { subtype: f.parameter } : {}) }))),
      ext: (p.headerExtensions ?? []).map((h) => ({ value: h.id, uri: h.uri })),
      ssrcs: ssrcs.flatMap((ssrc) => [
        { id: ssrc, attribute: 'cname', value: cname },
        { id: ssrc, attribute: 'msid', value: `${streamId} ${consumer.id}` },
      ]),
      ...(ssrcs.length === 2 ? { ssrcGroups: [{ semantics: 'FID', ssrcs: ssrcs.join(' ') }] } : {}),
    } as sdp.MediaDescription;
  });
  return sdp.write({
    version: 0,
    origin: { username: '-', sessionId: Date.now(), sessionVersion: 1, netType: 'IN', ipVer: 4, address: '127.0.0.1' },
    name: '-',
    timing: { start: 0, stop: 0 },
    icelite: 'ice-lite',
    fingerprint: { type: fingerprint.algorithm, hash: fingerprint.value },
    groups: accepted.length > 0 ? [{ type: 'BUNDLE', mids: accepted.join(' ') }] : [],
    msidSemantic: { semantic: 'WMS', token: '*' },
    media,
  } as sdp.SessionDescription);
}
