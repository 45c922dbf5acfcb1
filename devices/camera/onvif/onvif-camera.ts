import type { Logger } from 'pino';
import { Backoff } from '../../../config/foundation/backoff.ts';
import { TypedEmitter } from '../../../config/foundation/emitter.ts';
import { ClasscastError, InvalidStateError, isClasscastError } from '../../../config/foundation/errors.ts';
import type { CameraDriver, CameraEvents, CameraInfo, CameraPreset, CameraState, MoveOptions, PtzStatus, PtzVector } from '../types.ts';
import { OnvifFaultError } from './fault.ts';
import { OnvifSession, type OnvifSessionOptions } from './binding.ts';

export interface OnvifCameraOptions {
  id: string;
  xaddr: string;
  user: string;
  /** Never logged. */
  password: string;
  logger: Logger;
  /** Per SOAP request (node-onvif's own is a fixed 3,000 ms). */
  requestTimeoutMs?: number;
  reconnect?: { initialMs: number; maxMs: number };
  /** GetStatus period while a move is under way (arrival detection). */
  movePollMs?: number;
  /** GetStatus period when idle, to notice a camera that went away. */
  keepAliveMs?: number;
  /** The session factory; tests of the driver alone may pass their own. */
  connectSession?: (options: OnvifSessionOptions) => Promise<Session>;
}

/** What the driver needs of a connected camera (OnvifSession has it). */
export type Session = Pick<
  OnvifSession,
  'info' | 'getPresets' | 'gotoPreset' | 'setPreset' | 'removePreset' | 'gotoHome' | 'setHome' | 'continuousMove' | 'absoluteMove' | 'stop' | 'getStatus'
>;

/** Errors that mean "the camera is not there", as opposed to "it said no". */
const isLinkFailure = (error: unknown) => isClasscastError(error, 'PTZ_UNREACHABLE') || isClasscastError(error, 'PTZ_TIMEOUT');

/**
 * An ONVIF PTZ camera. `connect()` tries once (rejecting with the reason) and from then on the
 * driver keeps itself connected: a request that finds the camera gone turns it `offline` and
 * reconnects with capped backoff; a fault or a malformed answer to a status poll makes it
 * `degraded`. Moves are followed with GetStatus polls until the head reports IDLE, so
 * `isMoving()` and `arrived` tell when the picture is steady.
 */
export class OnvifCamera extends TypedEmitter<CameraEvents> implements CameraDriver {
  readonly id: string;
  readonly #options: Required<Omit<OnvifCameraOptions, 'logger' | 'connectSession'>> & Pick<OnvifCameraOptions, 'connectSession'>;
  readonly #logger: Logger;
  readonly #backoff: Backoff;
  #session: Session | undefined;
  #state: CameraState = 'offline';
  #moving = false;
  #closed = false;
  #connecting: Promise<void> | undefined;
  #reconnectTimer: NodeJS.Timeout | undefined;
  #pollTimer: NodeJS.Timeout | undefined;
  #stopTimer: NodeJS.Timeout | undefined;
  #lastError: Error | undefined;

