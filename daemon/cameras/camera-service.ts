import type { Logger } from 'pino';
import type { CameraConfig } from '../../config/schema/cameras.ts';
import { ClasscastError, InvalidStateError } from '../../config/foundation/errors.ts';
import { redactUrlCredentials } from '../../config/foundation/redact-url.ts';
import { OnvifCamera } from '../../devices/camera/onvif/onvif-camera.ts';
import type { CameraPreset, CameraState, PtzVector } from '../../devices/camera/types.ts';
import type { EventBus } from '../events/bus.ts';

/** A camera as `GET /api/cameras` shows it. */
export interface CameraView {
  id: string;
  name: string;
  role: string;
  state: CameraState;
  moving: boolean;
  streamUri?: string;
  /** Why the stream the camera named is not opened (no `streamUri` in the config to use instead). */
  streamUriProblem?: string;
  presets: { token: string; name: string }[];
  position?: PtzVector;
  lastError?: { code: string; message: string };
}

export interface CameraServiceDeps {
  logger: Logger;
  bus: EventBus;
  /** Makes the driver for one camera; the default is the ONVIF driver. */
  createDriver?: (config: CameraConfig, logger: Logger) => OnvifCamera;
}

interface Entry {
  config: CameraConfig;
  driver: OnvifCamera;
  presets: CameraPreset[];
  position?: PtzVector;
}

/**
 * The cameras of this classroom: one driver each, kept connected by the drivers themselves.
 * Publishes `camera.state`, `camera.moved` and `camera.arrived` on the daemon bus.
 */
export class CameraService {
  readonly #entries = new Map<string, Entry>();
  readonly #logger: Logger;
  readonly #bus: EventBus;
  #closed = false;

  constructor(configs: readonly CameraConfig[], deps: CameraServiceDeps) {
    this.#logger = deps.logger.child({ component: 'cameras' });
    this.#bus = deps.bus;
    const create =
      deps.createDriver ??
      ((config: CameraConfig, logger: Logger) =>
        new OnvifCamera({ id: config.id, xaddr: config.xaddr, user: config.user, password: config.password, requestTimeoutMs: config.requestTimeoutMs, logger }));
    for (const config of configs) {
      const driver = create(config, deps.logger);
      const entry: Entry = { config, driver, presets: [] };
      this.#entries.set(config.id, entry);
      driver.on('state', (state, previous, error) => {
        this.#bus.publish({ type: 'camera.state', camera: config.id, state, previous, ...(error ? { error: codeOf(error) } : {}) });
        if (state === 'online') void this.#refresh(entry);
      });
      driver.on('moved', (kind, target) => this.#bus.publish({ type: 'camera.moved', camera: config.id, kind, ...(target ? { target } : {}) }));
      driver.on('arrived', (position) => {
        entry.position = position;
        this.#bus.publish({ type: 'camera.arrived', camera: config.id, position });
      });
    }
  }

  /** Starts connecting every camera; never throws (a camera that is away stays offline and retries). */
  async start(): Promise<void> {
    await Promise.all([...this.#entries.values()].map((e) => e.driver.connect().catch(() => {})));
  }

  /** The drivers, e.g. for the director (they have `recallPreset`, `isMoving`, `moved`/`arrived`). */
  drivers(): OnvifCamera[] {
    return [...this.#entries.values()].map((e) => e.driver);
  }

  /** A camera's driver; NOT_FOUND for an unknown id. */
  get(id: string): OnvifCamera {
    return this.#entry(id).driver;
  }

  /** The RTSP URI to ingest: the config's override, else what the camera said. */
  streamUri(id: string): string | undefined {
    const entry = this.#entry(id);
    return entry.config.streamUri ?? entry.driver.info?.streamUri;
  }

  async list(): Promise<CameraView[]> {
    this.#assertOpen();
    await Promise.all(
      [...this.#entries.values()].filter((e) => e.driver.state !== 'offline').map((e) => this.#refresh(e)),
    );
    return [...this.#entries.values()].map((e) => this.#view(e));
  }

  async recallPreset(id: string, preset: string, speed?: number): Promise<void> {
    await this.#entry(id).driver.recallPreset(preset, speed);
  }

  async storePreset(id: string, name: string): Promise<CameraPreset> {
    const entry = this.#entry(id);
    const stored = await entry.driver.storePreset(name);
    await this.#refresh(entry);
    return stored;
  }

  async move(id: string, velocity: PtzVector, timeoutMs?: number): Promise<void> {
    await this.#entry(id).driver.continuousMove(velocity, timeoutMs === undefined ? {} : { timeoutMs });
  }

  async stop(id: string): Promise<void> {
    await this.#entry(id).driver.stop();
  }

  async close(): Promise<void> {
    if (this.#closed) return;
    this.#closed = true;
    await Promise.all([...this.#entries.values()].map((e) => e.driver.close()));
  }

  #entry(id: string): Entry {
    this.#assertOpen();
    const entry = this.#entries.get(id);
    if (!entry) throw new ClasscastError('NOT_FOUND', `no camera "${id}"`);
    return entry;
  }

  #assertOpen(): void {
    if (this.#closed) throw new InvalidStateError('camera service closed');
  }

  async #refresh(entry: Entry): Promise<void> {
    try {
      const [presets, status] = await Promise.all([entry.driver.getPresets(), entry.driver.getStatus()]);
      entry.presets = presets;
      entry.position = status.position;
    } catch (error) {
      this.#logger.debug({ camera: entry.config.id, code: codeOf(error).code }, 'camera refresh failed');
    }
  }

  #view(entry: Entry): CameraView {
    const { config, driver } = entry;
    const error = driver.state === 'online' ? undefined : driver.lastError;
    // The camera's answer may carry its password in the URI; no API reader needs it.
    const raw = config.streamUri ?? driver.info?.streamUri;
    const streamUri = raw && redactUrlCredentials(raw);
    return {
      id: config.id,
      name: config.name,
      role: config.role,
      state: driver.state,
      moving: driver.isMoving(),
      ...(streamUri ? { streamUri } : {}),
      ...(!config.streamUri && driver.info?.streamUriProblem ? { streamUriProblem: driver.info.streamUriProblem } : {}),
      presets: entry.presets.map((p) => ({ token: p.token, name: p.name })),
      ...(entry.position ? { position: entry.position } : {}),
      ...(error ? { lastError: codeOf(error) } : {}),
    };
  }
}

function codeOf(error: unknown): { code: string; message: string } {
  return error instanceof ClasscastError ? { code: error.code, message: error.message } : { code: 'INTERNAL', message: String(error) };
}
