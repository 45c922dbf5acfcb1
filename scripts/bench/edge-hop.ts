import type { Logger } from 'pino';
import { pipeFeed } from '../../pipeline/sfu/pipe-feed.ts';
import type { PipeOut } from '../../pipeline/sfu/pipe-out.ts';
import type { PlainViewer } from '../../pipeline/sfu/plain-viewer.ts';
import { Sfu } from '../../pipeline/sfu/sfu.ts';
import { openBenchRoom, table, until } from './common.ts';
import { MIRROR_SSRC, readStamp } from './media-source.ts';
import { Sink, stampDelays, type StampDelayRow } from './sink.ts';

export interface EdgeHopOptions {
  /** Synthetic classrooms behind the edge while measuring. */
  loads: number[];
  measureMs: number;
  logger: Logger;
}

export interface EdgeHopRow extends StampDelayRow {
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
    const delays = stampDelays(sink, paths, readStamp);
    await until(() => sink.packets > 100, 10_000, 'packets through the edge');
    for (const target of options.loads) {
      while (load.length < target) load.push(await room.createPlainViewer(`load-${load.length}`, address));
      delays.reset();
      await new Promise((r) => setTimeout(r, options.measureMs));
      const link = pipe ? (await pipe.figures()).sendKbps : undefined;
      for (const { max: _max, ...row } of delays.rows(target)) rows.push({ ...row, linkKbps: row.path.includes('edge') ? link : undefined });
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
