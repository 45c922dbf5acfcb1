import { createSocket, type Socket } from 'node:dgram';
import { pino } from 'pino';
import { afterEach, describe, expect, it } from 'vitest';
import { pipelineSchema } from '../../config/schema/pipeline.ts';
import { MediaPipeline } from '../../pipeline/media/media-pipeline.ts';
import { pipelineLayers } from '../../pipeline/media/targets.ts';
import type { IngestPlan } from '../../pipeline/sfu/codecs.ts';
import { Sfu } from '../../pipeline/sfu/sfu.ts';
import { startsKeyframe, waitUntil } from './pipeline-rtp-sink.ts';

const logger = pino({ level: 'silent' });

/** One UDP socket all plain viewers send to; frames counted per SSRC, first packet kept. */
class Sink {
  readonly frames = new Map<number, number>();
  readonly first = new Map<number, { keyframe: boolean }>();
  readonly #lastTs = new Map<number, number>();
  private constructor(readonly socket: Socket) {
    socket.on('message', (msg) => {
      const pt = msg[1]!;
      if (msg.length < 13 || (pt >= 192 && pt <= 223)) return;
      const ssrc = msg.readUInt32BE(8);
      if (!this.first.has(ssrc)) this.first.set(ssrc, { keyframe: startsKeyframe(msg) });
      const ts = msg.readUInt32BE(4);
      if (this.#lastTs.get(ssrc) !== ts) {
        this.#lastTs.set(ssrc, ts);
        this.frames.set(ssrc, (this.frames.get(ssrc) ?? 0) + 1);
      }
    });
  }

  static async open(): Promise<Sink> {
    const socket = createSocket('udp4');
    await new Promise<void>((resolve) => socket.bind(0, '127.0.0.1', resolve));
    return new Sink(socket);
  }

  get address() {
    return { ip: '127.0.0.1', port: this.socket.address().port };
  }
}

describe('a newcomer through the SFU', () => {
  const cleanup: (() => Promise<void> | void)[] = [];
  afterEach(async () => {
    for (const fn of cleanup.splice(0).reverse()) await fn();
  });

  it('gets its first frame, a keyframe, within a few frames, not at the periodic keyframe 10 s away', async () => {
    const config = pipelineSchema.parse({
      width: 320, height: 180, fps: 15, videoBitrateKbps: 400, lowLayer: { enabled: false },
      keyframeIntervalMs: 10_000, lowKeyframeIntervalMs: 10_000, meters: false,
    });
    const plan: IngestPlan = { videoPayloadType: 102, layers: pipelineLayers(config), audioPayloadType: 100, audioSsrc: 0x1111 };
    const sfu = new Sfu({ workers: 1, logLevel: 'warn', network: { listenIp: '127.0.0.1', rtcMinPort: 20000, rtcMaxPort: 29999, ingestIp: '127.0.0.1' }, logger });
    await sfu.start();
    cleanup.push(() => sfu.close());
    const room = await sfu.openRoom('room', plan);
    const pipeline = new MediaPipeline({ config, videoInputs: [], targets: { ...plan, ...(await room.publish()) }, logger });
    cleanup.push(() => pipeline.close());
    await pipeline.start();
    const sink = await Sink.open();
    cleanup.push(() => void sink.socket.close());

    const steady = await room.createPlainViewer('steady', sink.address);
    const steadyVideo = steady.ssrcs().find((s) => s.kind === 'video')!.ssrc;
    await waitUntil(() => (sink.frames.get(steadyVideo) ?? 0) > 20, 15_000, 'frames to the first classroom');
    // Well past the start's own keyframe: only a keyframe on request can come soon.
    const before = { forced: pipeline.keyframeStats.forced, steady: sink.frames.get(steadyVideo)! };
    const newcomer = await room.createPlainViewer('newcomer', sink.address);
    const video = newcomer.ssrcs().find((s) => s.kind === 'video')!.ssrc;
    await waitUntil(() => sink.first.has(video), 10_000, "the newcomer's first video packet");
    expect(sink.first.get(video)!.keyframe).toBe(true);
    // At 15 fps the periodic keyframe is 150 frames away; this one came within a few.
    expect(sink.frames.get(steadyVideo)! - before.steady).toBeLessThanOrEqual(6);
    expect(pipeline.keyframeStats.forced).toBeGreaterThan(before.forced);
  });
});
