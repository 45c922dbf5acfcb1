import { readFileSync } from 'node:fs';
import type { AddressInfo } from 'node:net';
import path from 'node:path';
import type { FastifyInstance } from 'fastify';
import type { Logger } from 'pino';
import type { Config } from '../config/schema/index.ts';
import type { MicArrayDriver } from '../devices/micarray/driver.ts';
import { createMicArrays } from '../devices/micarray/factory.ts';
import { listRecordings } from '../pipeline/media/recording-catalogue.ts';
import { minusSsrc, pipelineLayers } from '../pipeline/media/targets.ts';
import type { IngestPlan } from '../pipeline/sfu/codecs.ts';
import type { BroadcastRoom } from '../pipeline/sfu/room.ts';
import { Sfu } from '../pipeline/sfu/sfu.ts';
import { AudioService } from './audio/service.ts';
import { AuditLog } from './audit/audit-log.ts';
import { bearerToken } from './auth/bearer.ts';
import { JoinTokens } from './auth/join-tokens.ts';
import { loadOrCreateSecret } from './auth/secret-file.ts';
import { TokenStore } from './auth/token-store.ts';
import { BroadcastController } from './broadcast/controller.ts';
import { lessonSetup } from './broadcast/lesson-setup.ts';
import { openMediaSession } from './broadcast/media-session.ts';
import { Studio } from './broadcast/studio.ts';
import { CameraService } from './cameras/camera-service.ts';
import type { Director } from './director/director.ts';
import { createDirector, publishDirectorEvents } from './director/factory.ts';
import { EdgeHub } from './district/edge-hub.ts';
import { EdgeRooms } from './district/edge-rooms.ts';
import { OriginLink } from './district/origin-link.ts';
import { EventBus } from './events/bus.ts';
import { BoxReport } from './health/box-report.ts';
import { HealthWatch } from './health/health-watch.ts';
import type { Readiness } from './health/readiness.ts';
import { buildApp } from './http/app.ts';
import { closeAll, type Closer } from './lifecycle/close-all.ts';
import { Metrics } from './metrics/metrics.ts';
import { PublisherHub } from './publish/publisher-hub.ts';
import { RemoteRoom } from './publish/remote-room.ts';
import { createScheduleEngine, type ScheduleEngine } from './schedule/index.ts';
import { TalkbackDesk } from './talkback/desk.ts';
import { TalkbackLine } from './talkback/line.ts';
import { MemberSignalling } from './signalling/member-signalling.ts';
import { registerWhep } from './whep/whep-routes.ts';
import { EventsHub } from './ws/events-hub.ts';
import { SocketRouter } from './ws/socket-router.ts';

/** A stop finishes within this (ms), parts that hang left behind; the systemd unit allows 30 s. */
const SHUTDOWN_DEADLINE_MS = 20_000;

export interface DaemonOptions {
  /** Directory of the config file, for relative paths in it (iCalendar files). */
  configDir?: string;
}

export interface DaemonUrls {
  apiBase: string;
  consoleUrl: string;
  classroomUrl: string;
  /** Base URL of the server that serves the member-classroom page (this one, or the remote SFU). */
  memberBase: string;
}

/**
 * The composition root: builds every component from the frozen config, wires them, and
 * closes them in one order (API → pipelines → SFU → devices). Nothing listens before
 * `start()`, and nothing in here ever exits the process.
 */
export class Daemon {
  readonly config: Readonly<Config>;
  readonly logger: Logger;
  readonly bus = new EventBus();
  readonly audit: AuditLog;
  readonly tokens: TokenStore;
  readonly joinTokens: JoinTokens;
  readonly broadcast: BroadcastController;
  readonly studio: Studio;
  readonly plan: IngestPlan;
  readonly schedule: ScheduleEngine;
  readonly recordingDir: string;
  readonly cameras: CameraService;
  readonly micArrays: MicArrayDriver[];
  readonly audio: AudioService;
  /** Member classrooms' raised hands (talk-back). */
  readonly talkback: TalkbackDesk;
  /** The rooms on air, linked into the program (with talk-back on this box's own SFU). */
  talkbackLine: TalkbackLine | undefined;
  /** What the box says about itself: status, readiness, the broadcast for member pages. */
  readonly report: BoxReport;
  director: Director | undefined;
  sfu: Sfu | undefined;
  room: BroadcastRoom | undefined;
  /** classroom role publishing to a remote SFU (`sfu.url`): this broadcast's room there. */
  remoteRoom: RemoteRoom | undefined;
  #publishers: PublisherHub | undefined;
  /** An origin SFU: the edges pulling from it. */
  edgeHub: EdgeHub | undefined;
  /** An edge SFU: its link to the origin, and the broadcasts it pulls. */
  originLink: OriginLink | undefined;
  edgeRooms: EdgeRooms | undefined;
  #app: FastifyInstance | undefined;
  #sockets: SocketRouter | undefined;
  #signalling: MemberSignalling | undefined;
  #events: EventsHub | undefined;
  #metrics: Metrics | undefined;
  #closers: Closer[] = [];
  #closed = false;
  #apiBase = '';

