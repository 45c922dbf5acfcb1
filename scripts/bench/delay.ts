import type { Logger } from 'pino';
import type { PlainViewer } from '../../pipeline/sfu/plain-viewer.ts';
import { openBenchRoom, table, until } from './common.ts';
import { MIRROR_SSRC, readStamp } from './media-source.ts';
import { percentile, Sink, ssrcOf } from './sink.ts';

export interface DelayOptions {
  workers: number;
  /** Synthetic classrooms loading the SFU while measuring (0 = idle). */
  loads: number[];
  measureMs: number;
  logger: Logger;
}

export interface DelayRow {
  path: string;
  load: number;
  packets: number;
  p50: number;
  p95: number;
  p99: number;
  max: number;
}

/**
 * Delay the SFU adds: every 20 ms an RTP packet carrying its send time goes into the room
 * and, as the baseline, the same packet goes straight to the receiving socket (same
 * process, same clock, no SFU). One probe viewer sits on the origin router, one on an
 * edge router (through pipeToRouter); the difference to the baseline is what the SFU adds.
 */
export async function runDelay(options: DelayOptions): Promise<DelayRow[]> {
  const sink = new Sink();
  const address = await sink.start();
  const bench = await openBenchRoom(options.workers, options.logger, { mirror: address });
  const load: PlainViewer[] = [];
  const rows: DelayRow[] = [];
  try {
    const origin = await bench.room.createPlainViewer('probe-origin', address);
    const edge = options.workers > 1 ? await bench.room.createPlainViewer('probe-edge', address) : undefined;
    const audioSsrc = (v: PlainViewer | undefined) => v?.ssrcs().find((s) => s.kind === 'audio')?.ssrc;
    const paths = new Map<number, string>([[MIRROR_SSRC, 'baseline: direct UDP, no SFU']]);
    paths.set(audioSsrc(origin)!, 'through the SFU, origin router');
    if (edge) paths.set(audioSsrc(edge)!, 'through the SFU, edge router (pipeToRouter)');
    const samples = new Map<number, number[]>();
    sink.onPacket = (packet, at) => {
      const ssrc = ssrcOf(packet);
      if (ssrc === undefined || !paths.has(ssrc)) return;
      const sent = readStamp(packet);
      if (sent !== undefined) samples.get(ssrc)?.push(at - sent);
    };
    await until(() => sink.packets > 50, 10_000, 'packets through the SFU');
    for (const target of options.loads) {
      // Load viewers go wherever the room puts them, like real classrooms.
      while (load.length < target) load.push(await bench.room.createPlainViewer(`load-${load.length}`, address));
      for (const ssrc of paths.keys()) samples.set(ssrc, []);
      await new Promise((r) => setTimeout(r, options.measureMs));
      for (const [ssrc, path] of paths) {
        const values = samples.get(ssrc)!;
        rows.push({
          path,
          load: target,
          packets: values.length,
          p50: round(percentile(values, 50)),
          p95: round(percentile(values, 95)),
          p99: round(percentile(values, 99)),
          max: round(Math.max(...values)),
        });
      }
    }
  } finally {
    for (const v of load) v.close();
    await bench.close();
    sink.close();
  }
  return rows;
}

export function formatDelay(rows: DelayRow[]): string {
  return [
    'added delay: RTP packets stamped with their send time, received by a plain-RTP viewer (ms)',
    table(
      ['path', 'other classrooms', 'packets', 'p50', 'p95', 'p99', 'max'],
      rows.map((r) => [r.path, r.load, r.packets, r.p50, r.p95, r.p99, r.max]),
    ),
  ].join('\n');
}

function round(n: number): number {
  return Math.round(n * 100) / 100;
}
