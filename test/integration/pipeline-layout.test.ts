import { pino } from 'pino';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { pipelineSchema, type Layout } from '../../config/schema/pipeline.ts';
import { MediaPipeline } from '../../pipeline/media/media-pipeline.ts';
import { defaultLayers } from '../../pipeline/media/targets.ts';
import { FakeCamera } from './pipeline-fake-camera.ts';
import { RtpSink, regionMean, waitUntil } from './pipeline-rtp-sink.ts';

const logger = pino({ level: 'silent' });
const W = 320;
const H = 180;
const layers = defaultLayers(W, H, 500);

type Colour = 'red' | 'blue' | 'green' | 'black' | 'slate' | 'other';
function colour([r, g, b]: [number, number, number]): Colour {
  if (r > 180 && g < 70 && b < 70) return 'red';
  if (b > 180 && r < 70 && g < 70) return 'blue';
  if (g > 100 && r < 70 && b < 70) return 'green';
  if (r < 25 && g < 25 && b < 25) return 'black';
  if (Math.abs(r - 43) < 20 && Math.abs(g - 58) < 20 && Math.abs(b - 29) < 20) return 'slate';
  return 'other';
}

const REGIONS = {
  left: { x: 20, y: 70, w: 40, h: 40 },
  right: { x: 260, y: 50, w: 40, h: 40 },
  top: { x: 140, y: 10, w: 40, h: 20 },
  inset: { x: 250, y: 140, w: 20, h: 20 },
};

