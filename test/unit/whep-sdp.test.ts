import { readFileSync } from 'node:fs';
import path from 'node:path';
import * as sdp from 'sdp-transform';
import { describe, expect, it } from 'vitest';
import type { ConsumerInfo, TransportInfo } from '../../pipeline/sfu/viewer.ts';
import { parseWhepOffer, playerCodecs, whepAnswer } from '../../pipeline/sfu/whep-sdp.ts';

/** What Debian's Chromium offers as a receive-only WHEP player (video, audio, and a data channel). */
const OFFER = readFileSync(path.join(import.meta.dirname, '../fixtures/whep-offer-chromium.sdp'), 'utf8');

const transport: TransportInfo = {
  id: 't1',
  iceParameters: { usernameFragment: 'ufrag1', password: 'pwd1', iceLite: true },
  iceCandidates: [
    { foundation: 'udpcandidate', priority: 1076302079, address: '10.0.0.5', ip: '10.0.0.5', protocol: 'udp', port: 40001, type: 'host' },
    { foundation: 'tcpcandidate', priority: 1076276479, address: '10.0.0.5', ip: '10.0.0.5', protocol: 'tcp', port: 40002, type: 'host', tcpType: 'passive' },
  ],
  dtlsParameters: { role: 'auto', fingerprints: [{ algorithm: 'sha-1', value: 'AA' }, { algorithm: 'sha-256', value: 'BB:CC' }] },
};

describe('WHEP SDP', () => {
  it('reads what a Chromium player can receive, and its DTLS side', () => {
    const offer = parseWhepOffer(OFFER);
    expect(offer.sections.map((s) => s.kind)).toEqual(['video', 'audio', 'other']);
    expect(offer.dtlsParameters.role).toBe('client');
    expect(offer.dtlsParameters.fingerprints[0]!.algorithm).toBe('sha-256');
    const codecs = offer.rtpCapabilities.codecs!;
    // No RTX towards a player: its payload type would be the router's pick.
    expect(codecs.some((c) => c.mimeType.toLowerCase().endsWith('/rtx'))).toBe(false);
    const h264 = codecs.find((c) => c.mimeType === 'video/H264' && c.parameters?.['profile-level-id'] === '42e01f' && c.parameters['packetization-mode'] === 1);
    expect(h264?.preferredPayloadType).toBe(108);
    expect(h264?.rtcpFeedback).toContainEqual({ type: 'nack', parameter: 'pli' });
    expect(codecs.find((c) => c.mimeType === 'audio/opus')).toMatchObject({ preferredPayloadType: 111, channels: 2, clockRate: 48000 });
  });

  it("gives the player's router the payload types the player chose", () => {
    const codecs = playerCodecs(parseWhepOffer(OFFER));
    expect(codecs.map((c) => [c.mimeType, c.preferredPayloadType])).toEqual([
      ['audio/opus', 111],
      ['video/H264', 108],
    ]);
  });

  it('answers sendonly, ICE-lite, every candidate, the consumers by mid, and rejects what it does not send', () => {
    const offer = parseWhepOffer(OFFER);
    const video: ConsumerInfo = {
      id: 'c-video',
      producerId: 'p-video',
      kind: 'video',
      paused: false,
      rtpParameters: {
        codecs: [{ mimeType: 'video/H264', payloadType: 108, clockRate: 90000, parameters: { 'packetization-mode': 1, 'profile-level-id': '42e01f' }, rtcpFeedback: [{ type: 'nack', parameter: 'pli' }] }],
        encodings: [{ ssrc: 1234 }],
        headerExtensions: [],
        rtcp: { cname: 'room' },
      },
    };
    const audio: ConsumerInfo = {
      id: 'c-audio',
      producerId: 'p-audio',
      kind: 'audio',
      paused: true,
      rtpParameters: { codecs: [{ mimeType: 'audio/opus', payloadType: 111, clockRate: 48000, channels: 2 }], encodings: [{ ssrc: 5678 }], rtcp: { cname: 'room' } },
    };
    const answer = sdp.parse(whepAnswer(offer, transport, new Map([['0', video], ['1', audio]]), 'stream-1'));
    expect(answer.icelite).toBe('ice-lite');
    expect(answer.fingerprint).toEqual({ type: 'sha-256', hash: 'BB:CC' });
    expect(answer.groups).toEqual([{ type: 'BUNDLE', mids: '0 1' }]);
    const [v, a, data] = answer.media;
    expect(v).toMatchObject({ type: 'video', direction: 'sendonly', setup: 'passive', iceUfrag: 'ufrag1', icePwd: 'pwd1' });
    expect([String(v!.mid), String(v!.payloads)]).toEqual(['0', '108']);
    expect(v!.candidates).toHaveLength(2);
    expect(v!.candidates![1]).toMatchObject({ transport: 'tcp', tcptype: 'passive', port: 40002 });
    expect(v!.rtp).toEqual([{ payload: 108, codec: 'H264', rate: 90000 }]);
    expect(v!.ssrcs).toContainEqual({ id: 1234, attribute: 'cname', value: 'room' });
    expect(a).toMatchObject({ type: 'audio', direction: 'sendonly' });
    expect([String(a!.mid), String(a!.payloads)]).toEqual(['1', '111']);
    expect(a!.rtp).toEqual([{ payload: 111, codec: 'opus', rate: 48000, encoding: 2 }]);
    // The data channel is declined with the offer's own m= line, port 0.
    expect(data).toMatchObject({ type: 'application', port: 0, protocol: 'UDP/DTLS/SCTP' });
    expect(String(data!.mid)).toBe('2');
  });

  it('refuses offers it cannot answer with a clear error', () => {
    expect(() => parseWhepOffer('v=0\r\ns=-\r\n')).toThrow(expect.objectContaining({ code: 'BAD_REQUEST' }));
    expect(() => parseWhepOffer(OFFER.replace(/a=fingerprint:.*\r?\n/g, ''))).toThrow(/fingerprint/);
    expect(() => parseWhepOffer('x'.repeat(70_000))).toThrow(expect.objectContaining({ code: 'PAYLOAD_TOO_LARGE' }));
    const vp8Only = OFFER.replace(/a=rtpmap:(\d+) H264\/90000/g, 'a=rtpmap:$1 VP8/90000').replace(/a=rtpmap:111 opus/, 'a=rtpmap:111 G722');
    expect(() => playerCodecs(parseWhepOffer(vp8Only))).toThrow(expect.objectContaining({ code: 'BAD_REQUEST' }));
  });
});
