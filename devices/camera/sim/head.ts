import { TypedEmitter } from '../../../config/foundation/emitter.ts';
import type { PtzVector } from '../types.ts';

const clamp = (v: number, lo: number, hi: number) => Math.min(hi, Math.max(lo, v));

export interface HeadOptions {
  /** Units per second at speed 1 (pan/tilt span 2 units, zoom 1). */
  panTiltSpeed?: number;
  zoomSpeed?: number;
  tickMs?: number;
  initial?: PtzVector;
}

/**
 * A virtual PTZ head that moves at finite speed, like a motor: continuous moves run until
 * stopped or their timeout, absolute moves until the target is reached. Ticks only while
 * something moves.
 */
export class VirtualHead extends TypedEmitter<{ change: [PtzVector, boolean] }> {
  #position: PtzVector;
  #velocity: PtzVector = { pan: 0, tilt: 0, zoom: 0 };
  #target: PtzVector | undefined;
  #targetSpeed = { panTilt: 1, zoom: 1 };
  #timer: NodeJS.Timeout | undefined;
  #deadline: NodeJS.Timeout | undefined;
  #last = 0;
  readonly #panTiltSpeed: number;
  readonly #zoomSpeed: number;
  readonly #tickMs: number;

  constructor(options: HeadOptions = {}) {
    super();
    this.#position = { ...(options.initial ?? { pan: 0, tilt: 0, zoom: 0 }) };
    this.#panTiltSpeed = options.panTiltSpeed ?? 1;
    this.#zoomSpeed = options.zoomSpeed ?? 0.5;
    this.#tickMs = options.tickMs ?? 40;
  }

  get position(): PtzVector {
    return { ...this.#position };
  }

  get panTiltMoving(): boolean {
    return this.#target ? this.#target.pan !== this.#position.pan || this.#target.tilt !== this.#position.tilt : this.#velocity.pan !== 0 || this.#velocity.tilt !== 0;
  }

  get zoomMoving(): boolean {
    return this.#target ? this.#target.zoom !== this.#position.zoom : this.#velocity.zoom !== 0;
  }

  continuousMove(velocity: PtzVector, timeoutMs?: number): void {
    this.#target = undefined;
    this.#velocity = { pan: clamp(velocity.pan, -1, 1), tilt: clamp(velocity.tilt, -1, 1), zoom: clamp(velocity.zoom, -1, 1) };
    clearTimeout(this.#deadline);
    if (timeoutMs !== undefined) this.#deadline = setTimeout(() => this.stop(), timeoutMs);
    this.#run();
  }

  absoluteMove(target: PtzVector, speed?: { panTilt?: number; zoom?: number }): void {
    clearTimeout(this.#deadline);
    this.#velocity = { pan: 0, tilt: 0, zoom: 0 };
    this.#target = { pan: clamp(target.pan, -1, 1), tilt: clamp(target.tilt, -1, 1), zoom: clamp(target.zoom, 0, 1) };
    this.#targetSpeed = { panTilt: clamp(speed?.panTilt ?? 1, 0.05, 1), zoom: clamp(speed?.zoom ?? 1, 0.05, 1) };
    this.#run();
  }

  stop(panTilt = true, zoom = true): void {
    // Account for the motion since the last tick before the motors stop.
    if (this.#timer) this.#advance();
    if (panTilt) {
      this.#velocity.pan = 0;
      this.#velocity.tilt = 0;
      if (this.#target) this.#target = { ...this.#target, pan: this.#position.pan, tilt: this.#position.tilt };
    }
    if (zoom) {
      this.#velocity.zoom = 0;
      if (this.#target) this.#target = { ...this.#target, zoom: this.#position.zoom };
    }
    this.#tick();
  }

  close(): void {
    clearTimeout(this.#deadline);
    clearInterval(this.#timer);
    this.#timer = undefined;
  }

  #run(): void {
    this.#last = performance.now();
    this.#timer ??= setInterval(() => this.#tick(), this.#tickMs);
    this.safeEmit('change', this.position, true);
  }

  #tick(): void {
    this.#advance();
    const moving = this.panTiltMoving || this.zoomMoving;
    if (!moving) {
      this.#target = undefined;
      clearInterval(this.#timer);
      this.#timer = undefined;
    }
    this.safeEmit('change', this.position, moving);
  }

  #advance(): void {
    const now = performance.now();
    const dt = Math.min(0.5, (now - this.#last) / 1000);
    this.#last = now;
    const p = this.#position;
    if (this.#target) {
      const step = (from: number, to: number, max: number) => (Math.abs(to - from) <= max ? to : from + Math.sign(to - from) * max);
      p.pan = step(p.pan, this.#target.pan, this.#panTiltSpeed * this.#targetSpeed.panTilt * dt);
      p.tilt = step(p.tilt, this.#target.tilt, this.#panTiltSpeed * this.#targetSpeed.panTilt * dt);
      p.zoom = step(p.zoom, this.#target.zoom, this.#zoomSpeed * this.#targetSpeed.zoom * dt);
    } else {
      p.pan = clamp(p.pan + this.#velocity.pan * this.#panTiltSpeed * dt, -1, 1);
      p.tilt = clamp(p.tilt + this.#velocity.tilt * this.#panTiltSpeed * dt, -1, 1);
      p.zoom = clamp(p.zoom + this.#velocity.zoom * this.#zoomSpeed * dt, 0, 1);
      // A continuous move into an end stop has stopped moving.
      if ((p.pan === -1 || p.pan === 1) && Math.sign(this.#velocity.pan) === p.pan) this.#velocity.pan = 0;
      if ((p.tilt === -1 || p.tilt === 1) && Math.sign(this.#velocity.tilt) === p.tilt) this.#velocity.tilt = 0;
      if ((p.zoom === 0 && this.#velocity.zoom < 0) || (p.zoom === 1 && this.#velocity.zoom > 0)) this.#velocity.zoom = 0;
    }
  }
}
