import type { Logger } from 'pino';
import { Backoff } from '../../config/foundation/backoff.ts';
import { TypedEmitter } from '../../config/foundation/emitter.ts';
import { ClasscastError, InvalidStateError } from '../../config/foundation/errors.ts';
import { codecFor } from './codecs.ts';
import type { SerialLink, SerialOpener } from './serial-binding.ts';
import type {
  ChannelStatus,
  DeviceCommand,
  DeviceMessage,
  Framer,
  MicArray,
  MicArrayEvents,
  MicArrayProtocol,
  MicArrayState,
  ProtocolCodec,
} from './types.ts';

export interface MicArrayDriverOptions {
  id: string;
  protocol: MicArrayProtocol;
  path: string;
  baudRate: number;
  dataBits?: 7 | 8;
  parity?: 'none' | 'even' | 'odd';
  stopBits?: 1 | 2;
  channels: number;
  commandTimeoutMs: number;
  /** How often the device should send meters; 0 = no meters. */
  meterRateMs: number;
  reconnect: { initialMs: number; maxMs: number };
  /**
   * When nothing arrived for this long, ask the device something: a USB adapter can stay
   * open while the array behind it is unplugged, and only silence tells. Default 5000.
   */
  keepaliveMs?: number;
}

interface Pending {
  command: DeviceCommand;
  resolve: () => void;
  reject: (error: Error) => void;
  timer?: NodeJS.Timeout;
}

/**
 * One mic array or DSP on a serial line. Owns the line: opens it through the injected opener,
 * sends one command at a time (serial devices answer in order and some drop a command that
 * arrives mid-reply), keeps a model of gains, mutes, levels and talkers from replies and
 * unsolicited reports alike, and reopens the line with capped backoff when it breaks.
 */
export class MicArrayDriver extends TypedEmitter<MicArrayEvents> implements MicArray {
  readonly id: string;
  readonly channelCount: number;
  readonly #options: Readonly<MicArrayDriverOptions>;
  readonly #opener: SerialOpener;
  readonly #logger: Logger;
  readonly #codec: ProtocolCodec;
  readonly #framer: Framer;
  readonly #backoff: Backoff;
  readonly #status: ChannelStatus[];
  #deviceMuted: boolean | undefined;
  #state: MicArrayState = 'offline';
  #link: SerialLink | undefined;
  #queue: Pending[] = [];
  #inflight: Pending | undefined;
  #reconnectTimer: NodeJS.Timeout | undefined;
  #started = false;
  #closed = false;
  #garbageBytes = 0;
  #keepaliveTimer: NodeJS.Timeout | undefined;
  #heardSinceKeepalive = false;
  #needsInit = true;

