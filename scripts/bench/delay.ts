import type { Logger } from 'pino';
import type { PlainViewer } from '../../pipeline/sfu/plain-viewer.ts';
import { openBenchRoom, table, until } from './common.ts';
import { MIRROR_SSRC, readStamp } from './media-source.ts';
import { Sink, stampDelays, type StampDelayRow } from './sink.ts';

export interface DelayOptions {
  workers: number;
  /** Synthetic classrooms loading the SFU while measuring (0 = idle). */
  loads: number[];
  measureMs: number;
  logger: Logger;
}

export interface DelayRow extends StampDelayRow {
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
    const delays = stampDelays(sink, paths, readStamp);
    await until(() => sink.packets > 50, 10_000, 'packets through the SFU');
    for (const target of options.loads) {
      // Load viewers go wherever the room puts them, like real classrooms.
      while (load.length < target) load.push(await bench.room.createPlainViewer(`load-${load.length}`, address));
      delays.reset();
      await new Promise((r) => setTimeout(r, options.measureMs));
      rows.push(...delays.rows(target));
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
