import { mkdir, writeFile } from 'node:fs/promises';
import { createServer, type Server } from 'node:http';
import { join } from 'node:path';
import type { Logger } from 'pino';
import { RtspRelay } from './rtsp-relay.ts';
import { SimVideo } from './video.ts';

export interface SimCameraOptions {
  id: string;
  name: string;
  /** Presets and scratch files live here. */
  dataDir: string;
  /** Address to listen on and to advertise (default 127.0.0.1). */
  host?: string;
  user: string;
  password: string;
  logger: Logger;
  width?: number;
  height?: number;
  fps?: number;
}

export interface SimCamera {
  readonly id: string;
  readonly name: string;
  /** ONVIF device service URL. */
  readonly xaddr: string;
  /** What GetStreamUri answers: the relay's client URL. */
  readonly rtspUrl: string;
  close(): Promise<void>;
}

/** Starts a simulated camera: ONVIF over HTTP, and its picture over RTSP. */
export async function startSimCamera(options: SimCameraOptions): Promise<SimCamera> {
  const host = options.host ?? '127.0.0.1';
  const logger = options.logger.child({ component: 'sim-camera', camera: options.id });
  const width = options.width ?? 640;
  const height = options.height ?? 360;
  const fps = options.fps ?? 15;
  const workDir = join(options.dataDir, `sim-camera-${options.id}`);
  await mkdir(workDir, { recursive: true });
  const titleFile = join(workDir, 'title.txt');
  await writeFile(titleFile, options.name);

  const relay = new RtspRelay({ name: options.id, host, logger });
  const http: Server = createServer((_req, res) => {
    res.writeHead(503).end();
  });
  let video: SimVideo | undefined;
  const cleanup = async () => {
    await video?.close();
    await relay.close();
    await new Promise<void>((resolve) => http.close(() => resolve()));
  };
  try {
    await relay.start();
    const path = encodeURIComponent(options.id);
    video = new SimVideo({ name: options.id, publishUrl: relay.sourceUrl(path), width, height, fps, titleFile, logger });
    await video.start();
    await new Promise<void>((resolve, reject) => {
      http.once('error', reject);
      http.listen(0, host, () => resolve());
    });
  } catch (error) {
    await cleanup();
    throw error;
  }
  const address = http.address();
  const port = typeof address === 'object' && address ? address.port : 0;
  let closing: Promise<void> | undefined;
  return {
    id: options.id,
    name: options.name,
    xaddr: `http://${host}:${port}/onvif/device_service`,
    rtspUrl: relay.clientUrl(encodeURIComponent(options.id)),
    close: () => (closing ??= cleanup()),
  };
}
