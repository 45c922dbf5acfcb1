import { TypedEmitter } from '../../../config/foundation/emitter.ts';
import type { DeviceCommand, DeviceMessage, MicArrayProtocol } from '../types.ts';

/** One step of a talker script: `zone` talks (0 = silence) for `ms`. */
export interface TalkerStep {
  zone: number;
  ms: number;
}

export interface SimulatedDeviceOptions {
  protocol: MicArrayProtocol;
  channels: number;
  /** Talkers taking turns; `[]` means no script (drive it with `setTalker`). Default: each zone in turn. */
  script?: readonly TalkerStep[];
  /** Repeat the script forever (default true). */
  loop?: boolean;
  random?: () => number;
}

export type SimulatedDeviceEvents = {
  /** An unsolicited report (talker change, meters) to send to the host. */
  message: [DeviceMessage];
  /** The talking zone changed (0 = nobody); for tests and the CLI. */
  talker: [zone: number];
};

export function defaultScript(channels: number): TalkerStep[] {
  const steps: TalkerStep[] = [];
  for (let zone = 1; zone <= channels; zone += 1) steps.push({ zone, ms: 4000 }, { zone: 0, ms: 1500 });
  return steps;
}

/**
 * The state of a simulated array: gains, mutes, device mute, meter rate, the talking zone and
 * moving meters. Protocol-independent except in how talkers are reported: Shure-style devices
 * open and close one automix gate per channel; zone-style devices report the one active zone.
 */
export class SimulatedDevice extends TypedEmitter<SimulatedDeviceEvents> {
  readonly channels: number;
  readonly #protocol: MicArrayProtocol;
  readonly #script: readonly TalkerStep[];
  readonly #loop: boolean;
  readonly #random: () => number;
  readonly gains: number[];
  readonly mutes: boolean[];
  deviceMuted = false;
  meterRateMs = 0;
  #zone = 0;
  #meterTimer: NodeJS.Timeout | undefined;
  #scriptTimer: NodeJS.Timeout | undefined;
  #step = 0;
  #running = false;

  constructor(options: SimulatedDeviceOptions) {
    super();
    this.channels = options.channels;
    this.#protocol = options.protocol;
    this.#script = options.script ?? defaultScript(options.channels);
    this.#loop = options.loop ?? true;
    this.#random = options.random ?? Math.random;
    this.gains = Array.from({ length: options.channels }, () => 0);
    this.mutes = Array.from({ length: options.channels }, () => false);
  }

  get zone(): number {
    return this.#zone;
  }

  start(): void {
    if (this.#running) return;
    this.#running = true;
    this.#step = 0;
    this.#runStep();
    this.#armMeters();
  }

  stop(): void {
    this.#running = false;
    clearTimeout(this.#scriptTimer);
    clearInterval(this.#meterTimer);
    this.#meterTimer = undefined;
  }

  /** Makes `zone` the talker (0 = silence) and reports the change as the protocol does. */
  setTalker(zone: number): void {
    if (!Number.isInteger(zone) || zone < 0 || zone > this.channels) throw new TypeError(`no zone ${zone}`);
    const previous = this.#zone;
    if (previous === zone) return;
    this.#zone = zone;
    if (this.#protocol === 'binary') {
      this.safeEmit('message', { kind: 'talkerZone', zone });
    } else {
      if (previous !== 0) this.safeEmit('message', { kind: 'talker', channel: previous, active: false });
      if (zone !== 0) this.safeEmit('message', { kind: 'talker', channel: zone, active: true });
    }
    this.safeEmit('talker', zone);
  }

  /** The replies to one host command (empty when the device stays silent). */
  handle(command: DeviceCommand): DeviceMessage[] {
    const bad = (detail: string): DeviceMessage[] => [{ kind: 'error', detail }];
    const inRange = (ch: number) => ch >= 1 && ch <= this.channels;
    switch (command.kind) {
      case 'getGain':
      case 'setGain': {
        if (!inRange(command.channel)) return bad('no such channel');
        if (command.kind === 'setGain') this.gains[command.channel - 1] = command.gainDb;
        return [{ kind: 'gain', channel: command.channel, gainDb: this.gains[command.channel - 1] ?? 0 }];
      }
      case 'getMute':
      case 'setMute': {
        if (!inRange(command.channel)) return bad('no such channel');
        if (command.kind === 'setMute') this.mutes[command.channel - 1] = command.muted;
        return [{ kind: 'mute', channel: command.channel, muted: this.mutes[command.channel - 1] ?? false }];
      }
      case 'getDeviceMute':
        return [{ kind: 'deviceMute', muted: this.deviceMuted }];
      case 'setDeviceMute':
        this.deviceMuted = command.muted;
        return [{ kind: 'deviceMute', muted: this.deviceMuted }];
      case 'setMeterRate':
        if (command.ms !== 0 && command.ms < 50) return bad('meter rate too fast');
        this.meterRateMs = command.ms;
        this.#armMeters();
        return [{ kind: 'meterRate', ms: command.ms }];
      case 'getTalkers':
        if (this.#protocol === 'binary') return [{ kind: 'talkerZone', zone: this.#zone }];
        return Array.from({ length: this.channels }, (_, i) => ({
          kind: 'talker' as const,
          channel: i + 1,
          active: this.#zone === i + 1,
        }));
    }
  }

  /** Levels now: a talker near −15 dBFS, the room near −48, a muted channel at the floor. */
  levels(): number[] {
    return Array.from({ length: this.channels }, (_, i) => {
      if (this.deviceMuted || this.mutes[i]) return -60;
      const base = this.#zone === i + 1 ? -15 : -48;
      return Math.round(base + (this.#random() - 0.5) * 8 + (this.gains[i] ?? 0));
    }).map((db) => Math.max(-60, Math.min(0, db)));
  }

  #armMeters(): void {
    clearInterval(this.#meterTimer);
    this.#meterTimer = undefined;
    if (!this.#running || this.meterRateMs === 0) return;
    this.#meterTimer = setInterval(() => this.safeEmit('message', { kind: 'meters', levels: this.levels() }), this.meterRateMs);
  }

  #runStep(): void {
    if (!this.#running || this.#script.length === 0) return;
    if (this.#step >= this.#script.length) {
      if (!this.#loop) return;
      this.#step = 0;
    }
    const step = this.#script[this.#step];
    this.#step += 1;
    if (!step) return;
    this.setTalker(Math.min(step.zone, this.channels));
    this.#scriptTimer = setTimeout(() => this.#runStep(), step.ms);
  }
}
