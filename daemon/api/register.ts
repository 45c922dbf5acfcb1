import type { FastifyInstance } from 'fastify';
import type { RecordingInfo } from '../../pipeline/media/recording-catalogue.ts';
import type { AudioService } from '../audio/service.ts';
import type { AuditLog } from '../audit/audit-log.ts';
import type { JoinTokens } from '../auth/join-tokens.ts';
import type { Studio } from '../broadcast/studio.ts';
import type { CameraService } from '../cameras/camera-service.ts';
import type { Director } from '../director/director.ts';
import type { ScheduleEngine } from '../schedule/engine.ts';
import type { TalkbackDesk } from '../talkback/desk.ts';
import { audioRoutes } from './routes/audio.ts';
import { auditRoutes } from './routes/audit.ts';
import { broadcastRoutes } from './routes/broadcast.ts';
import { cameraRoutes } from './routes/cameras.ts';
import { directorRoutes } from './routes/director.ts';
import { joinTokenRoutes } from './routes/join-tokens.ts';
import { layoutRoutes } from './routes/layout.ts';
import { programRoutes } from './routes/program.ts';
import { recordingRoutes } from './routes/recordings.ts';
import { scheduleRoutes } from './routes/schedule.ts';
import { statusRoutes } from './routes/status.ts';
import { talkbackRoutes } from './routes/talkback.ts';

/**
 * What the API reaches of the box: the daemon has all of it, but the routes depend on this
 * shape only (no import of the composition root from the routes).
 */
export interface ApiHost {
  status(): Promise<Record<string, unknown>>;
  readonly studio: Pick<Studio, 'layout' | 'setLayout' | 'program' | 'sources' | 'setProgram' | 'cut'>;
  /** A technician's hand on a camera, the layout or the program pauses voice tracking. */
  manualOverride(): void;
  readonly cameras: CameraService;
  readonly audio: AudioService;
  readonly director: Director | undefined;
  readonly audit: AuditLog;
  listRecordings(): Promise<RecordingInfo[]>;
  readonly recordingDir: string;
  readonly schedule: ScheduleEngine;
  readonly joinTokens: JoinTokens;
  readonly talkback: Pick<TalkbackDesk, 'list' | 'accept' | 'end'>;
  readonly talkbackLine: { preview(id: string): Promise<Buffer | undefined> } | undefined;
  readonly config: { readonly site: { readonly classroom: string } };
  /** Where a member classroom's link points (its edge's URL, or this SFU's). */
  memberBaseFor(classroom: string): string;
}

/** Every `/api` route module, each with its own slice of the box. */
export function registerApiRoutes(api: FastifyInstance, daemon: ApiHost): void {
  statusRoutes(api, { status: () => daemon.status() });
  layoutRoutes(api, {
    current: () => daemon.studio.layout,
    set: async (layout) => {
      daemon.manualOverride();
      await daemon.studio.setLayout(layout);
    },
  });
  programRoutes(api, {
    current: () => daemon.studio.program,
    sources: () => daemon.studio.sources,
    set: (change) => (daemon.manualOverride(), daemon.studio.setProgram(change)),
    cut: (source) => (daemon.manualOverride(), daemon.studio.cut(source)),
  });
  const cameras = daemon.cameras;
  cameraRoutes(api, {
    cameras: {
      list: () => cameras.list(),
      // Every hand on a camera pauses voice tracking first, so it cannot fight the technician.
      recallPreset: (id, preset, speed) => (daemon.manualOverride(), cameras.recallPreset(id, preset, speed)),
      storePreset: (id, name) => (daemon.manualOverride(), cameras.storePreset(id, name)),
      move: (id, velocity, timeoutMs) => (daemon.manualOverride(), cameras.move(id, velocity, timeoutMs)),
      stop: (id) => (daemon.manualOverride(), cameras.stop(id)),
    },
  });
  audioRoutes(api, { audio: daemon.audio });
  directorRoutes(api, { director: () => daemon.director });
  auditRoutes(api, { read: (limit) => daemon.audit.read(limit) });
  recordingRoutes(api, { list: () => daemon.listRecordings(), dir: () => daemon.recordingDir });
  scheduleRoutes(api, { engine: daemon.schedule });
  broadcastRoutes(api, { engine: daemon.schedule });
  talkbackRoutes(api, { desk: daemon.talkback, preview: async (id) => daemon.talkbackLine?.preview(id) });
  joinTokenRoutes(api, {
    joinTokens: daemon.joinTokens,
    broadcast: daemon.config.site.classroom,
    publicUrl: (classroom) => daemon.memberBaseFor(classroom),
  });
}
