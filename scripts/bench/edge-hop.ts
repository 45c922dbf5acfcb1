import type { Logger } from 'pino';
import { pipeFeed } from '../../pipeline/sfu/pipe-feed.ts';
import type { PipeOut } from '../../pipeline/sfu/pipe-out.ts';
import type { PlainViewer } from '../../pipeline/sfu/plain-viewer.ts';
import { Sfu } from '../../pipeline/sfu/sfu.ts';
import { openBenchRoom, table, until } from './common.ts';
import { MIRROR_SSRC, readStamp } from './media-source.ts';
import { percentile, Sink, ssrcOf } from './sink.ts';

export interface EdgeHopOptions {
  /** Synthetic classrooms behind the edge while measuring. */
  loads: number[];
  measureMs: number;
  logger: Logger;
}

export interface EdgeHopRow {
  path: string;
  load: number;
  packets: number;
  p50: number;
  p95: number;
  p99: number;
  /** What crossed the origin → edge pipe meanwhile (kbit/s). */
  linkKbps: number | undefined;
}

/**
 * What a hop through an edge SFU adds: the bench source publishes into an origin SFU; an edge
 * SFU (its own worker pool, as on its own box) pulls the room over a PipeTransport with SRTP
 * and RTX, exactly as `/ws/edge` sets it up (`pipe-feed.ts`, `PipeOut`). Stamped RTP packets
 * are received by a plain-RTP viewer on the origin (a classroom connected straight to the
 * origin) and one on the edge; the baseline is the same packet sent straight to the socket.
 * Loopback here: a WAN link adds its own latency on top. With classrooms behind the edge, the
 * pipe's bitrate shows that one copy crosses the link whatever their number.
 */
export async function runEdgeHop(options: EdgeHopOptions): Promise<EdgeHopRow[]> {
  const sink = new Sink();
  const address = await sink.start();
  const origin = await openBenchRoom(1, options.logger, { mirror: address });
  const edge = new Sfu({
    workers: 1,
    logLevel: 'error',
    network: { listenIp: '127.0.0.1', rtcMinPort: 10000, rtcMaxPort: 59999, ingestIp: '127.0.0.1' },
    logger: options.logger,
  });
  const load: PlainViewer[] = [];
  let pipe: PipeOut | undefined;
  const rows: EdgeHopRow[] = [];
  try {
    await edge.start();
    await until(() => origin.room.producerIds.length === 2, 10_000, 'producers');
    const room = await edge.openRoom(
      'bench',
      pipeFeed({
        net: edge.network,
        pull: async (end) => {
          pipe = await origin.room.pipeOut(end);
          return pipe.offer;
        },
        released: () => pipe?.close(),
      }),
    );
    await room.pull();
    const direct = await origin.room.createPlainViewer('probe-origin', address);
    const viaEdge = await room.createPlainViewer('probe-edge', address);
    const audioSsrc = (v: PlainViewer) => v.ssrcs().find((s) => s.kind === 'audio')!.ssrc;
    const paths = new Map<number, string>([
      [MIRROR_SSRC, 'baseline: direct UDP, no SFU'],
      [audioSsrc(direct), 'classroom on the origin (one hop)'],
      [audioSsrc(viaEdge), 'classroom on an edge (origin → pipe → edge)'],
    ]);
    const samples = new Map<number, number[]>();
    sink.onPacket = (packet, at) => {
      const ssrc = ssrcOf(packet);
      if (ssrc === undefined || !paths.has(ssrc)) return;
      const sent = readStamp(packet);
      if (sent !== undefined) samples.get(ssrc)?.push(at - sent);
    };
    await until(() => sink.packets > 100, 10_000, 'packets through the edge');
    for (const target of options.loads) {
      while (load.length < target) load.push(await room.createPlainViewer(`load-${load.length}`, address));
      for (const ssrc of paths.keys()) samples.set(ssrc, []);
      await new Promise((r) => setTimeout(r, options.measureMs));
      const link = pipe ? (await pipe.figures()).sendKbps : undefined;
      for (const [ssrc, path] of paths) {
        const values = samples.get(ssrc)!;
        rows.push({
          path,
          load: target,
          packets: values.length,
          p50: round(percentile(values, 50)),
          p95: round(percentile(values, 95)),
          p99: round(percentile(values, 99)),
          linkKbps: path.includes('edge') ? link : undefined,
        });
      }
    }
  } finally {
    for (const v of load) v.close();
    await edge.close();
    await origin.close();
    sink.close();
  }
  return rows;
}

export function formatEdgeHop(rows: EdgeHopRow[]): string {
  return [
    'edge hop: RTP packets stamped with their send time, received by a plain-RTP viewer (ms); origin and edge SFUs on loopback',
    table(
      ['path', 'classrooms at the edge', 'packets', 'p50', 'p95', 'p99', 'pipe kbit/s'],
      rows.map((r) => [r.path, r.load, r.packets, r.p50, r.p95, r.p99, r.linkKbps ?? '']),
    ),
  ].join('\n');
}

function round(n: number): number {
  return Math.round(n * 100) / 100;
}
