/**
 * The camera seam: what the daemon needs from a PTZ camera, whatever speaks to it. Positions
 * are in ONVIF's generic spaces: pan and tilt −1…1, zoom 0…1; velocities −1…1.
 */
export interface PtzVector {
  pan: number;
  tilt: number;
  zoom: number;
}

export interface CameraPreset {
  token: string;
  name: string;
  position?: PtzVector;
}

export type CameraState = 'online' | 'degraded' | 'offline';

export interface PtzStatus {
  position: PtzVector;
  moving: boolean;
  /** ONVIF MoveStatus as reported: IDLE, MOVING or UNKNOWN. */
  panTilt: string;
  zoom: string;
  error?: string;
}

export interface CameraInfo {
  manufacturer: string;
  model: string;
  firmware: string;
  serial: string;
  profileToken: string;
  /** The stream to open: empty when the camera's answer was refused (`streamUriProblem`). */
  streamUri: string;
  /** Why the stream URI the camera answered is not opened (`checkStreamUri`). */
  streamUriProblem?: string;
  snapshotUri: string;
  /** Device clock minus ours, from GetSystemDateAndTime. */
  clockOffsetMs: number;
}

export type CameraEvents = {
  state: [state: CameraState, previous: CameraState, error?: Error];
  /** A move was started (continuous, absolute, preset or home). */
  moved: [kind: 'continuous' | 'absolute' | 'preset' | 'home', target?: string];
  /** The head reported IDLE after a move; carries where it stopped. */
  arrived: [position: PtzVector];
};

export interface MoveOptions {
  /** Stop after this long (the driver sends Stop itself too). Default 1,000 ms. */
  timeoutMs?: number;
}

/** A PTZ camera behind the seam; `OnvifCamera` implements it. */
export interface CameraDriver {
  readonly id: string;
  readonly state: CameraState;
  readonly info: CameraInfo | undefined;
  isMoving(): boolean;
  connect(): Promise<void>;
  getPresets(): Promise<CameraPreset[]>;
  /** `preset` is a token or a name. */
  recallPreset(preset: string, speed?: number): Promise<void>;
  /** Stores the current position under `name` (updates a preset with that name or token). */
  storePreset(name: string): Promise<CameraPreset>;
  removePreset(preset: string): Promise<void>;
  goHome(speed?: number): Promise<void>;
  setHome(): Promise<void>;
  continuousMove(velocity: PtzVector, options?: MoveOptions): Promise<void>;
  stop(): Promise<void>;
  absoluteMove(position: PtzVector, speed?: number): Promise<void>;
  getStatus(): Promise<PtzStatus>;
  close(): Promise<void>;
}
