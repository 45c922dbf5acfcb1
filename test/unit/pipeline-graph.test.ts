import { describe, expect, it } from 'vitest';
import { LAYOUTS, pipelineSchema, type PipelineSlice } from '../../config/schema/pipeline.ts';
import { alsaInput, buildPictureGraph, escapeFilterValue, wallClockShift, type InputSpec, type VideoSlots } from '../../pipeline/media/graph.ts';
import { BACKGROUND, layoutSteps, OVERLAYS, overlaySize, overlayY, placeLayout, scaleSize, type OverlayName } from '../../pipeline/media/layouts.ts';
import { assignCameras, directSlots } from '../../pipeline/media/picture-ingest.ts';
import { meterParser, parseMeterLine } from '../../pipeline/media/meters.ts';
import { buildSoundGraph, SILENT_CLOCK, volumeOf, type SoundGraphOptions } from '../../pipeline/media/sound-graph.ts';

const canvas = { width: 1280, height: 720 };
const layers = [canvas, { width: 640, height: 360 }];

function config(input: Record<string, unknown> = {}): PipelineSlice {
  return pipelineSchema.parse({ width: 1280, height: 720, fps: 25, ...input });
}

const PUMPED: InputSpec = { url: 'unix:///w/audio.sock', options: ['-f', 'f32le'] };

/** The compositor's graph as MediaPipeline builds it, with the cameras of `slots`. */
function graph(cfg: PipelineSlice, slots?: Partial<VideoSlots>, layout = cfg.layout) {
  return buildPictureGraph({ config: cfg, slots: { ...directSlots(cfg)([]), ...slots }, layout, layers, controlAddress: 'ipc:///tmp/x/control.sock' });
}

/** The mixer's graph as MediaPipeline builds it: every channel but ALSA read from the AudioPump, in order. */
function sound(cfg: PipelineSlice, options: Partial<SoundGraphOptions> = {}) {
  const pumped = cfg.audioChannels.filter((c) => c.source.kind !== 'alsa');
  return buildSoundGraph({
    config: cfg,
    mix: new Map(cfg.audioChannels.map((c) => [c.id, { gainDb: c.gainDb, muted: c.muted }])),
    controlAddress: 'ipc:///tmp/x/mix.sock',
    ...(pumped.length > 0 ? { pumpedAudio: { input: PUMPED, positions: new Map(pumped.map((c, i) => [c.id, i])) } } : {}),
    ...options,
  });
}

const tone = (id: string, role: string, frequency = 440, extra: Record<string, unknown> = {}) => ({ id, name: id, role, source: { kind: 'tone', frequency }, ...extra });

