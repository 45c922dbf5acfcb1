import { mkdir } from 'node:fs/promises';
import { join } from 'node:path';
import type { Logger } from 'pino';
import type { CameraPreset, PtzVector } from '../types.ts';
import { DiscoveryResponder } from './discovery-responder.ts';
import { VirtualHead } from './head.ts';
import { OnvifServer } from './onvif-server.ts';
import { Picture } from './picture.ts';
import { PresetStore } from './preset-store.ts';
import { RtspRelay } from './rtsp-relay.ts';
import { SimVideo } from './video.ts';

export interface SimCameraOptions {
  id: string;
  name: string;
  /** Presets (`sim-camera-<id>/presets.json`) and scratch files live here. */
  dataDir: string;
  /** Address to listen on and to advertise (default 127.0.0.1). */
  host?: string;
  user: string;
  /** Never logged. */
  password: string;
  logger: Logger;
  width?: number;
  height?: number;
  fps?: number;
  /** SOAP port; 0 (default) picks a free one. */
  onvifPort?: number;
  /** The device clock runs this far ahead of ours (tests of the client's clock offset). */
  clockOffsetMs?: number;
  /** Accepted UsernameToken clock skew (default 5 min). */
  authWindowMs?: number;
  /** Answer WS-Discovery probes; `port: 0` listens on a free unicast port (tests). */
  discovery?: { port?: number; multicast?: boolean };
  /** Presets made on first start (default: three classroom positions). */
  defaultPresets?: { name: string; position: PtzVector }[];
  /** Without video: ONVIF only (fast protocol tests). */
  video?: boolean;
  /** Stamp each frame with its creation time (glass-to-glass benchmark); off by default. */
  stampTime?: boolean;
}

export interface SimCamera {
  readonly id: string;
  readonly name: string;
  /** ONVIF device service URL. */
  readonly xaddr: string;
  /** What GetStreamUri answers: the relay's client URL ('' without video). */
  readonly rtspUrl: string;
  readonly onvifPort: number;
  /** The WS-Discovery responder's UDP port, when discovery is on. */
  readonly discoveryPort: number | undefined;
  /** The head's current position (tests and the CLI). */
  position(): PtzVector;
  presets(): CameraPreset[];
  /** What the picture's label says now. */
  label(): string;
  /** Stops answering SOAP (a camera dropping off the network); the video keeps running. */
  suspend(): Promise<void>;
  /** Answers SOAP again on the same port. */
  resume(): Promise<void>;
  close(): Promise<void>;
}

const DEFAULT_PRESETS = [
  { name: 'Overview', position: { pan: 0, tilt: 0, zoom: 0 } },
  { name: 'Blackboard', position: { pan: -0.6, tilt: 0.3, zoom: 0.5 } },
  { name: 'Lectern', position: { pan: 0.6, tilt: -0.2, zoom: 0.7 } },
];

/** Starts a simulated PTZ camera: ONVIF over HTTP, WS-Discovery, and its picture over RTSP. */
export async function startSimCamera(options: SimCameraOptions): Promise<SimCamera> {
  const host = options.host ?? '127.0.0.1';
  const logger = options.logger.child({ component: 'sim-camera', camera: options.id });
  const width = options.width ?? 640;
  const height = options.height ?? 360;
  const fps = options.fps ?? 15;
  const withVideo = options.video ?? true;
  const workDir = join(options.dataDir, `sim-camera-${options.id}`);
  await mkdir(workDir, { recursive: true });

  const presets = new PresetStore(join(workDir, 'presets.json'));
  await presets.load((options.defaultPresets ?? DEFAULT_PRESETS).map((p, i) => ({ token: `preset_${i + 1}`, ...p })));
  const head = new VirtualHead({ initial: presets.home });
  const picture = new Picture(width, height, join(workDir, 'label.txt'), { stampTime: options.stampTime ?? false });
  head.on('change', (position) => picture.setPosition(position));

  const relay = withVideo ? new RtspRelay({ name: options.id, host, logger }) : undefined;
  let video: SimVideo | undefined;
  let discovery: DiscoveryResponder | undefined;
  const server = new OnvifServer({
    host,
    port: options.onvifPort ?? 0,
    user: options.user,
    password: options.password,
    ...(options.authWindowMs !== undefined ? { authWindowMs: options.authWindowMs } : {}),
    logger,
    snapshot: () => picture.snapshot(),
    context: {
      rtspUrl: '',
      info: { manufacturer: 'classcast', model: 'SimPTZ', firmware: '1.0', serial: `SIM-${options.id}`, hardware: 'sim' },
      width,
      height,
      fps,
      head,
      presets,
      now: () => new Date(Date.now() + (options.clockOffsetMs ?? 0)),
      onPreset: (name) => picture.setPreset(name),
    },
  });

  const cleanup = async () => {
    head.close();
    await discovery?.close();
    await server.close();
    await video?.close();
    picture.stop();
    await relay?.close();
  };
  try {
    await server.listen();
    if (relay) {
      await relay.start();
      await picture.render(options.name, join(workDir, 'title.txt'));
      const path = encodeURIComponent(options.id);
      server.setRtspUrl(relay.clientUrl(path));
      video = new SimVideo({
        name: options.id,
        publishUrl: relay.sourceUrl(path),
        width,
        height,
        fps,
        titleFile: join(workDir, 'title.txt'),
        input: () => picture.inputArgs(fps),
        filters: () => [picture.labelFilter()],
        stdin: 'pipe',
        logger,
      });
      video.supervisor.on('spawn', (child) => picture.attach(child));
      picture.start(fps);
      await video.start();
    }
    if (options.discovery) {
      discovery = new DiscoveryResponder({
        host,
        port: options.discovery.port ?? 3702,
        multicast: options.discovery.multicast ?? false,
        xaddr: `${server.baseUrl}/onvif/device_service`,
        name: options.name,
        uuid: options.id,
        logger,
      });
      await discovery.start();
    }
  } catch (error) {
    await cleanup();
    throw error;
  }

  let closing: Promise<void> | undefined;
  return {
    id: options.id,
    name: options.name,
    xaddr: `${server.baseUrl}/onvif/device_service`,
    rtspUrl: relay ? relay.clientUrl(encodeURIComponent(options.id)) : '',
    onvifPort: server.port,
    discoveryPort: discovery?.port,
    position: () => head.position,
    presets: () => presets.list(),
    label: () => picture.label,
    suspend: () => server.close(),
    resume: () => server.listen(),
    close: () => (closing ??= cleanup()),
  };
}
