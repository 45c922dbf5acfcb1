import { createSocket, type Socket } from 'node:dgram';

/**
 * One UDP socket standing in for many member classrooms: every synthetic viewer's
 * PlainTransport sends here, and packets are told apart by SSRC.
 */
export class Sink {
  readonly #socket: Socket = createSocket({ type: 'udp4', recvBufferSize: 8 * 1024 * 1024 });
  packets = 0;
  bytes = 0;
  onPacket: (packet: Buffer, at: number) => void = () => {};

  async start(ip = '127.0.0.1'): Promise<{ ip: string; port: number }> {
    this.#socket.on('message', (packet) => {
      this.packets += 1;
      this.bytes += packet.length;
      this.onPacket(packet, performance.now());
    });
    await new Promise<void>((resolve) => this.#socket.bind(0, ip, resolve));
    return { ip, port: this.#socket.address().port };
  }

  close(): void {
    this.#socket.close();
  }
}

export function ssrcOf(packet: Buffer): number | undefined {
  if (packet.length < 12 || packet[0]! >> 6 !== 2) return undefined;
  const pt = packet[1]! & 0x7f;
  if (pt >= 64 && pt <= 95) return undefined;
  return packet.readUInt32BE(8);
}

export function percentile(values: number[], p: number): number {
  if (values.length === 0) return Number.NaN;
  const sorted = [...values].sort((a, b) => a - b);
  return sorted[Math.min(sorted.length - 1, Math.floor((p / 100) * sorted.length))]!;
}
