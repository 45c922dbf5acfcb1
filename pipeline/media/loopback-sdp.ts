import { createSocket } from 'node:dgram';
import * as sdp from 'sdp-transform';

/** One RTP stream sent to this box over loopback (the recorder's, the speakers', a talk-back room's). */
export interface RtpStreamDescription {
  /** The local port it is sent to (RTCP to the next one). */
  port: number;
  payloadType: number;
  /** As SDP names it: `opus`, `H264`, `VP8`. */
  codec: string;
  clockRate: number;
  channels?: number;
  /** The format parameters, as an SDP `a=fmtp` line carries them. */
  fmtp?: string;
}

/** The program's sound as the compositor sends it: Opus, 48 kHz, stereo. */
export function opusStream(port: number, payloadType: number): RtpStreamDescription {
  return { port, payloadType, codec: 'opus', clockRate: 48_000, channels: 2 };
}

/**
 * The SDP an ffmpeg reads to receive `streams` on 127.0.0.1 (with `-protocol_whitelist
 * file,udp,rtp`), written by `sdp-transform`, the SDP library mediasoup-client uses.
 */
export function loopbackSdp(name: string, streams: { type: 'audio' | 'video'; stream: RtpStreamDescription }[]): string {
  return sdp.write({
    version: 0,
    origin: { username: '-', sessionId: 0, sessionVersion: 0, netType: 'IN', ipVer: 4, address: '127.0.0.1' },
    name,
    connection: { version: 4, ip: '127.0.0.1' },
    timing: { start: 0, stop: 0 },
    media: streams.map(({ type, stream: s }) => ({
      type,
      port: s.port,
      protocol: 'RTP/AVP',
      payloads: String(s.payloadType),
      rtp: [{ payload: s.payloadType, codec: s.codec, rate: s.clockRate, ...(s.channels ? { encoding: s.channels } : {}) }],
      fmtp: s.fmtp ? [{ payload: s.payloadType, config: s.fmtp }] : [],
    })),
  });
}

/** ffmpeg's RTP input binds the port and the next one (RTCP): an even port keeps them a pair. */
export async function freeEvenUdpPort(): Promise<number> {
  for (;;) {
    const socket = createSocket('udp4');
    await new Promise<void>((resolve) => socket.bind(0, '127.0.0.1', () => resolve()));
    const port = socket.address().port;
    socket.close();
    if (port % 2 === 0 && port < 65534) return port;
  }
}