describe('layouts and camera loss, with real cameras over RTSP', () => {
  let red: FakeCamera;
  let blue: FakeCamera;
  /** A third camera (a second students' camera at the back, say): no role of its own. */
  let green: FakeCamera;
  let sink: RtpSink;
  let audio: RtpSink;
  let pipeline: MediaPipeline;

  beforeAll(async () => {
    [red, blue, green] = await Promise.all([
      FakeCamera.start({ id: 'cam-red', color: 'red', width: W, height: H, fps: 15, logger }),
      FakeCamera.start({ id: 'cam-blue', color: 'blue', width: W, height: H, fps: 15, logger }),
      FakeCamera.start({ id: 'cam-green', color: 'green', width: W, height: H, fps: 15, logger }),
    ]);
    sink = await RtpSink.open();
    audio = await RtpSink.open();
    const config = pipelineSchema.parse({ width: W, height: H, fps: 15, videoBitrateKbps: 500, keyframeIntervalMs: 1000, layout: 'teacher', cameraLossMs: 600, meters: false });
    pipeline = new MediaPipeline({
      config,
      videoInputs: [
        { id: 'cam-red', url: red.url, role: 'teacher' },
        { id: 'cam-blue', url: blue.url, role: 'students' },
        { id: 'cam-green', url: green.url },
      ],
      targets: { video: sink.endpoint, videoPayloadType: 102, layers, audio: audio.endpoint, audioPayloadType: 100, audioSsrc: 1111 },
      logger,
    });
    await pipeline.start();
    // Every camera's first frames reached the compositor.
    await waitUntil(() => pipeline.cameras().length === 3 && pipeline.cameras().every((c) => c.state === 'online'), 20_000, 'every camera online');
  });

  afterAll(async () => {
    await pipeline?.close();
    await Promise.all([sink?.close(), audio?.close(), red?.close(), blue?.close(), green?.close()]);
  });

  async function picture(): Promise<Record<keyof typeof REGIONS, Colour>> {
    const frames = await sink.decode({ ssrc: layers[0]!.ssrc, kind: 'video', payloadType: 102, width: W, height: H, count: 2 });
    const frame = frames[1]!;
    const entries = Object.entries(REGIONS).map(([name, region]) => [name, colour(regionMean(frame, W, region))]);
    return Object.fromEntries(entries) as Record<keyof typeof REGIONS, Colour>;
  }

  /** Decodes until the picture matches (a switch lands within a frame; decoding starts at a keyframe). */
  async function expectPicture(want: Partial<Record<keyof typeof REGIONS, Colour>>, timeoutMs = 15_000): Promise<void> {
    const deadline = Date.now() + timeoutMs;
    let seen: Record<string, Colour> = {};
    while (Date.now() < deadline) {
      seen = await picture();
      if (Object.entries(want).every(([k, v]) => seen[k] === v)) return;
    }
    expect(seen).toMatchObject(want);
  }

  const cases: [Layout, Partial<Record<keyof typeof REGIONS, Colour>>][] = [
    ['teacher', { left: 'red', right: 'red', inset: 'red' }],
    ['students', { left: 'blue', right: 'blue', inset: 'blue' }],
    ['pip', { left: 'red', top: 'red', inset: 'blue' }],
    ['side-by-side', { left: 'red', right: 'blue', top: 'black' }],
    ['courseware', { left: 'slate', top: 'slate', inset: 'red' }],
  ];

  it('switches every layout live, without restarting the encoder', async () => {
    const pid = pipeline.encoderPid;
    const before = sink.packets.get(layers[0]!.ssrc) ?? 0;
    for (const [layout, want] of cases) {
      await pipeline.setLayout(layout);
      await expectPicture(want);
    }
    expect(pipeline.encoderPid).toBe(pid);
    expect(pipeline.encoderState).toBe('running');
    expect(sink.packets.get(layers[0]!.ssrc)!).toBeGreaterThan(before);
  });

  it('puts a third camera on program: alone, and in any layout beside another camera', async () => {
    const pid = pipeline.encoderPid;
    expect(pipeline.sources).toEqual(['cam-red', 'cam-blue', 'cam-green']);
    // A cut to it: it takes the second place and fills the screen.
    expect(await pipeline.cut('cam-green')).toEqual({ layout: 'students', main: 'cam-red', second: 'cam-green' });
    await expectPicture({ left: 'green', right: 'green', inset: 'green' });
    // The teacher with it inset; then it beside the students' camera.
    await pipeline.setLayout('pip');
    await expectPicture({ left: 'red', top: 'red', inset: 'green' });
    await pipeline.setProgram({ layout: 'side-by-side', main: 'cam-green', second: 'cam-blue' });
    await expectPicture({ left: 'green', right: 'blue', top: 'black' });
    // A cut to a camera already in a place shows that place full.
    expect(await pipeline.cut('cam-blue')).toEqual({ layout: 'students', main: 'cam-green', second: 'cam-blue' });
    await expectPicture({ left: 'blue', right: 'blue' });
    // An unknown source or layout changes nothing.
    await expect(pipeline.setProgram({ main: 'cam-nobody', layout: 'pip' })).rejects.toMatchObject({ code: 'NOT_FOUND' });
    await expect(pipeline.setProgram({ layout: 'mosaic' as Layout })).rejects.toMatchObject({ code: 'BAD_REQUEST' });
    expect(pipeline.program).toEqual({ layout: 'students', main: 'cam-green', second: 'cam-blue' });
    expect(pipeline.encoderPid).toBe(pid);
    await pipeline.setProgram({ layout: 'teacher', main: 'cam-red', second: 'cam-blue' });
    await expectPicture({ left: 'red', right: 'red' });
  });

  it('shows the other camera while one is lost, and switches back when it returns', async () => {
    await pipeline.setLayout('side-by-side');
    await expectPicture({ left: 'red', right: 'blue' });
    const pid = pipeline.encoderPid;
    const lost = pipeline.next('camera', 10_000);
    await red.unplug();
    expect(await lost).toEqual(['cam-red', 'offline']);
    await expectPicture({ left: 'blue', right: 'blue' });
    const back = pipeline.next('camera', 30_000);
    await red.plugIn();
    expect(await back).toEqual(['cam-red', 'online']);
    await expectPicture({ left: 'red', right: 'blue' });
    expect(pipeline.encoderPid).toBe(pid);
  });
});