  constructor(options: OnvifCameraOptions) {
    super();
    this.id = options.id;
    this.#options = {
      requestTimeoutMs: 5_000,
      reconnect: { initialMs: 500, maxMs: 30_000 },
      movePollMs: 200,
      keepAliveMs: 5_000,
      ...options,
    };
    // Only the id and the address reach logs; user and password stay out.
    this.#logger = options.logger.child({ component: 'camera', camera: options.id, xaddr: options.xaddr });
    this.#backoff = new Backoff(this.#options.reconnect);
  }

  get state(): CameraState {
    return this.#state;
  }

  get info(): CameraInfo | undefined {
    return this.#session?.info;
  }

  get lastError(): Error | undefined {
    return this.#lastError;
  }

  isMoving(): boolean {
    return this.#moving;
  }

  /** Connects once; on failure rejects and keeps retrying in the background. */
  async connect(): Promise<void> {
    this.#assertOpen();
    if (this.#session) return;
    this.#connecting ??= this.#connectOnce().finally(() => (this.#connecting = undefined));
    return this.#connecting;
  }

  async #connectOnce(): Promise<void> {
    clearTimeout(this.#reconnectTimer);
    try {
      const factory = this.#options.connectSession ?? ((o: OnvifSessionOptions) => OnvifSession.connect(o));
      const session = await factory({
        xaddr: this.#options.xaddr,
        user: this.#options.user,
        password: this.#options.password,
        timeoutMs: this.#options.requestTimeoutMs,
      });
      if (this.#closed) return;
      this.#session = session;
      this.#backoff.reset();
      this.#logger.info({ model: session.info.model, clockOffsetMs: session.info.clockOffsetMs }, 'camera connected');
      this.#setState('online');
      this.#schedulePoll();
    } catch (error) {
      this.#lastError = error as Error;
      this.#logger.warn({ code: (error as ClasscastError).code, err: error }, 'camera connect failed');
      this.#setState('offline', error as Error);
      this.#scheduleReconnect();
      throw error;
    }
  }

  #scheduleReconnect(): void {
    if (this.#closed || this.#reconnectTimer) return;
    const delay = this.#backoff.next();
    this.#reconnectTimer = setTimeout(() => {
      this.#reconnectTimer = undefined;
      this.connect().catch(() => {});
    }, delay);
    this.#reconnectTimer.unref();
  }

  #setState(state: CameraState, error?: Error): void {
    if (this.#state === state) return;
    const previous = this.#state;
    this.#state = state;
    this.safeEmit('state', state, previous, error);
  }

  #assertOpen(): void {
    if (this.#closed) throw new InvalidStateError(`camera ${this.id} is closed`);
  }

  /** Runs a request on the session; a link failure drops the session and reconnects. */
  async #request<T>(fn: (session: Session) => Promise<T>): Promise<T> {
    this.#assertOpen();
    const session = this.#session;
    if (!session) throw new ClasscastError('PTZ_UNREACHABLE', `camera ${this.id} is offline`, { cause: this.#lastError });
    try {
      return await fn(session);
    } catch (error) {
      if (isLinkFailure(error) && this.#session === session) this.#lost(error as Error);
      throw error;
    }
  }

  #lost(error: Error): void {
    this.#lastError = error;
    this.#session = undefined;
    clearTimeout(this.#pollTimer);
    clearTimeout(this.#stopTimer);
    this.#moving = false;
    this.#logger.warn({ code: (error as ClasscastError).code }, 'camera lost');
    this.#setState('offline', error);
    this.#scheduleReconnect();
  }

  #startedMoving(kind: CameraEvents['moved'][0], target?: string): void {
    this.#moving = true;
    this.safeEmit('moved', kind, target);
    this.#schedulePoll();
  }

  #schedulePoll(): void {
    clearTimeout(this.#pollTimer);
    if (this.#closed || !this.#session) return;
    this.#pollTimer = setTimeout(() => this.#poll(), this.#moving ? this.#options.movePollMs : this.#options.keepAliveMs);
    this.#pollTimer.unref();
  }

  async #poll(): Promise<void> {
    try {
      const status = await this.#request((s) => s.getStatus());
      this.#setState('online');
      if (this.#moving && !status.moving) {
        this.#moving = false;
        this.safeEmit('arrived', status.position);
      }
    } catch (error) {
      if (!isLinkFailure(error) && !this.#closed) {
        this.#lastError = error as Error;
        this.#setState('degraded', error as Error);
      }
    }
    this.#schedulePoll();
  }

  async getPresets(): Promise<CameraPreset[]> {
    return this.#request((s) => s.getPresets());
  }

  async #resolvePreset(preset: string): Promise<CameraPreset> {
    const presets = await this.getPresets();
    const found = presets.find((p) => p.token === preset) ?? presets.find((p) => p.name === preset);
    if (!found) throw new ClasscastError('PTZ_NO_SUCH_PRESET', `camera ${this.id} has no preset "${preset}"`);
    return found;
  }

  async recallPreset(preset: string, speed?: number): Promise<void> {
    const found = await this.#resolvePreset(preset);
    await this.#request((s) => s.gotoPreset(found.token, speed)).catch(noSuchPreset(this.id, preset));
    this.#startedMoving('preset', found.name);
  }

  async storePreset(name: string): Promise<CameraPreset> {
    const presets = await this.getPresets();
    const existing = presets.find((p) => p.name === name) ?? presets.find((p) => p.token === name);
    const token = await this.#request((s) => s.setPreset(existing?.name ?? name, existing?.token)).catch(noSuchPreset(this.id, name));
    const status = await this.getStatus().catch(() => undefined);
    return { token, name: existing?.name ?? name, ...(status ? { position: status.position } : {}) };
  }

  async removePreset(preset: string): Promise<void> {
    const found = await this.#resolvePreset(preset);
    await this.#request((s) => s.removePreset(found.token)).catch(noSuchPreset(this.id, preset));
  }

  async goHome(speed?: number): Promise<void> {
    await this.#request((s) => s.gotoHome(speed));
    this.#startedMoving('home');
  }

  async setHome(): Promise<void> {
    await this.#request((s) => s.setHome());
  }

  async continuousMove(velocity: PtzVector, options: MoveOptions = {}): Promise<void> {
    for (const v of [velocity.pan, velocity.tilt, velocity.zoom]) {
      if (!Number.isFinite(v) || v < -1 || v > 1) throw new TypeError('velocities must be within −1…1');
    }
    const timeoutMs = options.timeoutMs ?? 1_000;
    await this.#request((s) => s.continuousMove(velocity, timeoutMs / 1000));
    this.#startedMoving('continuous');
    // ONVIF timeouts are whole seconds in node-onvif, and some cameras ignore them: stop it
    // ourselves at the time asked for.
    clearTimeout(this.#stopTimer);
    this.#stopTimer = setTimeout(() => {
      this.stop().catch((error: unknown) => this.#logger.warn({ err: error }, 'stop after move timeout failed'));
    }, timeoutMs);
    this.#stopTimer.unref();
  }

  async stop(): Promise<void> {
    clearTimeout(this.#stopTimer);
    await this.#request((s) => s.stop());
    if (this.#moving) this.#schedulePoll();
  }

  async absoluteMove(position: PtzVector, speed?: number): Promise<void> {
    await this.#request((s) => s.absoluteMove(position, speed));
    this.#startedMoving('absolute');
  }

  async getStatus(): Promise<PtzStatus> {
    return this.#request((s) => s.getStatus());
  }

  /** Idempotent; pending timers are dropped, the camera is left where it is. */
  async close(): Promise<void> {
    if (this.#closed) return;
    this.#closed = true;
    clearTimeout(this.#reconnectTimer);
    clearTimeout(this.#pollTimer);
    clearTimeout(this.#stopTimer);
    this.#session = undefined;
    this.#moving = false;
    this.removeAllListeners();
  }
}

function noSuchPreset(id: string, preset: string) {
  return (error: unknown): never => {
    if (error instanceof OnvifFaultError && error.isNoSuchEntity) {
      throw new ClasscastError('PTZ_NO_SUCH_PRESET', `camera ${id} has no preset "${preset}"`, { cause: error });
    }
    throw error;
  };
}
