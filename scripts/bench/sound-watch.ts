import { createSocket, type Socket } from 'node:dgram';
import type { RtpForwarder } from '../../pipeline/media/rtp-forwarder.ts';

/** Seconds from 1900 (NTP's epoch) to 1970. */
const NTP_TO_UNIX_S = 2_208_988_800;

/**
 * The box's part of the sound's delay: each packet of the program's sound leaving the box (a
 * tap of the RtpForwarder, after its pacing), timed against the wall time its first sample
 * stands for. The mixer's RTCP sender reports name that time: they pair an RTP timestamp
 * with the start's origin clock (`-start_time_realtime`, the audio pump's count), so every
 * packet's timestamp converts to the wall time the pump gave its samples.
 */
export class SoundWatch {
  /** ms from a packet's samples entering the audio pump to the packet leaving the box. */
  readonly delays: number[] = [];
  recording = false;
  readonly #socket: Socket;
  readonly #detach: () => void;

  private constructor(socket: Socket, detach: () => void) {
    this.#socket = socket;
    this.#detach = detach;
  }

  static async start(forwarder: RtpForwarder, ssrc: number): Promise<SoundWatch> {
    const socket = createSocket('udp4');
    await new Promise<void>((resolve) => socket.bind(0, '127.0.0.1', resolve));
    let report: { wallMs: number; timestamp: number } | undefined;
    const detach = forwarder.addTap({ kind: 'audio', endpoint: { ip: '127.0.0.1', port: socket.address().port }, ssrcs: [ssrc] });
    const watch = new SoundWatch(socket, detach);
    socket.on('message', (packet) => {
      const now = Date.now();
      if (packet.length >= 20 && packet[1] === 200) {
        // A sender report (RFC 3550 §6.4.1): NTP seconds and fraction, then the RTP timestamp.
        report = { wallMs: (packet.readUInt32BE(8) - NTP_TO_UNIX_S) * 1000 + (packet.readUInt32BE(12) / 2 ** 32) * 1000, timestamp: packet.readUInt32BE(16) };
        return;
      }
      if (!report || !watch.recording || packet.length < 12) return;
      // 48 kHz Opus: 48 ticks a millisecond; a signed difference across the 32-bit wrap.
      const sinceReport = ((packet.readUInt32BE(4) - report.timestamp) | 0) / 48;
      watch.delays.push(now - (report.wallMs + sinceReport));
    });
    return watch;
  }

  clear(): void {
    this.delays.length = 0;
  }

  close(): void {
    this.#detach();
    this.#socket.close();
  }
}
