import type { Logger } from 'pino';
import { TypedEmitter } from '../../config/foundation/emitter.ts';
import { InvalidStateError } from '../../config/foundation/errors.ts';
import type { DirectorConfig } from '../../config/schema/director.ts';
import type { CutEvent, DirectorCamera, DirectorEvents, DirectorStatus, Program, Shot, TalkerSource } from './types.ts';

export interface DirectorDeps {
  cameras: Iterable<DirectorCamera>;
  program: Program;
  talkers: TalkerSource;
  logger: Logger;
  now?: () => number;
}

/**
 * Voice tracking. Rules (see README.md beside this file): a new talker must hold for `holdMs`
 * before the cut; `silenceMs` of silence returns to the overview; a camera is never put on
 * program while it moves — the other camera covers, and the cut comes `settleMs` after arrival;
 * a technician's action pauses automation for `manualPauseMs`; `setEnabled` switches it all.
 */
export class Director extends TypedEmitter<DirectorEvents> {
  readonly #config: Readonly<DirectorConfig>;
  readonly #cameras = new Map<string, DirectorCamera>();
  readonly #program: Program;
  readonly #talkers: TalkerSource;
  readonly #logger: Logger;
  readonly #now: () => number;
  readonly #zoneShots = new Map<number, Shot>();
  readonly #listeners: (() => void)[] = [];
  /** Mapped zones talking now, oldest first. */
  #active: number[] = [];
  #enabled: boolean;
  #pausedUntil: number | null = null;
  #onAir: string | null = null;
  /** undefined = nothing decided yet (start, after a pause); null = overview. */
  #zone: number | null | undefined = undefined;
  #target: Shot | null = null;
  /** Preset each camera was last sent to by us; cleared when anyone else may have moved it. */
  readonly #presetOf = new Map<string, string>();
  #holdZone: number | null = null;
  #holdTimer: NodeJS.Timeout | undefined;
  #silenceTimer: NodeJS.Timeout | undefined;
  #settleTimer: NodeJS.Timeout | undefined;
  #moveTimer: NodeJS.Timeout | undefined;
  #pauseTimer: NodeJS.Timeout | undefined;
  #started = false;
  #closed = false;

