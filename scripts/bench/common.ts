import type { Logger } from 'pino';
import { defaultLayers } from '../../pipeline/media/targets.ts';
import type { IngestPlan } from '../../pipeline/sfu/codecs.ts';
import type { BroadcastRoom } from '../../pipeline/sfu/room.ts';
import { Sfu } from '../../pipeline/sfu/sfu.ts';
import { BenchSource } from './media-source.ts';

/** The picture the benchmarks send: small, as the shared 2-core machines need. */
export const BENCH_VIDEO = { width: 640, height: 360, fps: 15, bitrateKbps: 800 };

/**
 * One layer: plain-RTP viewers have no bandwidth estimate, so they would all take the high
 * layer anyway, and a simulcast consumer whose other layer never arrives stalls after a
 * while (seen with mediasoup 3.15 on PlainTransports).
 */
export const BENCH_PLAN: IngestPlan = {
  videoPayloadType: 102,
  layers: defaultLayers(BENCH_VIDEO.width, BENCH_VIDEO.height, BENCH_VIDEO.bitrateKbps).slice(0, 1),
  audioPayloadType: 100,
  audioSsrc: 0x1111_0001,
};

export interface BenchRoom {
  sfu: Sfu;
  room: BroadcastRoom;
  source: BenchSource;
  close(): Promise<void>;
}

/** An SFU with `workers` workers, one room, and the bench source publishing into it. */
export async function openBenchRoom(
  workers: number,
  logger: Logger,
  options: { gopFrames?: number; mirror?: { ip: string; port: number } } = {},
): Promise<BenchRoom> {
  const sfu = new Sfu({
    workers,
    logLevel: 'error',
    network: { listenIp: '127.0.0.1', rtcMinPort: 10000, rtcMaxPort: 59999, ingestIp: '127.0.0.1' },
    logger,
  });
  await sfu.start();
  let source: BenchSource | undefined;
  try {
    const room = await sfu.openRoom('bench', BENCH_PLAN);
    source = new BenchSource({
      plan: BENCH_PLAN,
      ingest: await room.publish(),
      gopFrames: options.gopFrames ?? BENCH_VIDEO.fps,
      mirror: options.mirror,
      ...BENCH_VIDEO,
    }, logger);
    await source.start();
    room.on('ingest', (ingest) => source?.retarget(ingest));
    const s = source;
    return {
      sfu,
      room,
      source: s,
      close: async () => {
        s.close();
        await sfu.close();
      },
    };
  } catch (error) {
    source?.close();
    await sfu.close();
    throw error;
  }
}

/** Resolves once `probe` holds, or throws after `ms`. */
export async function until(probe: () => boolean, ms: number, what: string): Promise<void> {
  const deadline = performance.now() + ms;
  while (!probe()) {
    if (performance.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 20));
  }
}

export function table(headers: string[], rows: (string | number)[][]): string {
  const cells = [headers, ...rows.map((r) => r.map(String))];
  const widths = headers.map((_, i) => Math.max(...cells.map((r) => r[i]!.length)));
  return cells.map((r) => r.map((c, i) => c.padStart(widths[i]!)).join('  ')).join('\n');
}
