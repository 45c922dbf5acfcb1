import type { Logger } from 'pino';
import { BENCH_VIDEO, openBenchRoom, table, until } from './common.ts';
import { isKeyframeStart } from './media-source.ts';
import { percentile, Sink, ssrcOf } from './sink.ts';

export interface FirstFrameOptions {
  workers: number;
  newcomers: number;
  logger: Logger;
}

export interface FirstFrameRow {
  setup: string;
  gopMs: number;
  newcomers: number;
  /** Resume → first audio packet (ms). */
  audioP50: number;
  /** Resume → first video packet, which mediasoup holds back until a keyframe (ms). */
  videoP50: number;
  videoP95: number;
  videoMax: number;
  allKeyframes: boolean;
}

/**
 * Time to first frame for a newcomer: from the join (transport, consumers) to the first audio
 * and video packets. A new video consumer asks the producer for a keyframe and mediasoup drops
 * video until a keyframe passes. The encoder (like ffmpeg in the pipeline) ignores keyframe
 * requests, so the keyframe interval bounds the wait: the baseline has a 2 s interval (the
 * high layer of the demo), the candidate 0.5 s (the demo's low layer).
 */
export async function runFirstFrame(options: FirstFrameOptions): Promise<FirstFrameRow[]> {
  const rows: FirstFrameRow[] = [];
  for (const { setup, gopMs } of [
    { setup: 'baseline: keyframe every 2 s', gopMs: 2000 },
    { setup: 'candidate: keyframe every 0.5 s', gopMs: 500 },
  ]) {
    const sink = new Sink();
    const address = await sink.start();
    const bench = await openBenchRoom(options.workers, options.logger, { gopFrames: Math.round((gopMs / 1000) * BENCH_VIDEO.fps) });
    const audio: number[] = [];
    const video: number[] = [];
    let allKeyframes = true;
    try {
      // One viewer that is always there, so the encoder is known to be flowing.
      await bench.room.createPlainViewer('steady', address);
      await until(() => sink.packets > 30, 15_000, 'video from the encoder');
      for (let i = 0; i < options.newcomers; i += 1) {
        // Newcomers arrive at arbitrary points of the keyframe interval.
        await new Promise((r) => setTimeout(r, 150 + Math.random() * gopMs));
        // Every SSRC's first packet after the join began; the newcomer's SSRCs are known
        // only once its consumers exist, and packets may race that answer.
        const firstAt = new Map<number, { at: number; key: boolean }>();
        const started = performance.now();
        sink.onPacket = (packet, at) => {
          const ssrc = ssrcOf(packet);
          if (ssrc !== undefined && !firstAt.has(ssrc)) firstAt.set(ssrc, { at: at - started, key: isKeyframeStart(packet) });
        };
        const viewer = await bench.room.createPlainViewer(`newcomer-${i}`, address);
        const ssrcOfKind = (kind: string) => viewer.ssrcs().find((s) => s.kind === kind)!.ssrc;
        const first = () => ({ audio: firstAt.get(ssrcOfKind('audio')), video: firstAt.get(ssrcOfKind('video')) });
        await until(() => first().audio !== undefined && first().video !== undefined, gopMs + 5_000, "the newcomer's first frame");
        const { audio: a, video: v } = first();
        audio.push(a!.at);
        video.push(v!.at);
        allKeyframes &&= v!.key;
        sink.onPacket = () => {};
        viewer.close();
      }
    } finally {
      await bench.close();
      sink.close();
    }
    rows.push({
      setup,
      gopMs,
      newcomers: video.length,
      audioP50: Math.round(percentile(audio, 50)),
      videoP50: Math.round(percentile(video, 50)),
      videoP95: Math.round(percentile(video, 95)),
      videoMax: Math.round(Math.max(...video)),
      allKeyframes,
    });
  }
  return rows;
}

export function formatFirstFrame(rows: FirstFrameRow[]): string {
  return [
    'time to first frame for a newcomer (join → first packet, ms)',
    table(
      ['setup', 'newcomers', 'first audio p50', 'first video p50', 'p95', 'max', 'video starts on a keyframe'],
      rows.map((r) => [r.setup, r.newcomers, r.audioP50, r.videoP50, r.videoP95, r.videoMax, r.allKeyframes ? 'yes' : 'NO']),
    ),
  ].join('\n');
}