  constructor(config: Readonly<Config>, logger: Logger, options: DaemonOptions = {}) {
    this.config = config;
    this.logger = logger;
    this.audit = new AuditLog(config.dataDir);
    this.tokens = new TokenStore(config.api.tokens);
    this.joinTokens = new JoinTokens(config.api.joinTokenSecret ?? loadOrCreateSecret(path.join(config.dataDir, 'join-token.key')));
    const talkbackPlaces = talkbackPlacesOf(config);
    this.studio = new Studio(config.pipeline, config.cameras, talkbackPlaces);
    this.studio.onProgram = (program) => this.bus.publish({ type: 'program.changed', ...program });
    this.plan = {
      videoPayloadType: 102,
      layers: pipelineLayers(config.pipeline),
      audioPayloadType: 100,
      audioSsrc: 0x1111_0001,
      ...(talkbackPlaces > 0 ? { minusSsrcs: Array.from({ length: talkbackPlaces }, (_, k) => minusSsrc(k)) } : {}),
    };
    this.cameras = new CameraService(config.cameras, { logger, bus: this.bus });
    this.micArrays = createMicArrays(config.micArrays, { logger });
    this.audio = new AudioService({
      channels: config.pipeline.audioChannels,
      config: config.audio,
      micArrays: this.micArrays,
      mix: this.studio,
      bus: this.bus,
      logger,
    });
    this.studio.onLevels = () => this.audio.mixerLevelsChanged();
    this.talkback = new TalkbackDesk(config.talkback, logger);
    this.talkback.on('changed', (request) => {
      this.bus.publish({ type: 'talkback.changed', ...request });
      const { id, state, reason } = request;
      this.#signalling?.talkbackChanged(config.site.classroom, request.classroom, { id, state, ...(reason ? { reason } : {}) });
    });
    this.recordingDir = config.recording.dir ? path.resolve(config.dataDir, config.recording.dir) : path.join(config.dataDir, 'recordings');
    this.broadcast = new BroadcastController({
      openMedia: () =>
        openMediaSession({
          cameras: config.cameras,
          streamUri: (id) => this.cameras.streamUri(id),
          studio: this.studio,
          plan: this.plan,
          // The room is published (its ingest open) from here until the media session closes;
          // a remote SFU opens it when told the lesson starts (`RemoteRoom.reportState`).
          ingest: async () => {
            if (this.remoteRoom) await this.remoteRoom.ready();
            else await this.room?.publish();
            return this.room ?? this.remoteRoom;
          },
          recording: config.recording,
          recordingDir: config.recording.enabled ? this.recordingDir : undefined,
          ...(config.talkback.speaker ? { speaker: config.talkback.speaker } : {}),
          onEncoderExit: (which) => this.#metrics?.processRestarts.inc({ process: which }),
          logger,
        }),
      preRoll: lessonSetup({
        recallPreset: (camera, preset) => this.cameras.recallPreset(camera, preset),
        studio: this.studio,
        pauseDirector: () => this.manualOverride(),
        logger,
      }),
      logger,
    });
    this.schedule = createScheduleEngine({
      config: config.schedule,
      dataDir: config.dataDir,
      baseDir: options.configDir,
      logger,
      // The engine is the broadcast's one state machine: `broadcast.state` and lesson events.
      publish: (event) => this.bus.publish(event),
      control: {
        prepare: (lesson, part, signal) =>
          this.broadcast.prepare({ id: lesson.id, title: lesson.title, part, endsAt: new Date(lesson.end), presets: lesson.presets, layout: lesson.layout }, signal),
        goLive: (run, signal) =>
          this.broadcast.goLive(
            { id: run.lesson.id, title: run.lesson.title, part: run.part, endsAt: new Date(run.endsAt), presets: run.lesson.presets, layout: run.lesson.layout },
            signal,
          ),
        stop: (reason) => this.broadcast.stop(reason),
      },
    });
    this.report = new BoxReport({
      classroom: config.site.classroom,
      dataDir: config.dataDir,
      recordingEnabled: config.recording.enabled,
      sfuUrl: config.sfu.url,
      schedule: this.schedule,
      studio: this.studio,
      cameras: this.cameras,
      micArrays: this.micArrays,
      sfu: () => this.sfu,
      room: () => this.room,
      remoteRoom: () => this.remoteRoom,
      edgeHub: () => this.edgeHub,
      edge: () => this.originLink && this.edgeRooms && { origin: config.edge.origin!, link: this.originLink, rooms: this.edgeRooms },
    });
    this.schedule.on('state', () => {
      const info = this.report.broadcastInfo();
      this.#signalling?.broadcastChanged(config.site.classroom, info);
      this.edgeHub?.broadcastChanged(config.site.classroom, info);
      this.remoteRoom?.reportState(info);
    });
  }

