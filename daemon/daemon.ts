import { readFileSync } from 'node:fs';
import { statfs } from 'node:fs/promises';
import type { AddressInfo } from 'node:net';
import path from 'node:path';
import type { FastifyInstance } from 'fastify';
import type { Logger } from 'pino';
import { ClasscastError } from '../config/foundation/errors.ts';
import type { Config } from '../config/schema/index.ts';
import { LAYOUTS, type Layout } from '../config/schema/pipeline.ts';
import type { MicArrayDriver } from '../devices/micarray/driver.ts';
import { createMicArrays } from '../devices/micarray/factory.ts';
import { MediaPipeline } from '../pipeline/media/media-pipeline.ts';
import { listRecordings } from '../pipeline/media/recorder.ts';
import { pipelineLayers } from '../pipeline/media/targets.ts';
import type { IngestPlan } from '../pipeline/sfu/codecs.ts';
import type { BroadcastRoom, IngestEndpoints } from '../pipeline/sfu/room.ts';
import { Sfu } from '../pipeline/sfu/sfu.ts';
import { registerApiRoutes } from './api/register.ts';
import { buildApiServer } from './api/server.ts';
import { AudioService } from './audio/service.ts';
import { AuditLog } from './audit/audit-log.ts';
import { JoinTokens } from './auth/join-tokens.ts';
import { loadOrCreateSecret } from './auth/secret-file.ts';
import { TokenStore } from './auth/token-store.ts';
import { BroadcastController, type BroadcastMedia, type LessonRef } from './broadcast/controller.ts';
import { Studio } from './broadcast/studio.ts';
import { CameraService } from './cameras/camera-service.ts';
import type { Director } from './director/director.ts';
import { createDirector, publishDirectorEvents } from './director/factory.ts';
import { EventBus } from './events/bus.ts';
import { HealthWatch } from './health/health-watch.ts';
import { readiness, type Readiness } from './health/readiness.ts';
import { registerPage } from './http/pages.ts';
import { Metrics } from './metrics/metrics.ts';
import type { IngestSource } from './publish/ingest-source.ts';
import { PublisherHub } from './publish/publisher-hub.ts';
import { RemoteRoom } from './publish/remote-room.ts';
import { createScheduleEngine, type ScheduleEngine } from './schedule/index.ts';
import { MemberSignalling } from './signalling/member-signalling.ts';
import type { BroadcastInfo } from './signalling/protocol.ts';
import { closeAll, type Closer } from './lifecycle/close-all.ts';
import { EventsHub } from './ws/events-hub.ts';
import { SocketRouter } from './ws/socket-router.ts';

/** A stop finishes within this (ms), parts that hang left behind; the systemd unit allows 30 s. */
const SHUTDOWN_DEADLINE_MS = 20_000;

