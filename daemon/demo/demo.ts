import { mkdir, writeFile } from 'node:fs/promises';
import path from 'node:path';
import type { Logger } from 'pino';
import { parseConfig } from '../../config/load.ts';
import { startSimCamera, type SimCamera } from '../../devices/camera/sim/index.ts';
import { Daemon } from '../daemon.ts';
import { DEMO_CONFIG_PATH, freshDemoSecrets, readDemoConfig } from './demo-config.ts';

export interface DemoOptions {
  /** API port; 0 picks a free one. Default from config/demo.yaml. */
  port?: number;
  dataDir?: string;
  logger: Logger;
  logLevel?: string;
}

export interface DemoInfo {
  consoleUrl: string;
  classroomUrl: string;
  apiBase: string;
  technicianToken: string;
}

export interface RunningDemo {
  daemon: Daemon;
  cameras: SimCamera[];
  info: DemoInfo;
  close(): Promise<void>;
}

const SIM_CAMERAS = [
  { id: 'teacher-cam', name: 'Teacher camera', role: 'teacher' },
  { id: 'students-cam', name: 'Students camera', role: 'students' },
] as const;

/**
 * The embedded default: simulated cameras, the pipeline, the SFU and both pages on
 * 127.0.0.1, with a lesson live from the start.
 */
export async function startDemo(options: DemoOptions): Promise<RunningDemo> {
  const raw = readDemoConfig();
  const secrets = freshDemoSecrets();
  const baseDir = path.dirname(DEMO_CONFIG_PATH);
  const dataDir = path.resolve(baseDir, options.dataDir ?? String(raw.dataDir ?? '../var/demo'));
  await mkdir(dataDir, { recursive: true });
  const logger = options.logger;
  const cameras: SimCamera[] = [];
  let daemon: Daemon | undefined;
  const close = async () => {
    await daemon?.close();
    await Promise.all(cameras.map((c) => c.close()));
  };
  try {
    for (const cam of SIM_CAMERAS) {
      cameras.push(
        await startSimCamera({
          id: cam.id,
          name: cam.name,
          dataDir: path.join(dataDir, 'sim'),
          user: 'admin',
          password: secrets.cameraPassword,
          logger,
          width: 640,
          height: 360,
          fps: 15,
        }),
      );
    }
    const config = parseConfig(
      {
        ...raw,
        dataDir,
        logLevel: options.logLevel ?? raw.logLevel,
        api: {
          ...(raw.api as object),
          ...(options.port !== undefined ? { port: options.port } : {}),
          tokens: [
            { name: 'demo technician', role: 'technician', token: secrets.technicianToken },
            { name: 'demo viewer', role: 'viewer', token: secrets.viewerToken },
          ],
        },
        cameras: SIM_CAMERAS.map((cam, i) => ({
          id: cam.id,
          name: cam.name,
          role: cam.role,
          xaddr: cameras[i]!.xaddr,
          user: 'admin',
          password: secrets.cameraPassword,
          streamUri: cameras[i]!.rtspUrl,
        })),
      },
      DEMO_CONFIG_PATH,
      baseDir,
    );
    daemon = new Daemon(config, logger, { configDir: baseDir });
    await daemon.start();
    // A manual lesson, as a technician would start one; a demo restarted inside it resumes.
    if (daemon.schedule.status().state === 'idle') {
      await daemon.schedule.startManual({ title: 'Demo lesson', minutes: 600, by: 'demo' });
    }
    const member = daemon.joinTokens.issue('demo member classroom', config.site.classroom, 7 * 24 * 60);
    const urls = daemon.urls;
    const info: DemoInfo = {
      consoleUrl: `${urls.consoleUrl}?token=${encodeURIComponent(secrets.technicianToken)}`,
      classroomUrl: `${urls.classroomUrl}?token=${encodeURIComponent(member.token)}`,
      apiBase: urls.apiBase,
      technicianToken: secrets.technicianToken,
    };
    return { daemon, cameras, info, close };
  } catch (error) {
    await close();
    throw error;
  }
}

export async function writeInfoFile(file: string, info: DemoInfo): Promise<void> {
  const tmp = `${file}.tmp-${process.pid}`;
  await writeFile(tmp, `${JSON.stringify(info, null, 2)}\n`, { mode: 0o600 });
  const { rename } = await import('node:fs/promises');
  await rename(tmp, file);
}