describe('layouts', () => {
  const visible = (layout: (typeof LAYOUTS)[number]) =>
    Object.entries(placeLayout(layout, canvas).overlays)
      .filter(([, x]) => x < canvas.width)
      .map(([name]) => name)
      .sort();

  it('places each layout as a background and visible overlays', () => {
    expect(placeLayout('teacher', canvas).background).toBe(BACKGROUND.teacher);
    expect(visible('teacher')).toEqual([]);
    expect(placeLayout('students', canvas).background).toBe(BACKGROUND.students);
    expect(visible('students')).toEqual([]);
    expect(placeLayout('pip', canvas).background).toBe(BACKGROUND.teacher);
    expect(visible('pip')).toEqual(['si']);
    expect(placeLayout('side-by-side', canvas).background).toBe(BACKGROUND.black);
    expect(visible('side-by-side')).toEqual(['sh', 'th']);
    expect(placeLayout('side-by-side', canvas).overlays).toMatchObject({ th: 0, sh: 640 });
    expect(placeLayout('courseware', canvas).background).toBe(BACKGROUND.courseware);
    expect(visible('courseware')).toEqual(['ti']);
  });

  it('keeps insets inside the canvas and halves centred', () => {
    const pip = placeLayout('pip', canvas);
    expect(pip.overlays.si + 320).toBeLessThanOrEqual(1280);
    expect(overlayY('si', canvas) + 180).toBeLessThanOrEqual(720);
    expect(overlayY('th', canvas)).toBe(180);
  });

  it('switches with only the commands that change something', () => {
    expect(layoutSteps(canvas, placeLayout('teacher', canvas), placeLayout('pip', canvas))).toEqual([['overlay@si x 1280'], ['scale@si w iw', 'scale@si h ih']]);
    expect(layoutSteps(canvas, placeLayout('side-by-side', canvas), placeLayout('teacher', canvas))).toEqual([
      ['scale@th w 640', 'scale@th h 360', 'scale@sh w 640', 'scale@sh h 360'],
      ['overlay@th x 0', 'overlay@sh x 640', `streamselect@bg map ${BACKGROUND.black}`],
    ]);
    expect(layoutSteps(canvas, placeLayout('pip', canvas), placeLayout('pip', canvas))).toEqual([]);
    // From nothing: every overlay's scale, every position and the background.
    expect(layoutSteps(canvas, placeLayout('pip', canvas)).flat()).toHaveLength(4 * 2 + 5);
  });

  it.each(LAYOUTS.flatMap((from) => LAYOUTS.filter((to) => to !== from).map((to) => [from, to] as const)))(
    'keeps every frame whole from %s to %s: a scale takes its size before its overlay comes on, and stops after it leaves',
    (from, to) => {
      const steps = layoutSteps(canvas, placeLayout(to, canvas), placeLayout(from, canvas));
      // The overlays' positions and their scales' sizes, replayed command by command.
      const x = { ...placeLayout(from, canvas).overlays };
      const size = Object.fromEntries(OVERLAYS.map((name) => [name, scaleSize(placeLayout(from, canvas), name, canvas)])) as Record<OverlayName, { w: string; h: string }>;
      const whole = () => {
        for (const name of OVERLAYS) {
          if (x[name] >= canvas.width) continue;
          const want = overlaySize(name, canvas);
          expect(size[name], `${name} on the canvas`).toEqual({ w: String(want.width), h: String(want.height) });
        }
      };
      for (const step of steps) {
        // Checked after every single command: the commands of one step may land a frame apart.
        for (const command of step) {
          const [target, key, value] = command.split(' ') as [string, string, string];
          const name = target.split('@')[1] as OverlayName;
          if (target.startsWith('overlay@')) x[name] = Number(value);
          if (target.startsWith('scale@')) size[name] = { ...size[name], [key]: value };
          whole();
        }
      }
      expect(x).toEqual(placeLayout(to, canvas).overlays);
      for (const name of OVERLAYS) expect(size[name]).toEqual(scaleSize(placeLayout(to, canvas), name, canvas));
    },
  );
});

