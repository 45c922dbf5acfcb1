import os from 'node:os';
import type { Logger } from 'pino';
import type { PlainViewer } from '../../pipeline/sfu/plain-viewer.ts';
import { openBenchRoom, table, until } from './common.ts';
import { Sink } from './sink.ts';
import { cpuOver } from './workers-cpu.ts';

export interface FanoutOptions {
  /** Numbers of synthetic member classrooms to measure at. */
  classrooms: number[];
  /** Workers of the candidate (the baseline always has one). */
  workers: number;
  measureMs: number;
  logger: Logger;
}

export interface FanoutRow {
  setup: string;
  workers: number;
  classrooms: number;
  /** CPU of all workers together, in cores. */
  workerCores: number;
  /** CPU of the busiest worker, in cores (the one that saturates first). */
  busiestCore: number;
  /** Classrooms one fully busy worker would carry at this load (classrooms / busiest worker's share). */
  classroomsPerCore: number;
  /** Classrooms the whole SFU carries before its busiest worker saturates. */
  capacity: number;
  sentMbps: number;
  spread: string;
}

/**
 * Fan-out cost: synthetic member classrooms (consumers on PlainTransports, no browser) added
 * to a room while the bench source publishes, and the workers' CPU read from /proc. The
 * baseline is one worker (everything on the origin router, no pipeToRouter); the candidate
 * spreads consumers over `workers` workers through pipeToRouter.
 */
export async function runFanout(options: FanoutOptions): Promise<FanoutRow[]> {
  const rows: FanoutRow[] = [];
  const setups = [
    { setup: 'baseline: 1 worker', workers: 1 },
    { setup: `candidate: ${options.workers} workers + pipeToRouter`, workers: options.workers },
  ];
  for (const { setup, workers } of setups) {
    const bench = await openBenchRoom(workers, options.logger);
    const sink = new Sink();
    const viewers: PlainViewer[] = [];
    try {
      const address = await sink.start();
      // Wait for the source to be flowing before measuring anything.
      await until(() => bench.room.producerIds.length === 2, 10_000, 'producers');
      for (const classrooms of options.classrooms) {
        while (viewers.length < classrooms) viewers.push(await bench.room.createPlainViewer(`synthetic-${viewers.length}`, address));
        const bytesBefore = sink.bytes;
        const started = performance.now();
        const cpu = await cpuOver(bench.sfu.pool.pids(), options.measureMs);
        const seconds = (performance.now() - started) / 1000;
        const total = cpu.reduce((a, b) => a + b, 0);
        const busiest = Math.max(...cpu);
        // The busiest worker carries roughly its share of the classrooms (plus the origin's ingest).
        const perWorker = classrooms / workers;
        const perCore = busiest > 0 ? perWorker / busiest : Number.POSITIVE_INFINITY;
        rows.push({
          setup,
          workers,
          classrooms,
          workerCores: round(total, 3),
          busiestCore: round(busiest, 3),
          classroomsPerCore: Math.round(perCore),
          capacity: Math.round(perCore * workers),
          sentMbps: round(((sink.bytes - bytesBefore) * 8) / seconds / 1e6, 1),
          spread: Object.values(bench.room.spread()).join('/'),
        });
      }
    } finally {
      for (const v of viewers) v.close();
      sink.close();
      await bench.close();
    }
  }
  return rows;
}

export function formatFanout(rows: FanoutRow[]): string {
  return [
    `fan-out: worker CPU vs synthetic member classrooms (${os.availableParallelism()} cores here; 640x360 15 fps 800 kbit/s + audio)`,
    table(
      ['setup', 'classrooms', 'spread', 'workers CPU (cores)', 'busiest worker', 'classrooms/core', 'capacity', 'sent Mbit/s'],
      rows.map((r) => [r.setup, r.classrooms, r.spread, r.workerCores, r.busiestCore, r.classroomsPerCore, r.capacity, r.sentMbps]),
    ),
  ].join('\n');
}

function round(n: number, digits: number): number {
  const f = 10 ** digits;
  return Math.round(n * f) / f;
}
