import type { Layout, PipelineSlice } from '../../config/schema/pipeline.ts';
import { OVERLAYS, overlayY, placeLayout, scaleFilterName, scaleSize, type Canvas, type OverlayName } from './layouts.ts';

/** One ffmpeg input: `options` go before `-i url`. */
export interface InputSpec {
  url: string;
  options: string[];
  /**
   * The input's frames carry their own timestamps, one frame per program frame, on the
   * shared clock (the FramePump's Matroska stream): the graph must not retime them (no
   * `fps`), so a keyframe flag in a timestamp reaches the encoder (see keyframe-flag.ts).
   */
  timed?: boolean;
}

/** What feeds a picture slot of the compositor. */
export type VideoSlotSource =
  | { kind: 'input'; input: InputSpec }
  /** A generated picture (test pattern) paced in real time with `-re`. */
  | { kind: 'generated'; lavfi: string }
  /**
   * One row of a stacked input: the FramePump sends every slot in one tall frame, so all
   * picture slots share one input and one timeline (see frame-pump.ts).
   */
  | { kind: 'row'; input: InputSpec; row: number; height: number }
  /** A flat colour, generated inside the graph; only pulled as fast as the other inputs. */
  | { kind: 'slate'; color: string };

export interface VideoSlots {
  teacher: VideoSlotSource;
  students: VideoSlotSource;
  courseware: VideoSlotSource;
}

const SLOT_NAMES = ['teacher', 'students', 'courseware'] as const satisfies readonly (keyof VideoSlots)[];

/** The compositor's graph: its inputs, its filter, and the labels of its outputs. */
export interface PicturePlan {
  inputs: InputSpec[];
  /** Keep the inputs' timestamps as they are (they share one clock; see `originMs`). */
  copyts: boolean;
  /** The wall time (epoch ms) of timestamp 0, when the inputs share one clock. */
  originMs?: number;
  filter: string;
  /** Output labels for the encoders: video layers, highest first. */
  videoLabels: string[];
  /**
   * Every picture comes from one timed input, untouched in time: the encoders may take a
   * keyframe flag from the timestamps (`keyframeFlagExpr`).
   */
  keyframeFlags: boolean;
}

export interface PictureGraphOptions {
  config: PipelineSlice;
  slots: VideoSlots;
  layout: Layout;
  /** Sizes of the encoded layers, highest first; the first is the canvas. */
  layers: Canvas[];
  /** `zmq` filter bind address, already in ffmpeg URL form (`ipc:///…`). */
  controlAddress: string;
  /**
   * The wall time (epoch ms) this start's timestamps count from. Inputs stamped with the wall
   * clock (the FramePump's) are shifted by it and `-copyts` keeps every input on that one
   * clock, instead of each input starting at its own first packet.
   */
  originMs?: number;
}

/**
 * Builds the compositor's filter graph: picture slots → canvas with the layout's layers →
 * one output per encoded layer. The sound is mixed by a process of its own (sound-graph.ts).
 * Pure: tested without ffmpeg.
 */