describe('graph builder', () => {
  it('uses a paced test picture and slates without cameras', () => {
    const plan = graph(config());
    expect(plan.inputs).toEqual([{ url: 'testsrc2=s=1280x720:r=25', options: ['-re', '-f', 'lavfi'] }]);
    expect(plan.filter).toContain('color=c=0x1d2b3a:s=1280x720:r=25');
    expect(plan.filter).not.toMatch(/anullsrc|amix|volume@/);
    expect(plan.videoLabels).toEqual(['vout0', 'vout1']);
    expect(plan.filter).toContain('[vl1]scale=640:360');
  });

  it.each(LAYOUTS)('builds layout %s into the initial overlay positions and background', (layout) => {
    const plan = graph(config({ layout }), undefined, layout);
    const placement = placeLayout(layout, canvas);
    expect(plan.filter).toContain(`streamselect@bg=inputs=4:map=${placement.background}`);
    for (const [name, x] of Object.entries(placement.overlays)) {
      expect(plan.filter).toContain(`overlay@${name}=x=${x}:y=`);
      // Only a shown overlay's picture is scaled; a hidden one passes untouched.
      const { w, h } = scaleSize(placement, name as OverlayName, canvas);
      expect(plan.filter).toContain(`scale@${name}=w=${w}:h=${h}:`);
      expect(w === 'iw').toBe(x >= canvas.width);
    }
  });

  it('reads cameras as inputs, and escapes the control address', () => {
    const cfg = config({ audioChannels: [tone('t1', 'teacher')] });
    const slots = directSlots(cfg)([
      { id: 'cam-a', url: 'rtsp://127.0.0.1:8554/a' },
      { id: 'cam-b', url: 'rtsp://127.0.0.1:8554/b' },
    ]);
    const plan = graph(cfg, slots);
    expect(plan.inputs.map((i) => i.url)).toEqual(['rtsp://127.0.0.1:8554/a', 'rtsp://127.0.0.1:8554/b']);
    expect(plan.inputs[0]!.options).toContain('udp');
    expect(plan.filter).toContain('[0:v:0]fps=25');
    expect(plan.filter).toContain('[1:v:0]fps=25');
    expect(plan.filter).toContain('zmq=b=ipc\\\\:///tmp/x/control.sock');
  });

  it('takes courseware from config before a blackboard camera', () => {
    const cfg = config({ courseware: { kind: 'file', path: '/srv/slides.mp4' } });
    const slots = directSlots(cfg)([{ id: 'board', url: 'rtsp://h/board', role: 'blackboard' }]);
    expect(slots.courseware).toEqual({ kind: 'input', input: { url: '/srv/slides.mp4', options: ['-re', '-stream_loop', '-1'] } });
    const boardOnly = directSlots(config())([{ id: 'board', url: 'rtsp://h/board', role: 'blackboard' }]);
    expect(boardOnly.courseware).toMatchObject({ kind: 'input', input: { url: 'rtsp://h/board' } });
  });

  it('assigns cameras by configured id, then by role, then by order', () => {
    const inputs = [
      { id: 'a', url: 'u1', role: 'students' },
      { id: 'b', url: 'u2', role: 'teacher' },
      { id: 'c', url: 'u3' },
    ];
    expect(assignCameras(config(), inputs)).toMatchObject({ teacher: { id: 'b' }, students: { id: 'a' } });
    expect(assignCameras(config({ cameraRoles: { teacher: 'c', students: 'b' } }), inputs)).toMatchObject({ teacher: { id: 'c' }, students: { id: 'b' } });
    expect(assignCameras(config(), [{ id: 'x', url: 'u' }, { id: 'y', url: 'v' }])).toMatchObject({ teacher: { id: 'x' }, students: { id: 'y' } });
  });

  it('gives each channel a named gain with its mute folded in', () => {
    const cfg = config({ meters: false, audioChannels: [tone('t1', 'teacher', 440, { gainDb: -6 }), tone('s1', 'student', 1000, { muted: true })] });
    const plan = sound(cfg);
    expect(plan.filter).toContain(`volume@g_t1=volume=${volumeOf(-6, false)}`);
    expect(plan.filter).toContain('volume@g_s1=volume=0:');
    expect(plan.filter).toContain('[ch_t1][ch_s1]amix=inputs=2:normalize=0');
    expect(plan.filter).not.toContain('sidechaincompress');
    expect(plan.filter).not.toContain('astats');
  });

  it('ducks the students under the teacher when asked', () => {
    const cfg = config({
      meters: false,
      ducking: { enabled: true, thresholdDb: -20, ratio: 8 },
      audioChannels: [tone('t1', 'teacher'), tone('t2', 'teacher', 550), tone('s1', 'student', 1000), tone('omni', 'room', 300)],
    });
    const plan = sound(cfg);
    expect(plan.filter).toContain('[ch_t1][ch_t2]amix=inputs=2:normalize=0:duration=longest[bus_teacher]');
    expect(plan.filter).toContain('[bus_teacher]asplit=2[bus_teacher_main][bus_teacher_sc]');
    expect(plan.filter).toContain('[ch_s1][bus_teacher_sc]sidechaincompress@duck=threshold=0.100000:ratio=8');
    expect(plan.filter).toContain('[bus_teacher_main][bus_student_ducked][ch_omni]amix=inputs=3:normalize=0');
  });

  it('does not duck without a teacher', () => {
    const plan = sound(config({ ducking: { enabled: true }, audioChannels: [tone('s1', 'student')] }));
    expect(plan.filter).not.toContain('sidechaincompress');
    expect(plan.filter).toContain('[ch_s1]anull[aprogram]');
  });

  it('mixes the sound apart from the pictures, with a control filter of its own on the program', () => {
    const plan = sound(config({ audioChannels: [tone('t1', 'teacher')] }));
    expect(plan.inputs).toEqual([PUMPED]);
    expect(plan.audioLabel).toBe('aout');
    expect(plan.filter).toContain('[aprogram]azmq=b=ipc\\\\:///tmp/x/mix.sock[aout]');
    expect(plan.filter).not.toMatch(/overlay|scale|\bzmq=/);
  });

  it('paces silence by a real-time input when no channel has a source', () => {
    for (const cfg of [config(), config({ audioChannels: [{ id: 'gone', name: 'Gone', role: 'teacher', source: { kind: 'camera', camera: 'cam-x' } }] })]) {
      const plan = buildSoundGraph({ config: cfg, mix: new Map(), controlAddress: 'ipc:///tmp/x/mix.sock' });
      expect(plan.inputs).toEqual([SILENT_CLOCK]);
      expect(SILENT_CLOCK.options).toContain('-re');
      expect(plan.filter).toContain('[aprogram][0:a:0]amix=inputs=2:normalize=0:duration=shortest[aclocked]');
      expect(plan.filter).toContain('[aclocked]azmq=');
    }
    // With an input, nothing extra.
    expect(sound(config({ audioChannels: [tone('t1', 'teacher')] })).inputs).not.toContainEqual(SILENT_CLOCK);
  });

  it('meters each channel after its gain', () => {
    const plan = sound(config({ audioChannels: [tone('t1', 'teacher')] }));
    expect(plan.filter).toContain('asplit=2[ch_t1][mt_t1]');
    expect(plan.filter).toContain('ametadata@m_t1=mode=print:key=lavfi.astats.Overall.RMS_level,anullsink');
  });

  it('reads every channel but ALSA from the AudioPump, split once and panned out', () => {
    const cfg = config({
      meters: false,
      audioChannels: [tone('t1', 'teacher'), { id: 'mic', name: 'Mic', role: 'student', source: { kind: 'alsa', device: 'hw:1,0' } }, tone('s1', 'student', 1000)],
    });
    const plan = sound(cfg);
    const index = plan.inputs.indexOf(PUMPED);
    expect(plan.inputs.filter((i) => i === PUMPED)).toHaveLength(1);
    expect(plan.filter).toContain(`[${index}:a:0]asplit=2[pa_t1][pa_s1]`);
    expect(plan.filter).toContain('[pa_t1]pan=mono|c0=c0[pm_t1]');
    expect(plan.filter).toContain('[pa_s1]pan=mono|c0=c1[pm_s1]');
    expect(plan.inputs).toContainEqual(alsaInput('hw:1,0'));
    expect(alsaInput('hw:1,0')).toEqual({ url: 'hw:1,0', options: ['-f', 'alsa', '-thread_queue_size', '1024'] });
  });

  it('reads picture slots as rows of one stacked input, opened once', () => {
    const stacked: InputSpec = { url: 'unix:///w/frames.sock', options: ['-f', 'rawvideo'] };
    const plan = graph(config(), {
      teacher: { kind: 'row', input: stacked, row: 0, height: 360 },
      students: { kind: 'row', input: stacked, row: 1, height: 360 },
      courseware: { kind: 'row', input: stacked, row: 2, height: 360 },
    });
    expect(plan.inputs.filter((i) => i === stacked)).toHaveLength(1);
    const index = plan.inputs.indexOf(stacked);
    expect(plan.filter).toContain(`[${index}:v:0]fps=25,split=3[row_teacher][row_students][row_courseware]`);
    expect(plan.filter).toContain('[row_students]crop=iw:360:0:360,scale=1280:720');
    expect(plan.filter).toContain('[row_courseware]crop=iw:360:0:720,scale=1280:720');
  });

  it('keeps a timed stacked input as it is, and cuts slates and black from it, so keyframe flags reach the encoders', () => {
    const stacked: InputSpec = { url: 'unix:///w/frames.sock', options: ['-f', 'matroska'], timed: true };
    const plan = graph(config(), {
      teacher: { kind: 'row', input: stacked, row: 0, height: 360 },
      students: { kind: 'row', input: stacked, row: 1, height: 360 },
      courseware: { kind: 'slate', color: '0x2b3a1d' },
    });
    expect(plan.keyframeFlags).toBe(true);
    expect(plan.filter).not.toMatch(/fps=|color=c=/);
    const index = plan.inputs.indexOf(stacked);
    expect(plan.filter).toContain(`[${index}:v:0]split=3[row_teacher][row_students][flats]`);
    expect(plan.filter).toContain('[flats]split=2[flat_0][flat_1]');
    expect(plan.filter).toMatch(/\[flat_\d\]crop=2:2:0:0,pad=1280:720:0:0:color=0x2b3a1d,drawbox=x=0:y=0:w=2:h=2:color=0x2b3a1d:t=fill,format=yuv420p\[src_courseware\]/);
    expect(plan.filter).toMatch(/\[flat_\d\]crop=2:2:0:0,pad=1280:720:0:0:color=black,.*\[black\]/);

    // Anything that is not from the pump (a generated picture) needs its own grid: no flags.
    const mixed = graph(config(), {
      teacher: { kind: 'row', input: stacked, row: 0, height: 360 },
      students: { kind: 'row', input: stacked, row: 1, height: 360 },
      courseware: { kind: 'generated', lavfi: 'testsrc2=s=1280x720:r=25' },
    });
    expect(mixed.keyframeFlags).toBe(false);
    expect(mixed.filter).toContain('color=c=black');
  });

  it("reads cameras' own microphones from the pump, two channels may share one camera", () => {
    const pumped: InputSpec = { url: 'unix:///w/audio.sock', options: ['-f', 'f32le', '-ac', '2'] };
    const cfg = config({
      audioChannels: [
        { id: 'front', name: 'Front', role: 'teacher', source: { kind: 'camera', camera: 'cam-a' } },
        { id: 'back', name: 'Back', role: 'student', source: { kind: 'camera', camera: 'cam-b' } },
        { id: 'again', name: 'Again', role: 'room', source: { kind: 'camera', camera: 'cam-a' } },
        { id: 'gone', name: 'Gone', role: 'student', source: { kind: 'camera', camera: 'cam-x' } },
      ],
    });
    const plan = sound(cfg, { mix: new Map(), pumpedAudio: { input: pumped, positions: new Map([['front', 1], ['back', 0], ['again', 1]]) }, originMs: 1_700_000_000_250 });
    const index = plan.inputs.indexOf(pumped);
    expect(plan.inputs.filter((i) => i === pumped)).toHaveLength(1);
    expect(plan.filter).toContain(`[${index}:a:0]asplit=3[pa_front][pa_back][pa_again]`);
    expect(plan.filter).toContain('[pa_front]pan=mono|c0=c1[pm_front]');
    expect(plan.filter).toContain('[pa_back]pan=mono|c0=c0[pm_back]');
    expect(plan.filter).toContain('[pa_again]pan=mono|c0=c1[pm_again]');
    // A camera the classroom does not have: a silent channel, not a broken graph.
    expect(plan.filter).toContain('anullsrc=r=48000:cl=mono[nosrc_gone]');
    expect(plan.copyts).toBe(true);
  });

  it('puts wall-clock inputs on the start\'s clock', () => {
    expect(wallClockShift(undefined)).toEqual([]);
    expect(wallClockShift(1_700_000_000_250)).toEqual(['-itsoffset', '-1700000000.250']);
    expect(alsaInput('hw:1,0', 1_700_000_000_250).options).toEqual([
      '-f', 'alsa', '-thread_queue_size', '1024', '-itsoffset', '-1700000000.250',
    ]);
    expect(graph(config()).copyts).toBe(false);
    expect(graph(config()).originMs).toBeUndefined();
    expect(sound(config(), { originMs: 1_700_000_000_250 })).toMatchObject({ copyts: true, originMs: 1_700_000_000_250 });
  });

  it('converts gains and escapes filter values', () => {
    expect(volumeOf(0, false)).toBe(1);
    expect(volumeOf(-20, false)).toBeCloseTo(0.1, 6);
    expect(volumeOf(6, true)).toBe(0);
    expect(escapeFilterValue('tcp://h:5')).toBe('tcp\\\\://h\\\\:5');
  });
});

