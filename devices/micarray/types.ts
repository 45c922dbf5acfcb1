import type { TypedEmitter } from '../../config/foundation/emitter.ts';

/** The control protocols a mic array may speak on its serial line. */
export type MicArrayProtocol = 'shure-ascii' | 'binary';

/** `online`: port open and answering; `degraded`: port open but a command timed out; `offline`: no port. */
export type MicArrayState = 'online' | 'degraded' | 'offline';

/**
 * What the host asks of the device, independent of the wire protocol. Channels are numbered
 * from 1 as on the devices' own panels; channel 0 is never a channel (protocols use it for "all").
 */
export type DeviceCommand =
  | { kind: 'getGain'; channel: number }
  | { kind: 'setGain'; channel: number; gainDb: number }
  | { kind: 'getMute'; channel: number }
  | { kind: 'setMute'; channel: number; muted: boolean }
  | { kind: 'getDeviceMute' }
  | { kind: 'setDeviceMute'; muted: boolean }
  | { kind: 'setMeterRate'; ms: number }
  | { kind: 'getTalkers' };

/** What the device reports, as a reply or unsolicited; both are handled alike. */
export type DeviceMessage =
  | { kind: 'gain'; channel: number; gainDb: number }
  | { kind: 'mute'; channel: number; muted: boolean }
  | { kind: 'deviceMute'; muted: boolean }
  | { kind: 'meterRate'; ms: number }
  /** Levels in dBFS, index 0 = channel 1. */
  | { kind: 'meters'; levels: number[] }
  /** One channel's automix gate opened or closed (per-channel talker report). */
  | { kind: 'talker'; channel: number; active: boolean }
  /** The one zone talking now; 0 = nobody (zone-style talker report). */
  | { kind: 'talkerZone'; zone: number }
  /** The device refused the last command. */
  | { kind: 'error'; detail: string };

/** One decoded frame, or bytes thrown away while looking for the next frame. */
export type FramerOutput = { frame: Buffer } | { garbage: Buffer };

/** Splits a byte stream into complete frames; keeps partial frames between pushes. */
export interface Framer {
  push(chunk: Buffer): FramerOutput[];
  /** Drops any partial frame (after a reconnect, the rest of a half frame never comes). */
  reset(): void;
}

/**
 * One wire protocol, both directions: the driver encodes commands and decodes messages; the
 * simulator decodes commands and encodes messages. Decoders return undefined for frames that
 * are well-formed but not understood, so a newer firmware's extra reports are ignored.
 */
export interface ProtocolCodec {
  readonly name: MicArrayProtocol;
  /** Gain range the protocol can carry, in dB. */
  readonly gainRangeDb: readonly [number, number];
  createFramer(): Framer;
  encodeCommand(command: DeviceCommand): Buffer;
  decodeMessage(frame: Buffer): DeviceMessage | undefined;
  decodeCommand(frame: Buffer): DeviceCommand | undefined;
  encodeMessage(message: DeviceMessage): Buffer;
  /** Whether `message` answers `command` (so the pending request can resolve). */
  isReply(command: DeviceCommand, message: DeviceMessage): boolean;
}

export interface ChannelStatus {
  channel: number;
  /** Undefined until the device reported it. */
  gainDb: number | undefined;
  muted: boolean | undefined;
  /** Last metered level in dBFS; undefined until meters arrive or while offline. */
  levelDb: number | undefined;
  talking: boolean;
}

export type MicArrayEvents = {
  state: [state: MicArrayState, previous: MicArrayState];
  /** Levels in dBFS, index 0 = channel 1, as often as the device meters. */
  meters: [levels: readonly number[]];
  /** The channels talking now (sorted), whenever that set changes. */
  talkers: [channels: readonly number[]];
  /** A channel's gain or mute changed (by us, by the panel, or by another controller). */
  channel: [status: ChannelStatus];
  deviceMute: [muted: boolean];
};

/** What the rest of classcast sees of a mic array; `MicArrayDriver` implements it. */
export interface MicArray extends Pick<TypedEmitter<MicArrayEvents>, 'on' | 'off' | 'once'> {
  readonly id: string;
  readonly state: MicArrayState;
  readonly channelCount: number;
  channel(channel: number): ChannelStatus;
  channels(): ChannelStatus[];
  talkers(): number[];
  readonly deviceMuted: boolean | undefined;
  setGain(channel: number, gainDb: number): Promise<void>;
  setMuted(channel: number, muted: boolean): Promise<void>;
  setDeviceMuted(muted: boolean): Promise<void>;
}
