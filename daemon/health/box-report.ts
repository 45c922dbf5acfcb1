import { statfs } from 'node:fs/promises';
import type { MicArrayDriver } from '../../devices/micarray/driver.ts';
import type { BroadcastRoom } from '../../pipeline/sfu/room.ts';
import type { Sfu } from '../../pipeline/sfu/sfu.ts';
import type { Studio } from '../broadcast/studio.ts';
import type { CameraService } from '../cameras/camera-service.ts';
import type { EdgeHub } from '../district/edge-hub.ts';
import type { EdgeRooms } from '../district/edge-rooms.ts';
import type { OriginLink } from '../district/origin-link.ts';
import type { RemoteRoom } from '../publish/remote-room.ts';
import type { ScheduleEngine } from '../schedule/engine.ts';
import type { BroadcastInfo } from '../signalling/protocol.ts';
import { readiness, type Readiness } from './readiness.ts';

/** A live lesson with no RTP out for this long stops the watchdog's pings (systemd restarts us). */
const LIVENESS_OUTPUT_MS = 60_000;

export interface BoxReportDeps {
  classroom: string;
  dataDir: string;
  recordingEnabled: boolean;
  /** A remote SFU this classroom publishes to, if any. */
  sfuUrl?: string;
  schedule: Pick<ScheduleEngine, 'status' | 'view'>;
  studio: Pick<Studio, 'pipeline' | 'layout' | 'program'>;
  cameras: Pick<CameraService, 'drivers'>;
  micArrays: readonly Pick<MicArrayDriver, 'id' | 'state'>[];
  sfu: () => Sfu | undefined;
  room: () => BroadcastRoom | undefined;
  remoteRoom: () => RemoteRoom | undefined;
  /** An origin SFU's edges. */
  edgeHub: () => EdgeHub | undefined;
  /** An edge SFU: its origin (URL and link) and the broadcasts it pulls. */
  edge: () => { origin: string; link: OriginLink; rooms: EdgeRooms } | undefined;
}

/**
 * What the box says about itself, read from its parts at the moment of asking: the status of
 * `GET /api/status`, readiness (`GET /readyz`, the console's health panel), the broadcast as
 * member pages see it, and the systemd watchdog's liveness.
 */
export class BoxReport {
  readonly #deps: BoxReportDeps;

  constructor(deps: BoxReportDeps) {
    this.#deps = deps;
  }

  /** Broadcast status for `GET /api/status`. */
  async status(): Promise<Record<string, unknown>> {
    const { classroom, schedule, studio, sfuUrl } = this.#deps;
    const sfu = this.#deps.sfu();
    const remote = this.#deps.remoteRoom();
    const viewers = await Promise.all(this.viewers().map((v) => v.stats()));
    const edge = this.#deps.edge();
    if (edge) {
      return {
        role: 'edge',
        origin: { url: edge.origin, link: edge.link.up ? 'online' : 'offline' },
        broadcasts: edge.rooms.holdings(),
        sfu: sfu && { workers: sfu.pool.liveIndexes().length, rooms: await roomFigures(sfu) },
        classrooms: viewers,
      };
    }
    const edges = await this.#deps.edgeHub()?.view();
    return {
      classroom,
      ...schedule.view(),
      layout: studio.layout,
      program: studio.program,
      pipeline: studio.pipeline ? { health: studio.pipeline.health } : { health: 'offline' },
      sfu: sfu
        ? { workers: sfu.pool.liveIndexes().length, spread: this.#deps.room()?.spread() ?? {}, rooms: await roomFigures(sfu) }
        : remote && { url: sfuUrl, link: remote.linkState },
      classrooms: viewers,
      ...(edges ? { edges } : {}),
    };
  }

  /** Whether the lesson is going out, and the state of every part of the box (`GET /readyz`). */
  async readiness(): Promise<Readiness> {
    const pipeline = this.#deps.studio.pipeline;
    const sfu = this.#deps.sfu();
    const remote = this.#deps.remoteRoom();
    const disk = await statfs(this.#deps.dataDir).catch(() => undefined);
    return readiness({
      broadcast: this.#deps.schedule.status().state,
      ...(pipeline ? { pipeline: { health: pipeline.health, figures: pipeline.figures() } } : {}),
      cameras: this.#deps.cameras.drivers().map((d) => ({ id: d.id, state: d.state })),
      micArrays: this.#deps.micArrays.map((a) => ({ id: a.id, state: a.state })),
      ...(sfu ? { sfu: { workers: sfu.pool.liveIndexes().length, configured: sfu.pool.size } } : remote ? { sfu: { link: remote.linkState } } : {}),
      recording: { enabled: this.#deps.recordingEnabled, active: pipeline?.recording !== undefined },
      ...(disk ? { diskFreeBytes: disk.bavail * disk.bsize } : {}),
      ...(this.#deps.edge() ? { originLink: this.#deps.edge()!.link.up } : {}),
    });
  }

  /** The broadcast as member classrooms and a remote SFU see it: state and lesson. */
  broadcastInfo(): BroadcastInfo {
    const { state, lesson } = this.#deps.schedule.status();
    return { state, lesson: lesson ? { id: lesson.id, title: lesson.title, endsAt: new Date(lesson.end).toISOString() } : undefined };
  }

  /**
   * For the systemd watchdog: false once a live lesson has had no output for a long time
   * although the compositor keeps being restarted, which only a fresh daemon might cure.
   */
  outputAlive(): boolean {
    const pipeline = this.#deps.studio.pipeline;
    if (this.#deps.schedule.status().state !== 'live' || !pipeline) return true;
    return pipeline.figures().sinceOutputMs < LIVENESS_OUTPUT_MS;
  }

  /** Member classrooms on every room of this SFU (one room embedded, one per publisher otherwise). */
  viewers() {
    return (this.#deps.sfu()?.rooms() ?? []).flatMap((room) => room.viewers());
  }
}

/** Each room of an SFU: whether it is fed, what its feed takes in, its classrooms and pipes to edges. */
function roomFigures(sfu: Sfu) {
  return Promise.all(
    sfu.rooms().map(async (room) => ({
      id: room.id,
      publishing: room.publishing,
      feed: await room.feedFigures(),
      classrooms: room.viewerCount,
      edgePipes: room.pipes().length,
    })),
  );
}