describe('meter lines', () => {
  it('reads a channel level from ametadata output and ignores the rest', () => {
    const state = meterParser();
    expect(parseMeterLine(state, '[ametadata@m_teacher-1 @ 0x55d0c0] lavfi.astats.Overall.RMS_level=-23.456')).toEqual({ channelId: 'teacher-1', rmsDb: -23.456 });
    expect(parseMeterLine(state, '[ametadata@m_s1 @ 0x1] lavfi.astats.Overall.RMS_level=-inf')).toEqual({ channelId: 's1', rmsDb: -120 });
    expect(parseMeterLine(state, '[ametadata@m_s1 @ 0x1] frame:3    pts:36000   pts_time:0.75')).toBeUndefined();
    expect(parseMeterLine(state, 'frame=  10 fps=0.0')).toBeUndefined();
  });

  it('takes only the last frame of each run of twelve, per channel', () => {
    const state = meterParser();
    const readings: number[] = [];
    for (let n = 0; n < 36; n += 1) {
      for (const channel of ['a', 'b']) {
        expect(parseMeterLine(state, `[ametadata@m_${channel} @ 0x1] frame:${n}    pts:${n * 1024}   pts_time:0`)).toBeUndefined();
        const reading = parseMeterLine(state, `[ametadata@m_${channel} @ 0x1] lavfi.astats.Overall.RMS_level=-${n}.5`);
        if (reading && channel === 'a') readings.push(reading.rmsDb);
      }
    }
    expect(readings).toEqual([-11.5, -23.5, -35.5]);
  });
});

