/**
 * The small seams the director works against. The composition root adapts the real camera
 * driver, the pipeline's compositor and a mic array to them; tests use fakes.
 */

export type CameraMotionEvent = 'moved' | 'arrived';

/** A PTZ camera as the director needs it. */
export interface DirectorCamera {
  readonly id: string;
  /** Starts the move to a stored preset; resolves once the camera accepted it (not on arrival). */
  recallPreset(preset: string): Promise<void>;
  /** True while the camera is moving (a recall in progress, or a technician's move). */
  isMoving(): boolean;
  /** `moved`: the camera started moving; `arrived`: it stopped. */
  on(event: CameraMotionEvent, listener: () => void): unknown;
  off(event: CameraMotionEvent, listener: () => void): unknown;
}

/** The program output: which camera the composite shows full. */
export interface Program {
  show(cameraId: string): void;
}

/** Who talks now: mic-array channels = talker zones. `MicArray` from devices/micarray fits. */
export interface TalkerSource {
  talkers(): number[];
  on(event: 'talkers', listener: (channels: readonly number[]) => void): unknown;
  off(event: 'talkers', listener: (channels: readonly number[]) => void): unknown;
}

export interface Shot {
  camera: string;
  preset?: string | undefined;
}

export interface DirectorStatus {
  enabled: boolean;
  /** Automation paused by a technician's action until this time (ms since epoch). */
  pausedUntil: number | null;
  /** The camera on program, as far as the director set it. */
  onAir: string | null;
  /** The zone being shown or headed for; null = overview. */
  zone: number | null;
  /** The shot the director is headed for. */
  target: Shot | null;
}

export interface CutEvent {
  camera: string;
  zone: number | null;
  /** `talker`: a talker held long enough; `overview`: silence; `cover`: the shown camera moves. */
  reason: 'talker' | 'overview' | 'cover';
}

export type DirectorEvents = {
  cut: [CutEvent];
  state: [DirectorStatus];
};