  get urls(): DaemonUrls {
    const base = this.config.api.publicUrl?.replace(/\/$/, '') ?? this.#apiBase;
    const memberBase = !this.config.roles.sfu && this.config.sfu.url ? this.config.sfu.url.replace(/\/$/, '') : base;
    return { apiBase: base, consoleUrl: `${base}/console/`, classroomUrl: `${memberBase}/classroom/`, memberBase };
  }

  /** Where a member classroom's link points: the edge configured for it, else this SFU (or the remote one). */
  memberBaseFor(classroom: string): string {
    return this.edgeHub?.edgeOf(classroom)?.url.replace(/\/$/, '') ?? this.urls.memberBase;
  }

  get app(): FastifyInstance | undefined {
    return this.#app;
  }

  /** The member classrooms' signalling (an SFU role, once started): its `joined` events. */
  get signalling(): MemberSignalling | undefined {
    return this.#signalling;
  }

  async start(): Promise<void> {
    const { config, logger } = this;
    if (config.roles.classroom) {
      // Devices close last (see the closers' order); they reconnect on their own when absent.
      this.#closers.unshift({
        name: 'devices',
        close: async () => {
          this.director?.close();
          this.audio.close();
          await Promise.all([this.cameras.close(), ...this.micArrays.map((a) => a.close())]);
        },
      });
      await this.cameras.start();
      for (const array of this.micArrays) array.start();
      this.audio.start();
      this.director = createDirector(config.director, {
        cameras: this.cameras.drivers(),
        // Voice tracking's cut: any camera, by its id (it takes a place of the program).
        program: {
          show: (cameraId) => void this.studio.cut(cameraId).catch((error: unknown) => logger.warn({ err: error, cameraId }, 'program cut failed')),
        },
        micArrays: this.micArrays,
        logger,
      });
      if (this.director) {
        publishDirectorEvents(this.director, this.bus);
        this.director.start();
      }
    }
    if (config.roles.sfu || config.roles.edge) {
      const sfu = new Sfu({
        workers: config.sfu.workers,
        logLevel: config.sfu.logLevel,
        network: {
          listenIp: config.sfu.listenIp,
          announcedAddress: config.sfu.announcedAddress,
          rtcMinPort: config.sfu.rtcMinPort,
          rtcMaxPort: config.sfu.rtcMaxPort,
          // Remote publishers send to the SFU's own address; a local encoder over loopback.
          ingestIp: config.sfu.publishers.length > 0 ? config.sfu.listenIp : '127.0.0.1',
          ingestAnnouncedAddress: config.sfu.publishers.length > 0 ? config.sfu.announcedAddress : undefined,
        },
        logger,
      });
      this.sfu = sfu;
      this.#closers.unshift({ name: 'sfu', close: () => sfu.close() });
      await sfu.start();
      if (config.roles.classroom) this.room = await sfu.openRoom(config.site.classroom, this.plan);
      if (this.room && talkbackPlacesOf(config) > 0) {
        const line = new TalkbackLine({ desk: this.talkback, room: this.room, studio: this.studio, logger });
        this.talkbackLine = line;
        this.#closers.unshift({ name: 'talkback-line', close: () => line.close() });
      }
      if (config.roles.edge) this.#startEdge(sfu);
      else this.#startOrigin(sfu);
    } else if (config.roles.classroom && config.sfu.url && config.sfu.publisherToken) {
      const remote = new RemoteRoom({ url: config.sfu.url, token: config.sfu.publisherToken, room: config.site.classroom, plan: this.plan, logger });
      this.remoteRoom = remote;
      this.#closers.unshift({ name: 'remote-room', close: () => remote.close() });
      remote.reportState(this.report.broadcastInfo());
      remote.start();
    }
    this.#closers.unshift({ name: 'broadcast', close: () => this.broadcast.stop('daemon stopping') });
    if (config.roles.classroom) {
      this.#closers.unshift({ name: 'schedule', close: () => this.schedule.close() });
      await this.schedule.start();
    }

    // Member classrooms signal to the SFU roles only; a classroom-only daemon has no /ws/sfu.
    const edgeRooms = this.edgeRooms;
    const hold = edgeRooms && ((roomId: string) => edgeRooms.hold(roomId));
    const signalling =
      this.sfu &&
      new MemberSignalling({
        sfu: this.sfu,
        joinTokens: this.joinTokens,
        broadcastInfo: (roomId) => this.#broadcastInfo(roomId),
        // Hands go up to this classroom's own broadcast only (a remote publisher's room has none here).
        talkback: (roomId) => (config.roles.classroom && roomId === config.site.classroom ? this.talkback : undefined),
        ...(edgeRooms ? { hold: hold!, alternates: () => edgeRooms.alternates() } : {}),
        logger,
      });
    this.#signalling = signalling;
    this.#events = new EventsHub(this.bus, () => [{ type: 'broadcast.state', ...this.schedule.view() }], logger);
    this.#metrics = new Metrics({
      broadcastState: () => this.schedule.status().state,
      viewerStats: async () => Promise.all(this.report.viewers().map((v) => v.stats())),
      sfuWorkers: () => this.sfu?.pool.liveIndexes().length ?? 0,
      pipeline: () => this.studio.pipeline?.figures(),
      micArrays: () => this.micArrays.map((a) => ({ id: a.id, state: a.state })),
      ...(this.edgeHub ? { edges: () => this.edgeHub!.view() } : {}),
      ...(this.originLink ? { originLinkUp: () => this.originLink!.up } : {}),
    });
    const metrics = this.#metrics;
    signalling?.on('joined', (join) => metrics.joinSeconds.observe({ media: join.media ? 'yes' : 'no' }, (join.answeredAt - join.receivedAt) / 1000));

    const tls = config.api.tls && { key: readFileSync(config.api.tls.keyFile), cert: readFileSync(config.api.tls.certFile) };
    const app = await buildApp({
      logger,
      tokens: this.tokens,
      audit: this.audit,
      tls,
      host: this,
      readiness: () => this.readiness(),
      metrics: this.#metrics,
      // The page loads its WebRTC device from these before it connects, and joins in one step.
      ...(this.sfu
        ? {
            classroomBoot: () => {
              const routerRtpCapabilities = this.sfu?.routerCapabilities();
              return routerRtpCapabilities && { routerRtpCapabilities };
            },
            // An origin sends a member classroom of an edge (by its join token) to that edge.
            classroomRedirect: (token: string) => this.edgeHub?.redirect(token),
            register: async (served: FastifyInstance) => {
              const whep = await registerWhep(served, {
                sfu: this.sfu!,
                joinTokens: this.joinTokens,
                broadcastInfo: (roomId) => this.#broadcastInfo(roomId),
                ...(hold ? { hold } : {}),
                logger,
              });
              this.#closers.unshift({ name: 'whep', close: async () => whep.close() });
            },
          }
        : {}),
    });
    this.#app = app;
    // The same readiness pushed to the console as it changes.
    const healthWatch = new HealthWatch({ read: () => this.readiness(), bus: this.bus });
    healthWatch.start();
    this.#closers.unshift({ name: 'health-watch', close: () => healthWatch.close() });

    await app.listen({ host: config.api.host, port: config.api.port });
    const address = app.server.address() as AddressInfo;
    this.#apiBase = `${tls ? 'https' : 'http'}://${config.api.host.includes(':') ? `[${config.api.host}]` : config.api.host}:${address.port}`;
    const sockets = new SocketRouter(app.server);
    this.#sockets = sockets;
    if (signalling) sockets.add('/ws/sfu', { onConnection: (socket) => signalling.accept(socket) });
    const publishers = this.#publishers;
    if (publishers && config.sfu.publishers.length > 0) {
      sockets.add('/ws/publish', { accept: (request) => publishers.refuse(request), onConnection: (socket, request) => publishers.accept(socket, request) });
    }
    const edgeHub = this.edgeHub;
    if (edgeHub) sockets.add('/ws/edge', { accept: (request) => edgeHub.refuse(request), onConnection: (socket, request) => edgeHub.accept(socket, request) });
    this.originLink?.start();
    sockets.add('/ws/events', {
      accept: (request, url) => (this.#socketPrincipal(request.headers.authorization, url) ? undefined : 401),
      onConnection: (socket, request, url) => this.#events!.accept(socket, this.#socketPrincipal(request.headers.authorization, url)!),
    });
    this.#closers.unshift({
      name: 'api',
      close: async () => {
        sockets.close();
        signalling?.close();
        this.talkback.close();
        this.#publishers?.close();
        this.edgeHub?.close();
        this.#events?.close();
        await app.close();
      },
    });
    logger.info({ apiBase: this.#apiBase, roles: config.roles }, 'daemon started');
  }

  /** Broadcast status for `GET /api/status`. */
  status(): Promise<Record<string, unknown>> {
    return this.report.status();
  }

  /** Whether the lesson is going out, and the state of every part of the box (`GET /readyz`). */
  readiness(): Promise<Readiness> {
    return this.report.readiness();
  }

  /** For the systemd watchdog: the event loop turns, and a live lesson's output flows. */
  livenessOk(): boolean {
    return !this.#closed && this.report.outputAlive();
  }

  /** Every kept lesson recording, whether or not a broadcast is running. */
  listRecordings() {
    return listRecordings(this.recordingDir);
  }

  /** Idempotent; closes in order API → broadcast (pipelines) → SFU → devices. */
  async close(): Promise<void> {
    if (this.#closed) return;
    this.#closed = true;
    await closeAll(this.#closers, this.logger, SHUTDOWN_DEADLINE_MS);
    this.logger.info('daemon stopped');
  }

  /** An origin SFU's own part: publishers and edges. */
  #startOrigin(sfu: Sfu): void {
    const { config, logger } = this;
    this.#publishers = new PublisherHub({
      sfu,
      publishers: config.sfu.publishers,
      broadcastChanged: (roomId, info) => {
        this.#signalling?.broadcastChanged(roomId, info);
        this.edgeHub?.broadcastChanged(roomId, info);
      },
      logger,
    });
    if (config.sfu.edges.length > 0) {
      this.edgeHub = new EdgeHub({
        sfu,
        edges: config.sfu.edges,
        broadcastInfo: (roomId) => this.#broadcastInfo(roomId),
        originUrl: () => this.urls.apiBase,
        classroomOf: (token) => {
          try {
            return this.joinTokens.verify(token).classroom;
          } catch {
            return undefined;
          }
        },
        logger,
      });
    }
  }

  /** An edge SFU: the link to its origin, the broadcasts pulled while watched, its reports. */
  #startEdge(sfu: Sfu): void {
    const { config, logger } = this;
    const link = new OriginLink({ url: config.edge.origin!, token: config.edge.token!, logger });
    this.originLink = link;
    const rooms = new EdgeRooms({
      sfu,
      link,
      network: sfu.network,
      lingerMs: config.edge.lingerMs,
      selfUrl: () => this.urls.apiBase,
      broadcastChanged: (roomId, info) => this.#signalling?.broadcastChanged(roomId, info),
      logger,
    });
    this.edgeRooms = rooms;
    this.#closers.unshift({
      name: 'origin-link',
      close: async () => {
        rooms.close();
        link.close();
      },
    });
  }

  /** A broadcast's state: this classroom's own, a remote publisher's report, or (edge) the origin's word. */
  #broadcastInfo(roomId: string) {
    if (this.edgeRooms) return this.edgeRooms.info(roomId);
    if (this.config.roles.classroom && roomId === this.config.site.classroom) return this.report.broadcastInfo();
    return this.#publishers?.info(roomId) ?? { state: 'idle' as const };
  }

  #socketPrincipal(header: string | undefined, url: URL) {
    const token = bearerToken(header) ?? url.searchParams.get('token') ?? '';
    return token ? this.tokens.authenticate(token) : undefined;
  }

  /** A technician's hand on a camera or the layout pauses voice tracking for a while. */
  manualOverride(): void {
    this.director?.manualOverride();
  }
}

/** Talk-back places: rooms on air are heard and seen through this box's own SFU, not a remote one's. */
function talkbackPlacesOf(config: Readonly<Config>): number {
  return config.talkback.enabled && config.roles.sfu && config.roles.classroom ? config.talkback.maxOnAir : 0;
}