describe('layers from config', () => {
  it('makes a high layer and a low one with the same aspect, or just one', async () => {
    const { pipelineLayers } = await import('../../pipeline/media/targets.ts');
    expect(pipelineLayers(config({ videoBitrateKbps: 1800 }))).toEqual([
      { rid: 'h', ssrc: 0x22220001, width: 1280, height: 720, bitrateKbps: 1800 },
      { rid: 'l', ssrc: 0x22220002, width: 640, height: 360, bitrateKbps: 400 },
    ]);
    expect(pipelineLayers(config({ lowLayer: { enabled: false } }))).toHaveLength(1);
  });
});

describe('talk-back mix-minus', () => {
  /** The channels whose sound reaches each output label, traced back through the filter chains. */
  function sourcesOf(filter: string): (label: string) => Set<string> {
    const producers = new Map<string, string[]>();
    for (const chain of filter.split(';')) {
      const inputs = [...chain.matchAll(/^((?:\[[^\]]+\])+)/g)].flatMap((m) => [...m[1]!.matchAll(/\[([^\]]+)\]/g)].map((x) => x[1]!));
      const outputs = [...(/((?:\[[^\]]+\])+)$/.exec(chain)?.[1] ?? '').matchAll(/\[([^\]]+)\]/g)].map((x) => x[1]!);
      for (const out of outputs) producers.set(out, inputs);
    }
    const trace = (label: string, seen = new Set<string>()): Set<string> => {
      const channel = /^pa_(.+)$/.exec(label);
      if (channel) return new Set([channel[1]!]);
      if (seen.has(label)) return new Set();
      seen.add(label);
      return new Set((producers.get(label) ?? []).flatMap((input) => [...trace(input, seen)]));
    };
    return (label) => trace(label);
  }

  const talkbackGraph = (places: string[], speakers: boolean) => {
    const cfg = config({ audioChannels: [tone('teacher', 'teacher', 440), tone('room', 'room', 880)] });
    const positions = new Map([...cfg.audioChannels.map((c, i) => [c.id, i] as const), ...places.map((id, i) => [id, cfg.audioChannels.length + i] as const)]);
    return sound(cfg, { mix: new Map(), pumpedAudio: { input: PUMPED, positions }, talkback: places, speakers });
  };

  it('gives each place the program without its own room, and the speakers the rooms alone', () => {
    const plan = talkbackGraph(['talkback-1', 'talkback-2', 'talkback-3'], true);
    const reach = sourcesOf(plan.filter);
    expect([...reach(plan.audioLabel)].sort()).toEqual(['room', 'talkback-1', 'talkback-2', 'talkback-3', 'teacher']);
    expect(plan.minusLabels).toHaveLength(3);
    expect([...reach(plan.minusLabels[0]!)].sort()).toEqual(['room', 'talkback-2', 'talkback-3', 'teacher']);
    expect([...reach(plan.minusLabels[1]!)].sort()).toEqual(['room', 'talkback-1', 'talkback-3', 'teacher']);
    expect([...reach(plan.minusLabels[2]!)].sort()).toEqual(['room', 'talkback-1', 'talkback-2', 'teacher']);
    expect([...reach(plan.frontLabel!)].sort()).toEqual(['talkback-1', 'talkback-2', 'talkback-3']);
    // Every split copy is used exactly once (ffmpeg refuses a graph with a dangling pad).
    const chains = plan.filter.split(';');
    for (const copy of plan.filter.match(/\[(?:fm|tb\d)_\d+\]/g) ?? []) expect(chains.filter((c) => c.includes(copy))).toHaveLength(2);
  });

  it('has one place and no speakers output unless asked for, and is the plain mix without talk-back', () => {
    const plan = talkbackGraph(['talkback-1'], false);
    const reach = sourcesOf(plan.filter);
    expect(plan.frontLabel).toBeUndefined();
    expect([...reach(plan.minusLabels[0]!)].sort()).toEqual(['room', 'teacher']);
    expect([...reach(plan.audioLabel)].sort()).toEqual(['room', 'talkback-1', 'teacher']);
    const plain = talkbackGraph([], false);
    expect(plain.minusLabels).toEqual([]);
    expect(plain.filter).not.toContain('talkback');
  });
});
