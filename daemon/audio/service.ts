import type { Logger } from 'pino';
import { ClasscastError, InvalidStateError } from '../../config/foundation/errors.ts';
import type { AudioConfig } from '../../config/schema/audio.ts';
import type { MicArray } from '../../devices/micarray/types.ts';
import type { DaemonEvent } from '../events/bus.ts';
import type { AudioChannelView, AudioControl, AudioPatch, MixControl } from './types.ts';

/** A mix channel as configured in `pipeline.audioChannels` (only what this service reads). */
export interface AudioChannelConfig {
  id: string;
  name: string;
  gainDb: number;
  muted: boolean;
}

export interface AudioServiceDeps {
  channels: readonly AudioChannelConfig[];
  config: AudioConfig;
  micArrays: Iterable<MicArray>;
  mix: MixControl;
  bus: { publish(event: DaemonEvent): void };
  logger: Logger;
}

interface Binding {
  array: MicArray;
  micChannel: number;
}

/**
 * The channels of /api/audio. A channel bound to a mic-array channel takes gain, mute and level
 * from the device; any other goes to the mixer. Publishes `audio.meters` (at most one per
 * `meterIntervalMs`), `audio.talker`, `audio.channel` and `micarray.state` on the bus.
 */
export class AudioService implements AudioControl {
  readonly #channels: readonly AudioChannelConfig[];
  readonly #bindings = new Map<string, Binding>();
  readonly #arrays = new Map<string, MicArray>();
  readonly #mix: MixControl;
  readonly #bus: AudioServiceDeps['bus'];
  readonly #logger: Logger;
  readonly #meterIntervalMs: number;
  readonly #unsubscribe: (() => void)[] = [];
  #meterTimer: NodeJS.Timeout | undefined;
  #metersDirty = false;
  #started = false;
  #closed = false;

  constructor(deps: AudioServiceDeps) {
    this.#channels = deps.channels;
    this.#mix = deps.mix;
    this.#bus = deps.bus;
    this.#logger = deps.logger.child({ component: 'audio' });
    this.#meterIntervalMs = deps.config.meterIntervalMs;
    for (const array of deps.micArrays) this.#arrays.set(array.id, array);
    const ids = new Set(this.#channels.map((c) => c.id));
    for (const b of deps.config.bindings) {
      const array = this.#arrays.get(b.micArray);
      if (!ids.has(b.channel)) throw new ClasscastError('CONFIG_INVALID', `audio.bindings: no audio channel "${b.channel}"`);
      if (!array) throw new ClasscastError('CONFIG_INVALID', `audio.bindings: no mic array "${b.micArray}"`);
      if (b.micChannel > array.channelCount) {
        throw new ClasscastError('CONFIG_INVALID', `audio.bindings: ${b.micArray} has no channel ${b.micChannel}`);
      }
      this.#bindings.set(b.channel, { array, micChannel: b.micChannel });
    }
  }

  /** Subscribes to the mic arrays (they are started by whoever owns them). */
  start(): void {
    this.#assertOpen();
    if (this.#started) return;
    this.#started = true;
    for (const array of this.#arrays.values()) {
      const onMeters = () => this.#onMeters();
      const onTalkers = (talkers: readonly number[]) => this.#onTalkers(array, talkers);
      const onState = (state: string, previous: string) =>
        this.#bus.publish({ type: 'micarray.state', micArray: array.id, state, previous });
      const onChannel = () => {
        for (const [id, b] of this.#bindings) if (b.array === array) this.#publishChannel(id);
      };
      array.on('meters', onMeters);
      array.on('talkers', onTalkers);
      array.on('state', onState);
      array.on('channel', onChannel);
      this.#unsubscribe.push(
        () => array.off('meters', onMeters),
        () => array.off('talkers', onTalkers),
        () => array.off('state', onState),
        () => array.off('channel', onChannel),
      );
    }
  }

  list(): AudioChannelView[] {
    return this.#channels.map((c) => this.#view(c));
  }

  async update(channelId: string, patch: AudioPatch): Promise<AudioChannelView> {
    this.#assertOpen();
    const channel = this.#channels.find((c) => c.id === channelId);
    if (!channel) throw new ClasscastError('NOT_FOUND', `no audio channel "${channelId}"`);
    const binding = this.#bindings.get(channelId);
    if (binding) {
      if (patch.gainDb !== undefined) await binding.array.setGain(binding.micChannel, patch.gainDb);
      if (patch.muted !== undefined) await binding.array.setMuted(binding.micChannel, patch.muted);
    } else {
      if (patch.gainDb !== undefined) await this.#mix.setGain(channelId, patch.gainDb);
      if (patch.muted !== undefined) await this.#mix.setMuted(channelId, patch.muted);
      this.#publishChannel(channelId);
    }
    this.#logger.info({ channel: channelId, ...patch }, 'audio channel updated');
    return this.#view(channel);
  }

  close(): void {
    if (this.#closed) return;
    this.#closed = true;
    clearTimeout(this.#meterTimer);
    for (const off of this.#unsubscribe.splice(0)) off();
  }

  #assertOpen(): void {
    if (this.#closed) throw new InvalidStateError('audio service is closed');
  }

  #view(c: AudioChannelConfig): AudioChannelView {
    const binding = this.#bindings.get(c.id);
    if (!binding) {
      const { gainDb, muted } = this.#mix.channel(c.id) ?? c;
      const state = { gainDb, muted };
      const level = this.#mix.levelDb?.(c.id);
      return { id: c.id, name: c.name, ...state, levelDb: level ?? null, talking: false, control: 'mixer' };
    }
    const { array, micChannel } = binding;
    const status = array.channel(micChannel);
    const level = status.levelDb;
    return {
      id: c.id,
      name: c.name,
      gainDb: status.gainDb ?? c.gainDb,
      muted: status.muted ?? c.muted,
      levelDb: level === undefined || !Number.isFinite(level) ? null : level,
      talking: status.talking,
      control: 'micarray',
      micArray: { id: array.id, channel: micChannel, state: array.state },
    };
  }

  #publishChannel(channelId: string): void {
    const channel = this.#channels.find((c) => c.id === channelId);
    if (!channel) return;
    const { id, gainDb, muted, control } = this.#view(channel);
    this.#bus.publish({ type: 'audio.channel', channel: id, gainDb, muted, control });
  }

  /** The mixer measured new levels (mixer channels have no device to report them). */
  mixerLevelsChanged(): void {
    if (!this.#closed) this.#onMeters();
  }

  /** Leading edge at once, then at most one trailing event per interval. */
  #onMeters(): void {
    this.#metersDirty = true;
    if (this.#meterTimer) return;
    this.#publishMeters();
    const tick = () => {
      if (this.#metersDirty && !this.#closed) {
        this.#publishMeters();
        this.#meterTimer = setTimeout(tick, this.#meterIntervalMs);
      } else {
        this.#meterTimer = undefined;
      }
    };
    this.#meterTimer = setTimeout(tick, this.#meterIntervalMs);
  }

  #publishMeters(): void {
    this.#metersDirty = false;
    const channels = this.list().map((c) => ({ id: c.id, levelDb: c.levelDb }));
    this.#bus.publish({ type: 'audio.meters', channels });
  }

  #onTalkers(array: MicArray, talkers: readonly number[]): void {
    const channels = [...this.#bindings]
      .filter(([, b]) => b.array === array && talkers.includes(b.micChannel))
      .map(([id]) => id);
    this.#bus.publish({ type: 'audio.talker', micArray: array.id, zones: [...talkers], channels });
  }
}
