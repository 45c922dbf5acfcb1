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

/** One path's one-way delays of stamped packets, as the delay suites print them (ms). */
export interface StampDelayRow {
  path: string;
  load: number;
  packets: number;
  p50: number;
  p95: number;
  p99: number;
}

/**
 * One-way delays of the bench source's stamped packets arriving at `sink`, by path (the SSRC
 * each path's packets leave with): `reset()` starts a measuring window, `rows(load)` closes it.
 */
export function stampDelays(sink: Sink, paths: Map<number, string>, readStamp: (packet: Buffer) => number | undefined) {
  const samples = new Map<number, number[]>();
  sink.onPacket = (packet, at) => {
    const ssrc = ssrcOf(packet);
    if (ssrc === undefined || !paths.has(ssrc)) return;
    const sent = readStamp(packet);
    if (sent !== undefined) samples.get(ssrc)?.push(at - sent);
  };
  const round = (n: number) => Math.round(n * 100) / 100;
  return {
    reset(): void {
      for (const ssrc of paths.keys()) samples.set(ssrc, []);
    },
    rows(load: number): (StampDelayRow & { max: number })[] {
      return [...paths].map(([ssrc, path]) => {
        const values = samples.get(ssrc) ?? [];
        return {
          path,
          load,
          packets: values.length,
          p50: round(percentile(values, 50)),
          p95: round(percentile(values, 95)),
          p99: round(percentile(values, 99)),
          max: round(Math.max(...values)),
        };
      });
    },
  };
}
