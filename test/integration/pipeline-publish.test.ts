import { pino } from 'pino';
import { afterEach, describe, expect, it } from 'vitest';
import { pipelineSchema, type PipelineSlice } from '../../config/schema/pipeline.ts';
import { MediaPipeline } from '../../pipeline/media/media-pipeline.ts';
import { defaultLayers, type PublishTargets } from '../../pipeline/media/targets.ts';
import { RtpSink, regionMean, toFloat32, tonePowerDb } from './pipeline-rtp-sink.ts';

const logger = pino({ level: 'silent' });
const W = 320;
const H = 180;

describe('media pipeline publishes RTP the SFU can take', () => {
  const cleanup: (() => Promise<void>)[] = [];
  afterEach(async () => {
    for (const fn of cleanup.splice(0).reverse()) await fn();
  });

  async function setUp(overrides: Partial<PipelineSlice> = {}) {
    const video = await RtpSink.open();
    const audio = await RtpSink.open();
    cleanup.push(() => video.close(), () => audio.close());
    const config = pipelineSchema.parse({
      width: W,
      height: H,
      fps: 15,
      videoBitrateKbps: 600,
      meters: false,
      audioChannels: [{ id: 'teacher', name: 'Teacher', source: { kind: 'tone', frequency: 440 } }],
      ...overrides,
    });
    const targets: PublishTargets = {
      video: video.endpoint,
      videoPayloadType: 102,
      layers: defaultLayers(W, H, 600),
      audio: audio.endpoint,
      audioPayloadType: 100,
      audioSsrc: 1111,
    };
    const pipeline = new MediaPipeline({ config, videoInputs: [], targets, logger });
    cleanup.push(() => pipeline.close());
    await pipeline.start();
    return { video, audio, pipeline, targets };
  }

  it('sends every simulcast layer from one source tuple, and each decodes', async () => {
    const { video, audio, targets } = await setUp();
    const [high, low] = targets.layers;
    const highFrames = await video.decode({ ssrc: high!.ssrc, kind: 'video', payloadType: 102, width: high!.width, height: high!.height, count: 5 });
    const lowFrames = await video.decode({ ssrc: low!.ssrc, kind: 'video', payloadType: 102, width: low!.width, height: low!.height, count: 5 });
    expect(highFrames).toHaveLength(5);
    expect(lowFrames).toHaveLength(5);
    // The test picture is colourful: the left and right thirds differ.
    const left = regionMean(highFrames[4]!, high!.width, { x: 10, y: 10, w: 40, h: 40 });
    const right = regionMean(highFrames[4]!, high!.width, { x: high!.width - 50, y: 10, w: 40, h: 40 });
    expect(Math.abs(left[0] - right[0]) + Math.abs(left[1] - right[1]) + Math.abs(left[2] - right[2])).toBeGreaterThan(30);
    // comedia: the transport would lock onto the first tuple; all layers must share it.
    expect(video.sources.size).toBe(1);
    expect(video.packets.get(high!.ssrc)).toBeGreaterThan(0);
    expect(video.packets.get(low!.ssrc)).toBeGreaterThan(0);
    expect(audio.sources.size).toBe(1);

    const samples = toFloat32(await audio.decode({ ssrc: 1111, kind: 'audio', payloadType: 100, seconds: 1 }));
    expect(tonePowerDb(samples.subarray(9600), 440)).toBeGreaterThan(-35);
    expect(tonePowerDb(samples.subarray(9600), 1000)).toBeLessThan(-60);
  });
});
