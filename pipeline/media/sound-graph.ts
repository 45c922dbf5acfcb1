import type { AudioChannelConfig, PipelineSlice } from '../../config/schema/pipeline.ts';
import { alsaInput, escapeFilterValue, type InputSpec } from './graph.ts';
import { METER_FRAMES } from './meters.ts';

/** The mixer's graph: its inputs, its filter, and the labels of its outputs. */
export interface SoundPlan {
  inputs: InputSpec[];
  /** Keep the inputs' timestamps as they are (they share one clock; see `originMs`). */
  copyts: boolean;
  /** The wall time (epoch ms) of timestamp 0, when the inputs share one clock. */
  originMs?: number;
  filter: string;
  /** The program's sound. */
  audioLabel: string;
  /** Per talk-back channel, in order: the program without that channel (its room's mix-minus). */
  minusLabels: string[];
  /** With talk-back channels: those channels alone, for the broadcast room's speakers. */
  frontLabel?: string;
}

export interface SoundGraphOptions {
  config: PipelineSlice;
  /** Current gains/mutes by channel id (the config's values at first start). */
  mix: Map<string, { gainDb: number; muted: boolean }>;
  /** `azmq` filter bind address, already in ffmpeg URL form (`ipc:///…`). */
  controlAddress: string;
  /**
   * Sound that comes through Node (the AudioPump): its input, and for each channel read from
   * it the position of its mono channel in the interleaved stream (two channels may share
   * one, e.g. a camera's microphone). Every kind but `alsa` is read from the pump; a channel
   * without a position is silent.
   */
  pumpedAudio?: { input: InputSpec; positions: Map<string, number> };
  /**
   * The wall time (epoch ms) this start's timestamps count from: ALSA inputs (stamped with the
   * wall clock) are shifted by it, and `-copyts` keeps every input on that one clock.
   */
  originMs?: number;
  /**
   * Talk-back channels (member classrooms on air), read from the pump like any channel (a
   * position in `pumpedAudio`; silent while nobody is on air). Each goes into the program, and
   * each gets a mix-minus output: the program without it, for the room that speaks on it.
   */
  talkback?: string[];
  /** With talk-back channels: an output of them alone for the broadcast room's speakers. */
  speakers?: boolean;
}

/**
 * With no input at all (no channel has a source here), the graph's silence would be made as
 * fast as the encoder takes it: this input paces it to the clock instead.
 */
export const SILENT_CLOCK: InputSpec = { url: 'anullsrc=r=48000:cl=stereo', options: ['-re', '-f', 'lavfi'] };

/** Linear volume for a gain in dB and a mute; what `volume@g_<id>` gets. */
export function volumeOf(gainDb: number, muted: boolean): number {
  return muted ? 0 : Number((10 ** (gainDb / 20)).toFixed(6));
}

export function gainFilterName(channelId: string): string {
  return `volume@g_${channelId}`;
}

export function meterFilterName(channelId: string): string {
  return `ametadata@m_${channelId}`;
}

/**
 * Builds the mixer's filter graph: audio channels → gain/mute → teacher, student and room
 * buses → optional ducking of students under the teacher → the program's mix, and with
 * talk-back each room's mix-minus. The sound runs in a process of its own, beside the
 * compositor's: a picture that takes long to scale or encode never holds the sound back.
 * Pure: tested without ffmpeg.
 */
