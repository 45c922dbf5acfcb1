import { pino } from 'pino';
import { afterEach, describe, expect, it } from 'vitest';
import { pipelineSchema } from '../../config/schema/pipeline.ts';
import { MediaPipeline } from '../../pipeline/media/media-pipeline.ts';
import { defaultLayers } from '../../pipeline/media/targets.ts';
import { RtpSink, startsKeyframe, waitUntil } from './pipeline-rtp-sink.ts';

const logger = pino({ level: 'silent' });

/** Frames per SSRC in order, each marked keyframe or not, as they leave the pipeline. */
class FrameLog {
  readonly frames = new Map<number, boolean[]>();
  readonly bytes = new Map<number, number>();
  readonly #lastTs = new Map<number, number>();

  constructor(sink: RtpSink) {
    sink.socket.on('message', (msg) => {
      const pt = msg[1]!;
      if (msg.length < 13 || (pt >= 192 && pt <= 223)) return;
      const ssrc = msg.readUInt32BE(8);
      const ts = msg.readUInt32BE(4);
      this.bytes.set(ssrc, (this.bytes.get(ssrc) ?? 0) + msg.length);
      const list = this.frames.get(ssrc) ?? [];
      this.frames.set(ssrc, list);
      if (this.#lastTs.get(ssrc) !== ts) {
        this.#lastTs.set(ssrc, ts);
        list.push(startsKeyframe(msg));
      } else if (startsKeyframe(msg)) {
        list[list.length - 1] = true;
      }
    });
  }

  count(ssrc: number): number {
    return this.frames.get(ssrc)?.length ?? 0;
  }

  /** Indexes of keyframes of `ssrc` from frame `from` on. */
  keyframesFrom(ssrc: number, from: number): number[] {
    return (this.frames.get(ssrc) ?? []).flatMap((key, i) => (key && i >= from ? [i] : []));
  }
}

/** An RTCP PLI (RFC 4585 §6.3.1) asking `mediaSsrc` for a keyframe. */
function pli(mediaSsrc: number): Buffer {
  const packet = Buffer.alloc(12);
  packet[0] = 0x81; // V=2, FMT=1
  packet[1] = 206; // PSFB
  packet.writeUInt16BE(2, 2);
  packet.writeUInt32BE(0x5eed, 4);
  packet.writeUInt32BE(mediaSsrc, 8);
  return packet;
}

