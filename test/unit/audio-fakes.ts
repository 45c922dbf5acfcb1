import { TypedEmitter } from '../../config/foundation/emitter.ts';
import type { MixControl } from '../../daemon/audio/types.ts';
import type { ChannelStatus, MicArray, MicArrayEvents, MicArrayState } from '../../devices/micarray/types.ts';

/** A mic array that applies commands at once; strict: channel numbers are checked. */
export class FakeMicArray extends TypedEmitter<MicArrayEvents> implements MicArray {
  state: MicArrayState = 'online';
  deviceMuted = false;
  readonly channelCount = 4;
  readonly status: ChannelStatus[] = [1, 2, 3, 4].map((channel) => ({
    channel,
    gainDb: -3,
    muted: false,
    levelDb: undefined,
    talking: false,
  }));
  failWith: Error | undefined;
  constructor(readonly id: string) {
    super();
  }
  channel(n: number): ChannelStatus {
    const s = this.status[n - 1];
    if (!s) throw new TypeError(`no channel ${n}`);
    return { ...s };
  }
  channels(): ChannelStatus[] {
    return this.status.map((s) => ({ ...s }));
  }
  talkers(): number[] {
    return this.status.filter((s) => s.talking).map((s) => s.channel);
  }
  async setGain(n: number, gainDb: number): Promise<void> {
    if (this.failWith) throw this.failWith;
    const s = this.status[n - 1]!;
    s.gainDb = gainDb;
    this.safeEmit('channel', { ...s });
  }
  async setMuted(n: number, muted: boolean): Promise<void> {
    if (this.failWith) throw this.failWith;
    const s = this.status[n - 1]!;
    s.muted = muted;
    this.safeEmit('channel', { ...s });
  }
  async setDeviceMuted(muted: boolean): Promise<void> {
    this.deviceMuted = muted;
  }
  meter(levels: number[]): void {
    levels.forEach((l, i) => (this.status[i]!.levelDb = l));
    this.safeEmit('meters', levels);
  }
  talk(...channels: number[]): void {
    for (const s of this.status) s.talking = channels.includes(s.channel);
    this.safeEmit('talkers', channels);
  }
}

export class FakeMix implements MixControl {
  calls: string[] = [];
  readonly #state = new Map<string, { gainDb: number; muted: boolean }>();
  async setGain(id: string, db: number): Promise<void> {
    this.calls.push(`gain ${id} ${db}`);
    this.#state.set(id, { ...(this.#state.get(id) ?? { muted: false }), gainDb: db });
  }
  async setMuted(id: string, muted: boolean): Promise<void> {
    this.calls.push(`mute ${id} ${muted}`);
    this.#state.set(id, { ...(this.#state.get(id) ?? { gainDb: 0 }), muted });
  }
  channel(id: string): { gainDb: number; muted: boolean } | undefined {
    return this.#state.get(id);
  }
}

export const channels = [
  { id: 'teacher', name: 'Teacher wireless', gainDb: 0, muted: false },
  { id: 'students', name: 'Student array', gainDb: 0, muted: false },
];