export function buildSoundGraph(options: SoundGraphOptions): SoundPlan {
  const { config } = options;
  const inputs: InputSpec[] = [];
  const chains: string[] = [];
  const addInput = (input: InputSpec) => inputs.push(input) - 1;
  const audioLabel = 'aout';
  const buses: Record<AudioChannelConfig['role'], string[]> = { teacher: [], student: [], room: [] };
  const talkback = options.talkback ?? [];
  // Channels read from the AudioPump: one input, split once, each channel panned out.
  const pumped = options.pumpedAudio;
  const readers = [...config.audioChannels.map((c) => c.id), ...talkback].filter((id) => pumped?.positions.has(id));
  let pumpedIndex: number | undefined;
  const channelSource = (id: string, source: AudioChannelConfig['source'] | undefined): string => {
    const position = pumped?.positions.get(id);
    if (pumped && position !== undefined) {
      if (pumpedIndex === undefined) {
        pumpedIndex = addInput(pumped.input);
        chains.push(`[${pumpedIndex}:a:0]${readers.length > 1 ? `asplit=${readers.length}` : 'anull'}${readers.map((r) => `[pa_${r}]`).join('')}`);
      }
      chains.push(`[pa_${id}]pan=mono|c0=c${position}[pm_${id}]`);
      return `[pm_${id}]`;
    }
    if (source?.kind === 'alsa') return `[${addInput(alsaInput(source.device, options.originMs))}:a:0]`;
    // Nothing feeds it (e.g. a camera this classroom does not have): silent, not an error.
    chains.push(`anullsrc=r=48000:cl=mono[nosrc_${id}]`);
    return `[nosrc_${id}]`;
  };
  /** A channel's source through its gain (and meter): its label. */
  const channelChain = (id: string, source: AudioChannelConfig['source'] | undefined, state: { gainDb: number; muted: boolean }): string => {
    const label = `ch_${id}`;
    const pre = `${channelSource(id, source)}aformat=sample_fmts=fltp:sample_rates=48000:channel_layouts=stereo,${gainFilterName(id)}=volume=${volumeOf(state.gainDb, state.muted)}:precision=float`;
    if (config.meters) {
      chains.push(`${pre},asplit=2[${label}][mt_${id}]`);
      // astats over runs of 12 frames (~250 ms of 1024-sample frames); every frame passes on at
      // once and is printed, and meters.ts keeps the last of each run. The branch ends in a
      // sink, and ffmpeg feeds the graph for its most-behind sink first: a branch that dropped
      // frames (aselect) or collected them (asetnsamples) would hold the program's sound back.
      chains.push(
        `[mt_${id}]astats=metadata=1:reset=${METER_FRAMES}:measure_perchannel=none:measure_overall=RMS_level+Peak_level,${meterFilterName(id)}=mode=print:key=lavfi.astats.Overall.RMS_level,anullsink`,
      );
    } else {
      chains.push(`${pre}[${label}]`);
    }
    return label;
  };
  for (const channel of config.audioChannels) {
    buses[channel.role].push(channelChain(channel.id, channel.source, options.mix.get(channel.id) ?? { gainDb: channel.gainDb, muted: channel.muted }));
  }
  const bus = (labels: string[], name: string): string | undefined => {
    if (labels.length === 0) return undefined;
    if (labels.length === 1) return labels[0];
    chains.push(`${labels.map((l) => `[${l}]`).join('')}amix=inputs=${labels.length}:normalize=0:duration=longest[${name}]`);
    return name;
  };
  let teacherBus = bus(buses.teacher, 'bus_teacher');
  let studentBus = bus(buses.student, 'bus_student');
  const roomBus = bus(buses.room, 'bus_room');
  if (config.ducking.enabled && teacherBus && studentBus) {
    const d = config.ducking;
    chains.push(`[${teacherBus}]asplit=2[bus_teacher_main][bus_teacher_sc]`);
    chains.push(
      `[${studentBus}][bus_teacher_sc]sidechaincompress@duck=threshold=${(10 ** (d.thresholdDb / 20)).toFixed(6)}:ratio=${d.ratio}:attack=${d.attackMs}:release=${d.releaseMs}[bus_student_ducked]`,
    );
    teacherBus = 'bus_teacher_main';
    studentBus = 'bus_student_ducked';
  }
  const mixed = [teacherBus, studentBus, roomBus].filter((b): b is string => b !== undefined);
  /** `labels` mixed (or passed on) as `out`; nothing: silence, made inside the graph. */
  const mixTo = (labels: string[], out: string) => {
    if (labels.length === 0) chains.push(`anullsrc=r=48000:cl=stereo[${out}]`);
    else if (labels.length === 1) chains.push(`[${labels[0]}]anull[${out}]`);
    else chains.push(`${labels.map((l) => `[${l}]`).join('')}amix=inputs=${labels.length}:normalize=0:duration=longest[${out}]`);
  };
  // The program passes the control filter last: one `azmq` reaches every filter of the graph
  // (avfilter_graph_send_command on the whole graph) and applies queued commands when the
  // next frame passes, and the program's sound always flows.
  const program = 'aprogram';
  const minusLabels: string[] = [];
  let frontLabel: string | undefined;
  if (talkback.length === 0) {
    mixTo(mixed, program);
  } else {
    // Mix-minus: the program is the classroom's mix and every talk-back channel; each
    // talk-back room gets the program without its own channel (it never hears itself); the
    // broadcast room's speakers, if any, get the talk-back channels alone (its own microphones
    // must not come out of its speakers).
    const n = talkback.length;
    const fanOut = (label: string, name: string, count: number): string[] => {
      const copies = Array.from({ length: count }, (_, i) => `${name}_${i}`);
      chains.push(`[${label}]${count > 1 ? `asplit=${count}` : 'anull'}${copies.map((c) => `[${c}]`).join('')}`);
      return copies;
    };
    mixTo(mixed, 'front_mix');
    const room = fanOut('front_mix', 'fm', n + 1);
    const answers = talkback.map((id, k) => fanOut(channelChain(id, undefined, options.mix.get(id) ?? { gainDb: 0, muted: false }), `tb${k}`, n + (options.speakers ? 1 : 0)));
    mixTo([room[0]!, ...answers.map((copies) => copies[0]!)], program);
    talkback.forEach((_, k) => {
      const label = `aminus_${k}`;
      // Room j's copies: 0 the program, 1…n-1 the other rooms' mix-minus, n the speakers.
      const others = answers.flatMap((copies, j) => (j === k ? [] : [copies[k < j ? k + 1 : k]!]));
      mixTo([room[k + 1]!, ...others], label);
      minusLabels.push(label);
    });
    if (options.speakers) {
      frontLabel = 'afront';
      mixTo(answers.map((copies) => copies[n]!), frontLabel);
    }
  }
  if (inputs.length === 0) {
    chains.push(`[${program}][${addInput(SILENT_CLOCK)}:a:0]amix=inputs=2:normalize=0:duration=shortest[aclocked]`);
    chains.push(`[aclocked]azmq=b=${escapeFilterValue(options.controlAddress)}[${audioLabel}]`);
  } else {
    chains.push(`[${program}]azmq=b=${escapeFilterValue(options.controlAddress)}[${audioLabel}]`);
  }

  return {
    inputs,
    copyts: options.originMs !== undefined,
    ...(options.originMs !== undefined ? { originMs: options.originMs } : {}),
    filter: chains.join(';'),
    audioLabel,
    minusLabels,
    ...(frontLabel ? { frontLabel } : {}),
  };
}