/** A live lesson with no RTP out for this long stops the watchdog's pings (systemd restarts us). */
const LIVENESS_OUTPUT_MS = 60_000;

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
  director: Director | undefined;
  sfu: Sfu | undefined;
  room: BroadcastRoom | undefined;
  /** classroom role publishing to a remote SFU (`sfu.url`): this broadcast's room there. */
  remoteRoom: RemoteRoom | undefined;
  #publishers: PublisherHub | undefined;
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
    this.studio = new Studio(config.pipeline, config.cameras);
    this.studio.onProgram = (program) => this.bus.publish({ type: 'program.changed', ...program });
    this.plan = {
      videoPayloadType: 102,
      layers: pipelineLayers(config.pipeline),
      audioPayloadType: 100,
      audioSsrc: 0x1111_0001,
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
    this.recordingDir = config.recording.dir ? path.resolve(config.dataDir, config.recording.dir) : path.join(config.dataDir, 'recordings');
    this.broadcast = new BroadcastController({
      openMedia: () => this.#openMedia(),
      preRoll: (lesson) => this.#preRoll(lesson),
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
    this.schedule.on('state', () => {
      const info = this.broadcastInfo();
      this.#signalling?.broadcastChanged(config.site.classroom, info);
      this.remoteRoom?.reportState(info);
    });
  }

  get urls(): DaemonUrls {
    const base = this.config.api.publicUrl?.replace(/\/$/, '') ?? this.#apiBase;
    const memberBase = !this.config.roles.sfu && this.config.sfu.url ? this.config.sfu.url.replace(/\/$/, '') : base;
    return { apiBase: base, consoleUrl: `${base}/console/`, classroomUrl: `${memberBase}/classroom/`, memberBase };
  }

  get app(): FastifyInstance | undefined {
    return this.#app;
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
    if (config.roles.sfu) {
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
      this.#publishers = new PublisherHub({
        sfu,
        publishers: config.sfu.publishers,
        broadcastChanged: (roomId, info) => this.#signalling?.broadcastChanged(roomId, info),
        logger,
      });
    } else if (config.roles.classroom && config.sfu.url && config.sfu.publisherToken) {
      const remote = new RemoteRoom({ url: config.sfu.url, token: config.sfu.publisherToken, room: config.site.classroom, plan: this.plan, logger });
      this.remoteRoom = remote;
      this.#closers.unshift({ name: 'remote-room', close: () => remote.close() });
      remote.reportState(this.broadcastInfo());
      remote.start();
    }
    this.#closers.unshift({ name: 'broadcast', close: () => this.broadcast.stop('daemon stopping') });
    if (config.roles.classroom) {
      this.#closers.unshift({ name: 'schedule', close: () => this.schedule.close() });
      await this.schedule.start();
    }

    // Member classrooms signal to the SFU role only; a classroom-only daemon has no /ws/sfu.
    const signalling =
      this.sfu &&
      new MemberSignalling({
        sfu: this.sfu,
        joinTokens: this.joinTokens,
        // This classroom's own room follows its controller; rooms of remote publishers, their reports.
        broadcastInfo: (roomId) =>
          config.roles.classroom && roomId === config.site.classroom ? this.broadcastInfo() : this.#publishers!.info(roomId),
        logger,
      });
    this.#signalling = signalling;
    this.#events = new EventsHub(this.bus, () => [{ type: 'broadcast.state', ...this.schedule.view() }]);
    this.#metrics = new Metrics({
      broadcastState: () => this.schedule.status().state,
      viewerStats: async () => Promise.all(this.#viewers().map((v) => v.stats())),
      sfuWorkers: () => this.sfu?.pool.liveIndexes().length ?? 0,
      pipeline: () => this.studio.pipeline?.figures(),
      micArrays: () => this.micArrays.map((a) => ({ id: a.id, state: a.state })),
    });

    const tls = config.api.tls && { key: readFileSync(config.api.tls.keyFile), cert: readFileSync(config.api.tls.certFile) };
    const app = await buildApiServer({ logger, tokens: this.tokens, audit: this.audit, tls }, (api) =>
      registerApiRoutes(api, this),
    );
    this.#app = app;
    app.get('/readyz', async (_request, reply) => {
      const state = await this.readiness();
      return reply.status(state.ready ? 200 : 503).send(state);
    });
    // The same state pushed to the console as it changes.
    const healthWatch = new HealthWatch({ read: () => this.readiness(), bus: this.bus });
    healthWatch.start();
    this.#closers.unshift({ name: 'health-watch', close: () => healthWatch.close() });
    const metrics = this.#metrics;
    app.get('/metrics', async (_request, reply) =>
      reply.header('content-type', metrics.registry.contentType).send(await metrics.registry.metrics()),
    );
    if (config.roles.sfu) {
      // The page loads its WebRTC device from these before it connects, and joins in one step.
      await registerPage(app, 'classroom', {
        boot: () => {
          const routerRtpCapabilities = this.sfu?.routerCapabilities();
          return routerRtpCapabilities && { routerRtpCapabilities };
        },
      });
    }
    await registerPage(app, 'console');

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
    sockets.add('/ws/events', {
      accept: (request, url) => (this.#socketPrincipal(request.headers.authorization, url) ? undefined : 401),
      onConnection: (socket, request, url) => this.#events!.accept(socket, this.#socketPrincipal(request.headers.authorization, url)!),
    });
    this.#closers.unshift({
      name: 'api',
      close: async () => {
        sockets.close();
        signalling?.close();
        this.#publishers?.close();
        this.#events?.close();
        await app.close();
      },
    });
    logger.info({ apiBase: this.#apiBase, roles: config.roles }, 'daemon started');
  }

  /** Broadcast status for `GET /api/status`. */
  async status(): Promise<Record<string, unknown>> {
    const viewers = await Promise.all(this.#viewers().map((v) => v.stats()));
    return {
      classroom: this.config.site.classroom,
      ...this.schedule.view(),
      layout: this.studio.layout,
      program: this.studio.program,
      pipeline: this.studio.pipeline ? { health: this.studio.pipeline.health } : { health: 'offline' },
      sfu: this.sfu
        ? { workers: this.sfu.pool.liveIndexes().length, spread: this.room?.spread() ?? {} }
        : this.remoteRoom && { url: this.config.sfu.url, link: this.remoteRoom.linkState },
      classrooms: viewers,
    };
  }

  /** The broadcast as member classrooms and a remote SFU see it: state and lesson. */
  broadcastInfo(): BroadcastInfo {
    const { state, lesson } = this.schedule.status();
    return { state, lesson: lesson ? { id: lesson.id, title: lesson.title, endsAt: new Date(lesson.end).toISOString() } : undefined };
  }

  /** Whether the lesson is going out, and the state of every part of the box (`GET /readyz`). */
  async readiness(): Promise<Readiness> {
    const pipeline = this.studio.pipeline;
    const disk = await statfs(this.config.dataDir).catch(() => undefined);
    return readiness({
      broadcast: this.schedule.status().state,
      ...(pipeline ? { pipeline: { health: pipeline.health, figures: pipeline.figures() } } : {}),
      cameras: this.cameras.drivers().map((d) => ({ id: d.id, state: d.state })),
      micArrays: this.micArrays.map((a) => ({ id: a.id, state: a.state })),
      ...(this.sfu
        ? { sfu: { workers: this.sfu.pool.liveIndexes().length, configured: this.sfu.pool.size } }
        : this.remoteRoom
          ? { sfu: { link: this.remoteRoom.linkState } }
          : {}),
      recording: { enabled: this.config.recording.enabled, active: pipeline?.recording !== undefined },
      ...(disk ? { diskFreeBytes: disk.bavail * disk.bsize } : {}),
    });
  }

  /**
   * For the systemd watchdog: false once a live lesson has had no output for a long time
   * although the compositor keeps being restarted, which only a fresh daemon might cure.
   */
  livenessOk(): boolean {
    if (this.#closed) return false;
    const pipeline = this.studio.pipeline;
    if (this.schedule.status().state !== 'live' || !pipeline) return true;
    return pipeline.figures().sinceOutputMs < LIVENESS_OUTPUT_MS;
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

  /** Member classrooms on every room of this SFU (one room embedded, one per publisher otherwise). */
  #viewers() {
    return (this.sfu?.rooms() ?? []).flatMap((room) => room.viewers());
  }

  #socketPrincipal(header: string | undefined, url: URL) {
    const token = /^Bearer\s+(\S+)$/i.exec(header ?? '')?.[1] ?? url.searchParams.get('token') ?? '';
    return token ? this.tokens.authenticate(token) : undefined;
  }

  async #openMedia(): Promise<BroadcastMedia> {
    const room: IngestSource | undefined = this.room ?? this.remoteRoom;
    if (this.remoteRoom) await this.remoteRoom.ready();
    if (!room?.ingest) throw new ClasscastError('SFU_NO_BROADCAST', 'no SFU room to publish into');
    const pipeline = new MediaPipeline({
      config: this.studio.pipelineConfig(),
      videoInputs: this.#videoInputs(),
      targets: { ...this.plan, ...room.ingest },
      recording: this.config.recording,
      recordingDir: this.config.recording.enabled ? this.recordingDir : undefined,
      logger: this.logger,
    });
    pipeline.on('encoderExit', () => this.#metrics?.processRestarts.inc({ process: 'compositor' }));
    // After the origin mediasoup worker died the room listens on new ports; the forwarder's
    // one socket just sends there, so ffmpeg never notices.
    const onIngest = (ingest: IngestEndpoints) => pipeline.forwarder.setTargets({ ...this.plan, ...ingest });
    room.on('ingest', onIngest);
    try {
      await pipeline.start();
    } catch (error) {
      room.off('ingest', onIngest);
      throw error;
    }
    this.studio.attach(pipeline);
    return {
      beginLesson: async (lesson) => {
        if (this.config.recording.enabled) await pipeline.switchRecording({ lessonId: lesson.id, part: lesson.part });
      },
      close: async () => {
        room.off('ingest', onIngest);
        this.studio.detach(pipeline);
        await pipeline.close();
      },
    };
  }

  /** Camera pictures for the compositor: the configured URI, else what ONVIF GetStreamUri said. */
  #videoInputs() {
    return this.config.cameras.flatMap((c) => {
      const url = c.streamUri ?? this.cameras.streamUri(c.id);
      return url ? [{ id: c.id, url, role: c.role }] : [];
    });
  }

  /** A lesson's pre-roll: its cameras to their presets and its layout; failures are logged only. */
  async #preRoll(lesson: LessonRef): Promise<void> {
    // Voice tracking waits while the lesson's own shots are set up, as for a technician's hand.
    if (lesson.presets && Object.keys(lesson.presets).length > 0) this.manualOverride();
    await Promise.all(
      Object.entries(lesson.presets ?? {}).map(([camera, preset]) =>
        this.cameras.recallPreset(camera, preset).catch((error: unknown) => this.logger.warn({ err: error, camera, preset }, 'pre-roll preset failed')),
      ),
    );
    if (lesson.layout && (LAYOUTS as readonly string[]).includes(lesson.layout)) await this.studio.setLayout(lesson.layout as Layout);
  }

  /** A technician's hand on a camera or the layout pauses voice tracking for a while. */
  manualOverride(): void {
    this.director?.manualOverride();
  }
}