export function buildPictureGraph(options: PictureGraphOptions): PicturePlan {
  const { config, slots } = options;
  const canvas = options.layers[0]!;
  const inputs: InputSpec[] = [];
  const chains: string[] = [];
  const addInput = (input: InputSpec) => inputs.push(input) - 1;
  const fps = config.fps;
  const size = (c: Canvas) => `${c.width}x${c.height}`;
  const fit = (c: Canvas) =>
    `scale=${c.width}:${c.height}:force_original_aspect_ratio=decrease:flags=fast_bilinear,pad=${c.width}:${c.height}:-1:-1,setsar=1`;

  // Rows of a stacked input: the input is read once, its frames are split and cropped per slot.
  const stacked = new Map<InputSpec, (keyof VideoSlots)[]>();
  for (const name of SLOT_NAMES) {
    const source = slots[name];
    if (source.kind === 'row') stacked.set(source.input, [...(stacked.get(source.input) ?? []), name]);
  }
  const stackedIndex = new Map<InputSpec, number>();
  // With one timed stacked input and nothing else, flat pictures (slates, the black
  // background) are cut from it too, so every picture shares its timestamps: a `color` source
  // would run on a grid of its own and the layout filters would emit at both grids' times.
  const timedInput = stacked.size === 1 && [...stacked.keys()][0]!.timed === true ? [...stacked.keys()][0]! : undefined;
  const flats = timedInput ? 1 + SLOT_NAMES.filter((n) => slots[n].kind === 'slate').length : 0;
  const keyframeFlags = timedInput !== undefined && SLOT_NAMES.every((n) => slots[n].kind === 'row' || slots[n].kind === 'slate');
  let flatCount = 0;
  const flatPicture = (color: string, label: string) => {
    if (!keyframeFlags) {
      chains.push(`color=c=${color}:s=${size(canvas)}:r=${fps},format=yuv420p[${label}]`);
      return;
    }
    stackedSource(timedInput!);
    // A 2x2 corner of the stacked frame, painted and padded: costs a fill, not a scale.
    chains.push(`[flat_${flatCount++}]crop=2:2:0:0,pad=${canvas.width}:${canvas.height}:0:0:color=${color},drawbox=x=0:y=0:w=2:h=2:color=${color}:t=fill,format=yuv420p[${label}]`);
  };

  const stackedSource = (input: InputSpec): number => {
    let index = stackedIndex.get(input);
    if (index === undefined) {
      index = addInput(input);
      stackedIndex.set(input, index);
      const outputs = [...stacked.get(input)!.map((r) => `[row_${r}]`), ...(input === timedInput && keyframeFlags ? ['[flats]'] : [])];
      const retime = input.timed ? '' : `fps=${fps},`;
      chains.push(`[${index}:v:0]${retime}${outputs.length > 1 ? `split=${outputs.length}` : 'null'}${outputs.join('')}`);
      if (outputs.includes('[flats]')) {
        chains.push(`[flats]${flats > 1 ? `split=${flats}` : 'null'}${Array.from({ length: flats }, (_, i) => `[flat_${i}]`).join('')}`);
      }
    }
    return index;
  };

  const slotSource = (name: keyof VideoSlots): string => {
    const source = slots[name];
    const label = `src_${name}`;
    if (source.kind === 'row') {
      stackedSource(source.input);
      chains.push(`[row_${name}]crop=iw:${source.height}:0:${source.row * source.height},${fit(canvas)},format=yuv420p[${label}]`);
    } else if (source.kind === 'slate') {
      flatPicture(source.color, label);
    } else {
      const index =
        source.kind === 'input' ? addInput(source.input) : addInput({ url: source.lavfi, options: ['-re', '-f', 'lavfi'] });
      chains.push(`[${index}:v:0]fps=${fps},${fit(canvas)},format=yuv420p[${label}]`);
    }
    return label;
  };

  const teacher = slotSource('teacher');
  const students = slotSource('students');
  const courseware = slotSource('courseware');
  const placement = placeLayout(options.layout, canvas);
  // Each overlay's picture is scaled from the camera by a scale of its own, which scales only
  // while the overlay is shown (see layouts.ts): hidden, it passes the frame on untouched.
  const overlayPicture = (name: OverlayName) => {
    const { w, h } = scaleSize(placement, name, canvas);
    return `${scaleFilterName(name)}=w=${w}:h=${h}:flags=fast_bilinear`;
  };
  for (const [who, src, half, inset] of [
    ['t', teacher, 'th', 'ti'],
    ['s', students, 'sh', 'si'],
  ] as const) {
    chains.push(
      `[${src}]split=3[${who}_full][${who}_h0][${who}_i0]`,
      `[${who}_h0]${overlayPicture(half)}[${who}_half]`,
      `[${who}_i0]${overlayPicture(inset)}[${who}_inset]`,
    );
  }
  flatPicture('black', 'black');
  chains.push(`[black][t_full][s_full][${courseware}]streamselect@bg=inputs=4:map=${placement.background}[bg]`);
  const overlaySource: Record<OverlayName, string> = { th: 't_half', sh: 's_half', ti: 't_inset', si: 's_inset' };
  let below = 'bg';
  for (const name of OVERLAYS) {
    const out = `ov_${name}`;
    // `repeatlast=0`: with it on, the overlay's frame sync copied the whole canvas before each
    // overlay (it keeps the main frame in case the second input's next frame comes later), four
    // copies a frame. Off, the overlay still waits for its second input's frame of the same
    // time; only after that input's end would it stop drawing it, and it ends with the graph.
    chains.push(
      `[${below}][${overlaySource[name]}]overlay@${name}=x=${placement.overlays[name]}:y=${overlayY(name, canvas)}:eval=frame:format=yuv420:repeatlast=0[${out}]`,
    );
    below = out;
  }
  // One zmq filter reaches every filter of the graph (avfilter_graph_send_command on the
  // whole graph); it applies queued commands when the next frame passes.
  const videoLabels = options.layers.map((_, i) => `vout${i}`);
  const split = options.layers.length > 1 ? `,split=${options.layers.length}${options.layers.map((_, i) => `[vl${i}]`).join('')}` : `[vl0]`;
  chains.push(`[${below}]zmq=b=${escapeFilterValue(options.controlAddress)}${split}`);
  options.layers.forEach((layer, i) => {
    chains.push(i === 0 ? `[vl0]null[${videoLabels[0]}]` : `[vl${i}]scale=${layer.width}:${layer.height}:flags=fast_bilinear[${videoLabels[i]}]`);
  });

  return {
    inputs,
    copyts: options.originMs !== undefined,
    ...(options.originMs !== undefined ? { originMs: options.originMs } : {}),
    filter: chains.join(';'),
    videoLabels,
    keyframeFlags,
  };
}