describe('keyframes on request', () => {
  const cleanup: (() => Promise<void>)[] = [];
  afterEach(async () => {
    for (const fn of cleanup.splice(0).reverse()) await fn();
  });

  /** A running pipeline whose periodic IDRs are 10 s (150 frames) apart: any sooner one is on request. */
  async function start(canvas = { width: 320, height: 180, fps: 15, kbps: 400 }) {
    const video = await RtpSink.open();
    const audio = await RtpSink.open();
    cleanup.push(() => video.close(), () => audio.close());
    const layers = defaultLayers(canvas.width, canvas.height, canvas.kbps);
    const config = pipelineSchema.parse({ width: canvas.width, height: canvas.height, fps: canvas.fps, videoBitrateKbps: canvas.kbps, keyframeIntervalMs: 10_000, lowKeyframeIntervalMs: 10_000, meters: false });
    const pipeline = new MediaPipeline({
      config,
      videoInputs: [],
      targets: { video: video.endpoint, videoPayloadType: 102, layers, audio: audio.endpoint, audioPayloadType: 100, audioSsrc: 77 },
      logger,
    });
    cleanup.push(() => pipeline.close());
    const log = new FrameLog(video);
    await pipeline.start();
    return { video, pipeline, log, layers };
  }

  it('makes the next frame of the asked layer an IDR, and only of that layer, long before the periodic one', async () => {
    const { video, pipeline, log, layers } = await start();
    const [high, low] = [layers[0]!.ssrc, layers[1]!.ssrc];
    expect(pipeline.keyframesOnRequest).toBe(true);
    await waitUntil(() => log.count(high) > 10 && log.count(low) > 10, 15_000, 'frames of both layers');
    const forwarder = [...video.sources][0]!.split(':');
    const ask = (ssrc: number) => video.socket.send(pli(ssrc), Number(forwarder[1]), forwarder[0]);

    for (const [asked, other] of [[low, high], [high, low]] as const) {
      const from = { asked: log.count(asked), other: log.count(other) };
      ask(asked);
      await waitUntil(() => log.keyframesFrom(asked, from.asked).length > 0, 10_000, `an IDR on ${asked}`);
      const [first] = log.keyframesFrom(asked, from.asked);
      // The next frame or the one after (one may be in the encoder already), never the periodic one.
      expect(first! - from.asked).toBeLessThanOrEqual(4);
      await waitUntil(() => log.count(other) > from.other + 8, 5_000, 'frames of the other layer');
      expect(log.keyframesFrom(other, from.other)).toEqual([]);
    }
    expect(pipeline.keyframeStats).toEqual({ requests: 2, forced: 2 });
    // The encoder still spends its bitrate: 400 kbit/s at 15 fps is about 3.3 kB a frame. With
    // the 1 ms time base and no nominal rate, x264 took 1,000 fps and sent about 80 bytes.
    const perFrame = log.bytes.get(high)! / log.count(high);
    expect(perFrame).toBeGreaterThan(1_000);
  });

  it('turns a burst of requests into one IDR per interval', async () => {
    const { video, pipeline, log, layers } = await start();
    const low = layers[1]!.ssrc;
    await waitUntil(() => log.count(low) > 10, 15_000, 'frames');
    const [host, port] = [...video.sources][0]!.split(':');
    const from = log.count(low);
    for (let i = 0; i < 20; i += 1) video.socket.send(pli(low), Number(port), host);
    await waitUntil(() => pipeline.keyframeStats.requests === 20, 5_000, 'the requests to arrive');
    // 20 requests at once: one IDR now, one more when the interval ends, then nothing.
    await waitUntil(() => log.keyframesFrom(low, from).length >= 2, 5_000, 'two IDRs');
    const settled = log.count(low);
    await waitUntil(() => log.count(low) > settled + 15, 5_000, 'a second of frames');
    expect(log.keyframesFrom(low, from)).toHaveLength(2);
    expect(pipeline.keyframeStats.forced).toBe(2);
  });

  it('hands the compositor one frame at a time: a frame due while one is inside waits for it', async () => {
    // The default canvas: an IDR of it takes the encoder longer than the 8 ms between the
    // frames asked for below.
    const { pipeline, log, layers } = await start({ width: 1280, height: 720, fps: 30, kbps: 2000 });
    await waitUntil(() => log.count(layers[0]!.ssrc) > 10, 15_000, 'frames');
    const pump = pipeline.framePump!;
    // The pump's writes and the frames out of the compositor, in order, with their times.
    const events: { kind: 'write' | 'out'; at: number }[] = [];
    pump.on('written', () => events.push({ kind: 'write', at: performance.now() }));
    // The high layer's frames leaving, as the forwarder tells the pump (logged before the pump
    // acts on it: it may write the next frame at once).
    const frameOut = pump.frameOut.bind(pump);
    pump.frameOut = () => {
      events.push({ kind: 'out', at: performance.now() });
      frameOut();
    };
    // Frames asked for faster than the compositor turns them out (each one an IDR, too).
    const waitedBefore = pump.stats.waited;
    const burst = setInterval(() => pump.requestKeyframe(0), 4);
    await waitUntil(() => events.filter((e) => e.kind === 'write').length >= 40, 15_000, 'forty writes');
    clearInterval(burst);
    // Some writes waited for the compositor and went the moment the frame before was out.
    expect(pump.stats.waited).toBeGreaterThan(waitedBefore);
    // Between two writes, a frame came out (or the one inside had been there past the 250 ms
    // after which it no longer holds the next back).
    const firstOut = events.findIndex((e) => e.kind === 'out');
    let lastWrite: number | undefined;
    let outSince = true;
    for (const event of events.slice(firstOut)) {
      if (event.kind === 'out') outSince = true;
      else {
        if (lastWrite !== undefined && !outSince) expect(event.at - lastWrite).toBeGreaterThanOrEqual(250);
        lastWrite = event.at;
        outSince = false;
      }
    }
  });
});