  constructor(options: MicArrayDriverOptions, deps: { opener: SerialOpener; logger: Logger }) {
    super();
    if (!Number.isInteger(options.channels) || options.channels < 1 || options.channels > 64) {
      throw new TypeError('channels must be 1…64');
    }
    this.#options = Object.freeze({ ...options, reconnect: { ...options.reconnect } });
    this.id = options.id;
    this.channelCount = options.channels;
    this.#opener = deps.opener;
    this.#logger = deps.logger.child({ component: 'micarray', micArray: options.id, protocol: options.protocol });
    this.#codec = codecFor(options.protocol);
    this.#framer = this.#codec.createFramer();
    this.#backoff = new Backoff({ initialMs: options.reconnect.initialMs, maxMs: options.reconnect.maxMs });
    this.#status = Array.from({ length: options.channels }, (_, i) => ({
      channel: i + 1,
      gainDb: undefined,
      muted: undefined,
      levelDb: undefined,
      talking: false,
    }));
  }

  get state(): MicArrayState {
    return this.#state;
  }

  get deviceMuted(): boolean | undefined {
    return this.#deviceMuted;
  }

  /** Bytes thrown away while resyncing (noise, half frames); for metrics and tests. */
  get garbageBytes(): number {
    return this.#garbageBytes;
  }

  channel(channel: number): ChannelStatus {
    const status = this.#status[channel - 1];
    if (!status) throw new TypeError(`${this.id} has no channel ${channel}`);
    return { ...status };
  }

  channels(): ChannelStatus[] {
    return this.#status.map((s) => ({ ...s }));
  }

  talkers(): number[] {
    return this.#status.filter((s) => s.talking).map((s) => s.channel);
  }

  /** Opens the line (in the background; watch `state`). */
  start(): void {
    this.#assertOpen();
    if (this.#started) return;
    this.#started = true;
    void this.#connect();
  }

  setGain(channel: number, gainDb: number): Promise<void> {
    this.channel(channel);
    const [lo, hi] = this.#codec.gainRangeDb;
    if (!Number.isFinite(gainDb) || gainDb < lo || gainDb > hi) throw new TypeError(`gain must be ${lo}…${hi} dB`);
    return this.#request({ kind: 'setGain', channel, gainDb });
  }

  setMuted(channel: number, muted: boolean): Promise<void> {
    this.channel(channel);
    return this.#request({ kind: 'setMute', channel, muted });
  }

  setDeviceMuted(muted: boolean): Promise<void> {
    return this.#request({ kind: 'setDeviceMute', muted });
  }

  /** Idempotent. Pending commands fail with INVALID_STATE. */
  async close(): Promise<void> {
    if (this.#closed) return;
    this.#closed = true;
    clearTimeout(this.#reconnectTimer);
    clearInterval(this.#keepaliveTimer);
    this.#failAll(new InvalidStateError(`mic array ${this.id} closed`));
    const link = this.#link;
    this.#link = undefined;
    if (link) await link.close();
    this.#setState('offline');
    this.removeAllListeners();
  }

  #assertOpen(): void {
    if (this.#closed) throw new InvalidStateError(`mic array ${this.id} is closed`);
  }

  async #connect(): Promise<void> {
    if (this.#closed) return;
    const { path, baudRate, dataBits, parity, stopBits } = this.#options;
    let link: SerialLink;
    try {
      link = await this.#opener({ path, baudRate, dataBits, parity, stopBits });
    } catch (error) {
      this.#logger.debug({ err: error, path }, 'serial open failed');
      this.#scheduleReconnect();
      return;
    }
    if (this.#closed) {
      await link.close();
      return;
    }
    this.#link = link;
    this.#framer.reset();
    link.on('data', (chunk) => this.#onData(chunk));
    link.on('close', (error) => this.#onLinkClose(link, error));
    this.#logger.info({ path }, 'serial line open');
    this.#needsInit = true;
    clearInterval(this.#keepaliveTimer);
    this.#keepaliveTimer = setInterval(() => this.#keepalive(), this.#options.keepaliveMs ?? 5000);
    void this.#initialise();
  }

  #keepalive(): void {
    if (!this.#link || this.#inflight || this.#queue.length > 0) return;
    if (this.#needsInit) {
      void this.#initialise();
    } else if (!this.#heardSinceKeepalive) {
      this.#request({ kind: 'getDeviceMute' }).catch(() => undefined);
    }
    this.#heardSinceKeepalive = false;
  }

  /** Asks for the whole state after every (re)open: the device may have changed meanwhile. */
  async #initialise(): Promise<void> {
    const commands: DeviceCommand[] = [];
    for (let ch = 1; ch <= this.channelCount; ch += 1) {
      commands.push({ kind: 'getGain', channel: ch }, { kind: 'getMute', channel: ch });
    }
    commands.push({ kind: 'getDeviceMute' }, { kind: 'getTalkers' }, { kind: 'setMeterRate', ms: this.#options.meterRateMs });
    const results = await Promise.allSettled(commands.map((c) => this.#request(c)));
    const failed = results.filter((r) => r.status === 'rejected').length;
    if (failed === 0) {
      this.#needsInit = false;
      this.#backoff.reset();
      this.#setState('online');
    } else if (this.#link) {
      this.#logger.warn({ failed, of: commands.length }, 'device did not answer every initial query');
      this.#setState('degraded');
    }
  }

  #scheduleReconnect(): void {
    if (this.#closed) return;
    const delay = this.#backoff.next();
    this.#logger.debug({ delay, attempt: this.#backoff.attempt }, 'reconnect scheduled');
    this.#reconnectTimer = setTimeout(() => void this.#connect(), delay);
  }

  #onLinkClose(link: SerialLink, error: Error | undefined): void {
    if (this.#link !== link) return;
    this.#link = undefined;
    clearInterval(this.#keepaliveTimer);
    if (this.#closed) return;
    // We never close the link ourselves except in close(); any close here is a break.
    this.#logger.warn({ err: error }, 'serial line lost');
    this.#failAll(new ClasscastError('SERIAL_DISCONNECTED', `mic array ${this.id}: line lost`, { cause: error }));
    for (const s of this.#status) s.levelDb = undefined;
    this.#setTalkers([]);
    this.#setState('offline');
    this.#scheduleReconnect();
  }

  #onData(chunk: Buffer): void {
    for (const out of this.#framer.push(chunk)) {
      if ('garbage' in out) {
        this.#garbageBytes += out.garbage.length;
        this.#logger.debug({ bytes: out.garbage.length }, 'discarded bytes while resyncing');
        continue;
      }
      const message = this.#codec.decodeMessage(out.frame);
      if (message) this.#onMessage(message);
    }
  }

  #onMessage(message: DeviceMessage): void {
    this.#heardSinceKeepalive = true;
    this.#apply(message);
    const pending = this.#inflight;
    if (!pending) return;
    if (message.kind === 'error') {
      this.#finish(pending, new ClasscastError('SERIAL_PROTOCOL', `${this.id} refused ${pending.command.kind}: ${message.detail}`));
    } else if (this.#codec.isReply(pending.command, message)) {
      this.#finish(pending);
      if (this.#state === 'degraded') this.#setState('online');
    }
  }

  #apply(message: DeviceMessage): void {
    switch (message.kind) {
      case 'gain':
      case 'mute': {
        const status = this.#status[message.channel - 1];
        if (!status) return;
        if (message.kind === 'gain') status.gainDb = message.gainDb;
        else status.muted = message.muted;
        this.safeEmit('channel', { ...status });
        return;
      }
      case 'deviceMute':
        if (this.#deviceMuted !== message.muted) {
          this.#deviceMuted = message.muted;
          this.safeEmit('deviceMute', message.muted);
        }
        return;
      case 'meters':
        for (const status of this.#status) status.levelDb = message.levels[status.channel - 1];
        this.safeEmit('meters', this.#status.map((s) => s.levelDb ?? -Infinity));
        return;
      case 'talker': {
        const next = new Set(this.talkers());
        if (message.active) next.add(message.channel);
        else next.delete(message.channel);
        this.#setTalkers([...next]);
        return;
      }
      case 'talkerZone':
        this.#setTalkers(message.zone === 0 ? [] : [message.zone]);
        return;
      default:
        return;
    }
  }

  #setTalkers(channels: number[]): void {
    let changed = false;
    for (const status of this.#status) {
      const talking = channels.includes(status.channel);
      if (status.talking !== talking) {
        status.talking = talking;
        changed = true;
      }
    }
    if (changed) this.safeEmit('talkers', this.talkers());
  }

  #setState(state: MicArrayState): void {
    const previous = this.#state;
    if (previous === state) return;
    this.#state = state;
    this.#logger.info({ state, previous }, 'mic array state');
    this.safeEmit('state', state, previous);
  }

  #request(command: DeviceCommand): Promise<void> {
    this.#assertOpen();
    if (!this.#link) {
      return Promise.reject(new ClasscastError('SERIAL_DISCONNECTED', `mic array ${this.id} is offline`));
    }
    // Encode now so a bad argument fails the caller at once, not when its turn comes.
    this.#codec.encodeCommand(command);
    return new Promise<void>((resolve, reject) => {
      this.#queue.push({ command, resolve, reject });
      this.#pump();
    });
  }

  #pump(): void {
    if (this.#inflight || !this.#link) return;
    const pending = this.#queue.shift();
    if (!pending) return;
    this.#inflight = pending;
    const { commandTimeoutMs } = this.#options;
    pending.timer = setTimeout(() => {
      this.#logger.warn({ command: pending.command.kind, timeoutMs: commandTimeoutMs }, 'command timed out');
      this.#finish(pending, new ClasscastError('SERIAL_TIMEOUT', `${this.id}: ${pending.command.kind} timed out after ${commandTimeoutMs} ms`));
      if (this.#link) this.#setState('degraded');
    }, commandTimeoutMs);
    this.#link.write(this.#codec.encodeCommand(pending.command)).catch((error: unknown) => {
      this.#finish(pending, error instanceof Error ? error : new Error(String(error)));
    });
  }

  #finish(pending: Pending, error?: Error): void {
    if (this.#inflight !== pending) return;
    clearTimeout(pending.timer);
    this.#inflight = undefined;
    if (error) pending.reject(error);
    else pending.resolve();
    this.#pump();
  }

  #failAll(error: Error): void {
    const all = [...(this.#inflight ? [this.#inflight] : []), ...this.#queue];
    this.#queue = [];
    if (this.#inflight) clearTimeout(this.#inflight.timer);
    this.#inflight = undefined;
    for (const p of all) p.reject(error);
  }
}