/**
 * An ALSA capture device, the one kind the mixer reads itself: ALSA stamps each period
 * with the wall clock at capture, so shifted by the start's origin it is on the shared clock.
 */
export function alsaInput(device: string, originMs?: number): InputSpec {
  return { url: device, options: ['-f', 'alsa', '-thread_queue_size', '1024', ...wallClockShift(originMs)] };
}

/**
 * RTSP input for low delay. UDP, because the camera simulator's relay (and many cameras)
 * refuse interleaved TCP; a short probe so a restart is quick; `nobuffer` so ffmpeg does not
 * hold frames for stream analysis.
 */
export function rtspInputOptions(): string[] {
  // A 720p or 1080p keyframe arrives as a burst of a hundred packets or more; the kernel's
  // default receive buffer (~200 KiB) overflows under load, and one lost packet smears the
  // picture until the camera's next keyframe. 4 MiB (the usual rmem_max) holds a burst.
  return ['-rtsp_transport', 'udp', '-buffer_size', String(4 * 1024 * 1024), '-fflags', 'nobuffer', '-flags', 'low_delay', '-probesize', '500000', '-analyzeduration', '500000', '-timeout', '5000000'];
}

/** How ffmpeg reads a camera or source URL: the low-delay RTSP options, else in real time. */
export function mediaInputOptions(url: string): string[] {
  return url.startsWith('rtsp://') ? rtspInputOptions() : ['-re'];
}

/** Input options that move an input stamped with the wall clock onto a start's clock. */
export function wallClockShift(originMs: number | undefined): string[] {
  return originMs === undefined ? [] : ['-itsoffset', `-${(originMs / 1000).toFixed(3)}`];
}

/** Escapes a filter option value for a filter_complex string (passed without a shell). */
export function escapeFilterValue(value: string): string {
  // First level: the option parser splits on ':'; second level: the graph parser eats one '\'.
  return value.replace(/\\/g, '\\\\\\\\').replace(/:/g, '\\\\:').replace(/'/g, "\\\\'");
}
