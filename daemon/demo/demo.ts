import { mkdir, writeFile } from 'node:fs/promises';
import path from 'node:path';
import type { Logger } from 'pino';
import { parseConfig } from '../../config/load.ts';
import type { Layout } from '../../config/schema/pipeline.ts';
import { startSimCamera, type SimCamera } from '../../devices/camera/sim/index.ts';
import { startMicArraySimulator, type MicArraySimulator } from '../../devices/micarray/simulator/simulator.ts';
import { Daemon } from '../daemon.ts';
import { DEMO_CONFIG_PATH, freshDemoSecrets, readDemoConfig } from './demo-config.ts';

export interface DemoOptions {
  /** API port; 0 picks a free one. Default from config/demo.yaml. */
  port?: number;
  dataDir?: string;
  logger: Logger;
  logLevel?: string;
  /**
   * Simulated cameras stamp each frame with its creation time, and the teacher's voice is a
   * stamped beep on each second with the other voices muted (`classcast bench glass`).
   */
  stampTime?: boolean;
  /** Overrides the configured starting layout. */
  layout?: Layout;
  /** Overrides the configured canvas (`bench glass` measures at the schema's default). */
  canvas?: { width: number; height: number; fps: number };
  /**
   * Size and rate of the first (teacher) camera; the others stay at the demo's 640x360 at
   * 15 fps. `bench glass` films the teacher at the canvas size and keeps the rest of the
   * simulated room light, so the cameras it simulates do not eat the box it measures.
   */
  teacherCamera?: { width: number; height: number; fps: number };
  /** Voice tracking on (default, as configured) or off (a measurement that must not cut). */
  director?: boolean;
  /**
   * The address the API, the pages and the SFU listen on (default the config's 127.0.0.1);
   * `bench glass` gives the host end of a shaped link, so a classroom behind it can join.
   */
  host?: string;
  /** Member classrooms may raise their hand and be put on air (`bench return`). */
  talkback?: boolean;
}

export interface DemoInfo {
  consoleUrl: string;
  classroomUrl: string;
  apiBase: string;
  technicianToken: string;
  /** Read-only: status, cameras, audio, schedule, recordings. */
  viewerToken: string;
}

export interface RunningDemo {
  daemon: Daemon;
  cameras: SimCamera[];
  micArray: MicArraySimulator | undefined;
  info: DemoInfo;
  close(): Promise<void>;
}

/** Stored positions the simulated heads start with (pan/tilt −1…1, zoom 0…1). */
const DEMO_PRESETS: Record<string, { name: string; position: { pan: number; tilt: number; zoom: number } }[]> = {
  'teacher-cam': [
    { name: 'overview', position: { pan: 0, tilt: 0, zoom: 0 } },
    { name: 'board', position: { pan: -0.5, tilt: 0.2, zoom: 0.5 } },
    { name: 'desk', position: { pan: 0.4, tilt: -0.3, zoom: 0.6 } },
  ],
  'students-cam': [
    { name: 'overview', position: { pan: 0, tilt: 0, zoom: 0 } },
    { name: 'zone-1', position: { pan: -0.6, tilt: -0.2, zoom: 0.6 } },
    { name: 'zone-2', position: { pan: -0.2, tilt: -0.2, zoom: 0.6 } },
    { name: 'zone-3', position: { pan: 0.2, tilt: -0.2, zoom: 0.6 } },
    { name: 'zone-4', position: { pan: 0.6, tilt: -0.2, zoom: 0.6 } },
  ],
};

/** Who talks in the demo: zone 1, silence, zone 3, silence, … (long enough for every rule). */
const TALKER_SCRIPT = [
  { zone: 1, ms: 6_000 },
  { zone: 0, ms: 14_000 },
  { zone: 3, ms: 6_000 },
  { zone: 0, ms: 14_000 },
];

interface RawCamera {
  id: string;
  name: string;
  role?: string;
}

interface RawChannel {
  id: string;
  role?: string;
  source?: { kind?: string };
}

/**
 * The demo's voices for a measurement: the teacher's (the first teacher channel) a stamped
 * 1 kHz beep on each second of the wall clock, the others muted so the beeps stand alone.
 */
export function stampedSound(channels: RawChannel[]): RawChannel[] {
  const teacher = channels.find((c) => (c.role ?? 'teacher') === 'teacher');
  return channels.map((c) => (c === teacher ? { ...c, source: { kind: 'tone', frequency: 1000, stamped: true } } : { ...c, muted: true }));
}

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
  let micArray: MicArraySimulator | undefined;
  let daemon: Daemon | undefined;
  const close = async () => {
    await daemon?.close();
    await Promise.all([micArray?.close(), ...cameras.map((c) => c.close())]);
  };
  const rawCameras = (raw.cameras ?? []) as RawCamera[];
  const rawArrays = (raw.micArrays ?? []) as Record<string, unknown>[];
  try {
    for (const [index, cam] of rawCameras.entries()) {
      const size = (index === 0 ? options.teacherCamera : undefined) ?? { width: 640, height: 360, fps: 15 };
      cameras.push(
        await startSimCamera({
          id: cam.id,
          name: cam.name,
          dataDir: path.join(dataDir, 'sim'),
          user: 'admin',
          password: secrets.cameraPassword,
          logger,
          ...size,
          defaultPresets: DEMO_PRESETS[cam.id] ?? [],
          stampTime: options.stampTime ?? false,
        }),
      );
    }
    if (rawArrays.length > 0) {
      micArray = await startMicArraySimulator({
        protocol: rawArrays[0]!.protocol as 'shure-ascii',
        channels: Number(rawArrays[0]!.channels ?? 4),
        script: TALKER_SCRIPT,
        loop: true,
        dir: path.join(dataDir, 'sim'),
        logger,
      });
    }
    const config = parseConfig(
      {
        ...raw,
        dataDir,
        logLevel: options.logLevel ?? raw.logLevel,
        pipeline: {
          ...(raw.pipeline as object),
          ...(options.layout ? { layout: options.layout } : {}),
          ...(options.canvas ?? {}),
          ...(options.stampTime ? { audioChannels: stampedSound((raw.pipeline as { audioChannels?: RawChannel[] }).audioChannels ?? []) } : {}),
        },
        ...(options.director === false ? { director: { ...(raw.director as object), enabled: false } } : {}),
        ...(options.host ? { sfu: { ...(raw.sfu as object), listenIp: options.host } } : {}),
        ...(options.talkback ? { talkback: { ...(raw.talkback as object), enabled: true } } : {}),
        api: {
          ...(raw.api as object),
          ...(options.host ? { host: options.host } : {}),
          ...(options.port !== undefined ? { port: options.port } : {}),
          tokens: [
            { name: 'demo technician', role: 'technician', token: secrets.technicianToken },
            { name: 'demo viewer', role: 'viewer', token: secrets.viewerToken },
          ],
        },
        // The daemon finds each picture through ONVIF GetStreamUri, as with real cameras.
        cameras: rawCameras.map((cam, i) => ({ ...cam, xaddr: cameras[i]!.xaddr, user: 'admin', password: secrets.cameraPassword })),
        micArrays: rawArrays.map((array, i) => (i === 0 && micArray ? { ...array, path: micArray.devicePath } : array)),
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
      viewerToken: secrets.viewerToken,
    };
    return { daemon, cameras, micArray, info, close };
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