  constructor(config: DirectorConfig, deps: DirectorDeps) {
    super();
    this.#config = config;
    for (const camera of deps.cameras) this.#cameras.set(camera.id, camera);
    this.#program = deps.program;
    this.#talkers = deps.talkers;
    this.#logger = deps.logger.child({ component: 'director' });
    this.#now = deps.now ?? Date.now;
    this.#enabled = config.enabled;
    for (const z of config.zones) this.#zoneShots.set(z.zone, { camera: z.camera, preset: z.preset });
    const known = [...config.zones.map((z) => z.camera), ...(config.overview ? [config.overview.camera] : [])];
    for (const cameraId of known) {
      if (!this.#cameras.has(cameraId)) throw new TypeError(`director: no camera "${cameraId}"`);
    }
  }

  get status(): DirectorStatus {
    return {
      enabled: this.#enabled,
      pausedUntil: this.#pausedUntil,
      onAir: this.#onAir,
      zone: this.#zone ?? null,
      target: this.#target ? { ...this.#target } : null,
    };
  }

  /** Subscribes to talkers and cameras; when enabled, goes to the shot the room calls for. */
  start(): void {
    this.#assertOpen();
    if (this.#started) return;
    this.#started = true;
    const onTalkers = (channels: readonly number[]) => this.#onTalkers(channels);
    this.#talkers.on('talkers', onTalkers);
    this.#listeners.push(() => this.#talkers.off('talkers', onTalkers));
    for (const camera of this.#cameras.values()) {
      const moved = () => this.#onMoved(camera);
      const arrived = () => this.#onArrived(camera);
      camera.on('moved', moved);
      camera.on('arrived', arrived);
      this.#listeners.push(() => camera.off('moved', moved), () => camera.off('arrived', arrived));
    }
    this.#onTalkers(this.#talkers.talkers());
    if (this.#automatic()) this.#resume();
  }

  /**
   * The operator's automatic/manual switch. Switching it on is a deliberate "take over now",
   * so it also ends a pause left by earlier manual actions.
   */
  setEnabled(enabled: boolean): void {
    this.#assertOpen();
    const endsPause = enabled && this.#pausedUntil !== null;
    if (this.#enabled === enabled && !endsPause) return;
    if (endsPause) {
      clearTimeout(this.#pauseTimer);
      this.#pausedUntil = null;
    }
    if (this.#enabled !== enabled) this.#logger.info({ enabled }, 'voice tracking switched');
    this.#enabled = enabled;
    this.#clearTimers();
    if (this.#automatic() && this.#started) this.#resume();
    this.#emitState();
  }

  /**
   * A technician recalled a preset, moved a camera or changed the shot: automation pauses for
   * `manualPauseMs` (each call restarts the pause) so it does not fight the technician.
   */
  manualOverride(): void {
    this.#assertOpen();
    clearTimeout(this.#pauseTimer);
    this.#clearTimers();
    this.#pausedUntil = this.#now() + this.#config.manualPauseMs;
    this.#presetOf.clear();
    this.#logger.info({ pauseMs: this.#config.manualPauseMs }, 'automation paused by a manual action');
    this.#pauseTimer = setTimeout(() => {
      this.#pausedUntil = null;
      this.#logger.info('automation resumes');
      if (this.#automatic()) this.#resume();
      this.#emitState();
    }, this.#config.manualPauseMs);
    this.#emitState();
  }

  close(): void {
    if (this.#closed) return;
    this.#closed = true;
    this.#clearTimers();
    clearTimeout(this.#pauseTimer);
    for (const off of this.#listeners.splice(0)) off();
    this.removeAllListeners();
  }

  #assertOpen(): void {
    if (this.#closed) throw new InvalidStateError('director is closed');
  }

  #automatic(): boolean {
    return this.#enabled && this.#pausedUntil === null && !this.#closed;
  }

  #clearTimers(): void {
    clearTimeout(this.#holdTimer);
    clearTimeout(this.#silenceTimer);
    clearTimeout(this.#settleTimer);
    clearTimeout(this.#moveTimer);
    this.#holdTimer = this.#silenceTimer = this.#settleTimer = this.#moveTimer = undefined;
    this.#holdZone = null;
  }

  /** After start, a pause or a switch-on: whatever was on program may be stale. */
  #resume(): void {
    this.#zone = undefined;
    this.#presetOf.clear();
    const zone = this.#pick();
    if (zone !== null) this.#go(zone, 'talker');
    else this.#go(null, 'overview');
  }

  #onTalkers(channels: readonly number[]): void {
    const mapped = channels.filter((c) => this.#zoneShots.has(c));
    this.#active = [...this.#active.filter((z) => mapped.includes(z)), ...mapped.filter((z) => !this.#active.includes(z))];
    if (this.#automatic() && this.#zone !== undefined) this.#evaluate();
  }

  /** Keep the zone on program while it still talks (hysteresis); else the newest talker. */
  #pick(): number | null {
    if (typeof this.#zone === 'number' && this.#active.includes(this.#zone)) return this.#zone;
    return this.#active.at(-1) ?? null;
  }

  #evaluate(): void {
    const candidate = this.#pick();
    if (candidate !== null) {
      clearTimeout(this.#silenceTimer);
      this.#silenceTimer = undefined;
      if (candidate === this.#zone) {
        clearTimeout(this.#holdTimer);
        this.#holdTimer = undefined;
        this.#holdZone = null;
        return;
      }
      if (this.#holdZone === candidate) return;
      clearTimeout(this.#holdTimer);
      this.#holdZone = candidate;
      this.#holdTimer = setTimeout(() => {
        this.#holdTimer = undefined;
        this.#holdZone = null;
        if (this.#pick() === candidate) this.#go(candidate, 'talker');
      }, this.#config.holdMs);
      return;
    }
    clearTimeout(this.#holdTimer);
    this.#holdTimer = undefined;
    this.#holdZone = null;
    if (this.#zone === null || this.#silenceTimer) return;
    this.#silenceTimer = setTimeout(() => {
      this.#silenceTimer = undefined;
      if (this.#pick() === null) this.#go(null, 'overview');
    }, this.#config.silenceMs);
  }

  #go(zone: number | null, reason: CutEvent['reason']): void {
    const shot = zone === null ? this.#config.overview : this.#zoneShots.get(zone);
    this.#zone = zone;
    clearTimeout(this.#settleTimer);
    clearTimeout(this.#moveTimer);
    this.#settleTimer = this.#moveTimer = undefined;
    if (!shot) {
      this.#target = null;
      this.#emitState();
      return;
    }
    this.#target = { camera: shot.camera, preset: shot.preset };
    const camera = this.#cameras.get(shot.camera);
    if (!camera) return;
    const mustMove = shot.preset !== undefined && this.#presetOf.get(camera.id) !== shot.preset;
    this.#logger.info({ zone, camera: camera.id, preset: shot.preset, mustMove }, 'new shot');
    if (!mustMove && !camera.isMoving()) {
      this.#cut(camera.id, reason);
    } else {
      if (this.#onAir === camera.id) this.#cover(camera.id);
      if (mustMove && shot.preset !== undefined) this.#recall(camera, shot.preset);
      this.#awaitArrival(camera);
    }
    this.#emitState();
  }

  #recall(camera: DirectorCamera, preset: string): void {
    this.#presetOf.set(camera.id, preset);
    camera.recallPreset(preset).then(
      () => {
        // Some cameras only report motion by polling: a camera that reports nothing yet is
        // still given the settle time before it goes on program.
        if (this.#isTarget(camera) && !camera.isMoving()) this.#settle(camera);
      },
      (error: unknown) => {
        this.#presetOf.delete(camera.id);
        this.#logger.warn({ err: error, camera: camera.id, preset }, 'preset recall failed; camera stays off program');
      },
    );
  }

  #awaitArrival(camera: DirectorCamera): void {
    clearTimeout(this.#moveTimer);
    this.#moveTimer = setTimeout(() => {
      this.#moveTimer = undefined;
      this.#logger.warn({ camera: camera.id }, 'no arrival reported; assuming the camera stopped');
      if (this.#isTarget(camera)) this.#settle(camera, true);
    }, this.#config.moveTimeoutMs);
  }

  #isTarget(camera: DirectorCamera): boolean {
    return this.#automatic() && this.#target?.camera === camera.id;
  }

  #settle(camera: DirectorCamera, force = false): void {
    clearTimeout(this.#settleTimer);
    this.#settleTimer = setTimeout(() => {
      this.#settleTimer = undefined;
      if (!this.#isTarget(camera)) return;
      if (camera.isMoving() && !force) return; // its `arrived` comes later and settles again
      clearTimeout(this.#moveTimer);
      this.#moveTimer = undefined;
      this.#cut(camera.id, this.#zone === null ? 'overview' : 'talker');
    }, this.#config.settleMs);
  }

  #onMoved(camera: DirectorCamera): void {
    if (!this.#automatic()) return;
    if (this.#onAir === camera.id) this.#cover(camera.id);
    if (this.#target?.camera === camera.id) {
      clearTimeout(this.#settleTimer);
      this.#settleTimer = undefined;
    }
  }

  #onArrived(camera: DirectorCamera): void {
    if (this.#isTarget(camera) && this.#onAir !== camera.id) this.#settle(camera);
  }

  /** Puts another, still camera on program while `movingId` moves. */
  #cover(movingId: string): void {
    const overview = this.#config.overview?.camera;
    const candidates = [overview, ...this.#cameras.keys()].filter((id): id is string => id !== undefined && id !== movingId);
    const still = candidates.find((id) => !this.#cameras.get(id)?.isMoving());
    if (still === undefined) {
      this.#logger.warn({ camera: movingId }, 'no still camera to cover a move');
      return;
    }
    this.#cut(still, 'cover');
  }

  #cut(cameraId: string, reason: CutEvent['reason']): void {
    if (this.#onAir === cameraId) return;
    this.#onAir = cameraId;
    this.#program.show(cameraId);
    this.#logger.info({ camera: cameraId, zone: this.#zone ?? null, reason }, 'cut');
    this.safeEmit('cut', { camera: cameraId, zone: this.#zone ?? null, reason });
    this.#emitState();
  }

  #emitState(): void {
    this.safeEmit('state', this.status);
  }
}
