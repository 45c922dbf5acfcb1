import type { types } from 'mediasoup';
import type { Logger } from 'pino';
import { TypedEmitter } from '../../config/foundation/emitter.ts';
import { ClasscastError, InvalidStateError } from '../../config/foundation/errors.ts';
import { ROUTER_CODECS, type IngestPlan } from './codecs.ts';
import type { IngestEndpoints, RoomFeed, RoomNetwork } from './feed.ts';
import { pipeLocally } from './local-pipe.ts';
import { PipeOut, type PipeEnd } from './pipe-out.ts';
import { PlainViewer, type PlainSink } from './plain-viewer.ts';
import { Sender } from './sender.ts';
import { Viewer } from './viewer.ts';
import type { WorkerPool } from './worker-pool.ts';

export type { IngestEndpoints, RoomNetwork } from './feed.ts';

export type RoomEvents = {
  /** New ingest ports (first open, or after the origin worker died and the room rebuilt). */
  ingest: [IngestEndpoints];
  /** The producers were recreated; viewers must consume again. */
  producers: [ids: string[]];
  /** A member classroom on talk-back opened its sending side. */
  sender: [Sender];
};

/** The room's router on one worker, and who is placed there. */
interface Slot {
  router: types.Router;
  viewers: Set<Viewer>;
  /** Browser-less viewers (benchmarks, probes); they count towards the router's load. */
  plain: Set<PlainViewer>;
  /** Joins placed here whose transport is still being created. */
  pending: number;
}

/**
 * One broadcast's media inside the SFU. While a lesson is published (`publish()`), its feed
 * (the encoder's sealed ingest, or on an edge SFU the pipe from the origin) opens into the
 * room's first router; every other live worker gets a router fed by `pipeToRouter`, and each
 * member classroom is placed on the router with the fewest viewers, so fan-out uses every
 * core. When the first router's worker dies the room rebuilds on a live worker and opens its
 * feed again (new ingest ports); when another worker dies its viewers are closed and reconnect
 * onto the remaining routers. Between lessons the feed is closed.
 */
export class BroadcastRoom extends TypedEmitter<RoomEvents> {
  readonly id: string;
  readonly #pool: WorkerPool;
  readonly #net: RoomNetwork;
  readonly #feed: RoomFeed;
  /** Links to edge SFUs pulling this room (origin side). */
  readonly #pipes = new Set<PipeOut>();
  readonly #logger: Logger;
  readonly #slots = new Map<number, Slot>();
  readonly #senders = new Set<Sender>();
  #originIndex = -1;
  #producers: types.Producer[] = [];
  /** Talk-back's mix-minus producers, by place on air (0-based). */
  #minus: types.Producer[] = [];
  #ingest: IngestEndpoints | undefined;
  /** The ingest transports while the room is published. */
  #transports: types.Transport[] = [];
  /** Whether the room should be published (its ingest open), also across a rebuild. */
  #publishing = false;
  #opening: Promise<void> | undefined;
  #rebuilding: Promise<void> | undefined;
  #closed = false;
  readonly #onDied = (index: number) => this.#workerDied(index);
  readonly #onReady = (index: number) => this.#workerReady(index);

  constructor(id: string, pool: WorkerPool, net: RoomNetwork, feed: RoomFeed, logger: Logger) {
    super();
    this.id = id;
    this.#pool = pool;
    this.#net = net;
    this.#feed = feed;
    this.#logger = logger.child({ component: 'sfu-room', room: id });
  }

  /** How the encoder sends (a remote publisher reopening with another plan gets a new room). */
  get plan(): IngestPlan | undefined {
    return this.#feed.plan;
  }

  get ingest(): IngestEndpoints | undefined {
    return this.#ingest;
  }

  /** The program's picture (its video producer), while the room is fed. */
  get videoProducerId(): string | undefined {
    return this.#producers.find((p) => p.kind === 'video' && !p.closed)?.id;
  }

  get producerIds(): string[] {
    return this.#producers.filter((p) => !p.closed).map((p) => p.id);
  }

  /**
   * The sound a classroom hears: the program's, or while it speaks on talk-back place `place`
   * (0-based), that place's mix-minus (the program without its own voice).
   */
  audioFor(place: number | undefined): string | undefined {
    const producer = place === undefined ? this.#producers.find((p) => p.kind === 'audio') : this.#minus[place];
    return producer?.id;
  }

  get viewerCount(): number {
    let n = 0;
    for (const slot of this.#slots.values()) n += slot.viewers.size;
    return n;
  }

  viewers(): Viewer[] {
    return [...this.#slots.values()].flatMap((e) => [...e.viewers]);
  }

  /** Viewers per worker index, for metrics and the fan-out benchmark. */
  spread(): Record<number, number> {
    return Object.fromEntries([...this.#slots].map(([i, e]) => [i, e.viewers.size + [...e.plain].filter((p) => !p.closed).length]));
  }

  /** Builds the routers; the ingest opens with `publish()`. */
  async open(): Promise<void> {
    this.#pool.on('workerdied', this.#onDied);
    this.#pool.on('workerready', this.#onReady);
    await this.#build();
  }

  /**
   * Opens the sealed ingest (transports and their producers) for a lesson being published, and
   * keeps it open across a rebuild; resolves with where to send. Idempotent.
   */
  async publish(): Promise<IngestEndpoints> {
    await this.pull();
    if (!this.#ingest) throw new ClasscastError('SFU_NO_BROADCAST', `room ${this.id} is fed from another SFU, it has no ingest`);
    return this.#ingest;
  }

  /**
   * Opens the room's feed, whatever it is (on an edge SFU: the pipe from the origin), and keeps
   * it open across a rebuild, until `unpublish()`. Idempotent.
   */
  async pull(): Promise<void> {
    this.#assertOpen();
    this.#publishing = true;
    while (this.#rebuilding) await this.#rebuilding;
    this.#opening ??= this.#openIngest().finally(() => (this.#opening = undefined));
    if (this.#producers.length === 0) await this.#opening;
    if (this.#producers.length === 0) throw new ClasscastError('SFU_NO_BROADCAST', `room ${this.id} could not open its feed`);
  }

  /**
   * The lesson is no longer published: the feed closes (no ingest port listens between
   * lessons), and with it the producers, every classroom's consumers and the pipes to edges.
   */
  unpublish(): void {
    this.#publishing = false;
    this.#closeIngest();
  }

  get publishing(): boolean {
    return this.#publishing;
  }

  /** Resolves once the room has producers again (after a rebuild in progress, if any). */
  async ready(): Promise<void> {
    this.#assertOpen();
    while (this.#rebuilding) await this.#rebuilding;
    if (this.#producers.length === 0) throw new ClasscastError('SFU_NO_BROADCAST', `room ${this.id} has no producers`);
  }

  rtpCapabilities(): types.RtpCapabilities {
    const origin = this.#slots.get(this.#originIndex);
    if (!origin) throw new ClasscastError('SFU_NO_BROADCAST', `room ${this.id} is rebuilding`);
    return origin.router.rtpCapabilities;
  }

  /** A member classroom joins: a receive transport on the least loaded router. */
  async createViewer(name: string, options: { forceTcp?: boolean } = {}): Promise<Viewer> {
    const { index, slot, transport } = await this.#newTransport(options.forceTcp);
    const viewer = new Viewer(name, index, slot.router, transport, {
      isMinus: (producerId) => this.#minus.some((p) => p.id === producerId),
      program: () => this.audioFor(undefined),
    });
    return this.#place(slot, viewer, transport);
  }

  /**
   * A standard player (WHEP): like a member classroom, but on a router of its own whose payload
   * types are the ones its SDP offer chose (mediasoup sends with its router's numbers, and a
   * player that offered cannot be told others), fed with the program's picture and sound.
   */
  async createPlayerViewer(name: string, codecs: types.RtpCodecCapability[]): Promise<{ viewer: Viewer; video?: string; audio?: string }> {
    const { index, slot, router, transport, piped } = await this.#newTransport(false, codecs);
    const viewer = new Viewer(name, index, router, transport, { isMinus: () => false, program: () => piped?.audio });
    return { viewer: this.#place(slot, viewer, transport), ...piped };
  }

  /** A viewer counts on its slot (for placing the next ones) until it or its transport closes. */
  #place(slot: Slot, viewer: Viewer, transport: types.WebRtcTransport): Viewer {
    slot.viewers.add(viewer);
    viewer.on('closed', () => slot.viewers.delete(viewer));
    transport.observer.once('close', () => slot.viewers.delete(viewer));
    return viewer;
  }

  /**
   * A member classroom's sending side (talk-back): a WebRtcTransport on the least loaded
   * router, on which that classroom's page produces its microphone and camera.
   */
  async createSender(name: string, options: { forceTcp?: boolean } = {}): Promise<Sender> {
    const { slot, transport } = await this.#newTransport(options.forceTcp);
    const sender = new Sender(name, transport, slot.router);
    this.#senders.add(sender);
    transport.observer.once('close', () => this.#senders.delete(sender));
    this.safeEmit('sender', sender);
    return sender;
  }

  /** The classrooms sending now (talk-back). */
  senders(): Sender[] {
    return [...this.#senders];
  }

  /** A WebRtcTransport on the least loaded router (ICE over UDP and TCP, or TCP only). */
  async #newTransport(forceTcp: boolean | undefined, playerCodecs?: types.RtpCodecCapability[]) {
    await this.ready();
    // The slot is taken before the first await: joins arriving together must not all pick
    // the same "least loaded" router.
    const [index, slot] = this.#leastLoaded();
    slot.pending += 1;
    const announcedAddress = this.#net.announcedAddress;
    const range = { min: this.#net.rtcMinPort, max: this.#net.rtcMaxPort };
    const listenInfos: types.TransportListenInfo[] = [
      { protocol: 'udp', ip: this.#net.listenIp, announcedAddress, portRange: range },
      { protocol: 'tcp', ip: this.#net.listenIp, announcedAddress, portRange: range },
    ];
    let router = slot.router;
    let piped: { video?: string; audio?: string } | undefined;
    try {
      if (playerCodecs) ({ router, piped } = await this.#playerRouter(index, slot.router, playerCodecs));
      const transport = await router.createWebRtcTransport({
        // ICE over TCP is offered too, so classrooms behind firewalls that drop UDP still connect.
        listenInfos: forceTcp ? listenInfos.filter((l) => l.protocol === 'tcp') : listenInfos,
        enableUdp: !forceTcp,
        enableTcp: true,
        preferUdp: true,
        initialAvailableOutgoingBitrate: 1_000_000,
      });
      if (router !== slot.router) transport.observer.once('close', () => router.close());
      return { index, slot, router, transport, piped };
    } catch (error) {
      if (router !== slot.router) router.close();
      throw error;
    } finally {
      slot.pending -= 1;
    }
  }

  /**
   * A router of one player's own, whose codecs carry the payload types that player offered,
   * fed with the program's picture and sound from `from` (same worker).
   */
  async #playerRouter(index: number, from: types.Router, codecs: types.RtpCodecCapability[]) {
    const worker = this.#pool.worker(index);
    if (!worker) throw new ClasscastError('SFU_WORKER_DIED', 'the worker went away');
    const router = await worker.createRouter({ mediaCodecs: codecs, appData: { room: this.id, player: true } });
    try {
      const piped: { video?: string; audio?: string } = {};
      const video = this.videoProducerId;
      const audio = this.audioFor(undefined);
      if (video && codecs.some((c) => c.kind === 'video')) piped.video = (await pipeLocally(from, router, video)).id;
      if (audio && codecs.some((c) => c.kind === 'audio')) piped.audio = (await pipeLocally(from, router, audio)).id;
      return { router, piped };
    } catch (error) {
      router.close();
      throw error;
    }
  }

  /**
   * An edge SFU pulls this room: a pipe from the room's first router to the edge's end, with
   * one pipe consumer per producer. It closes with the feed (the lesson ends, the room
   * rebuilds); the edge then pulls again if it still has classrooms watching.
   */
  async pipeOut(edge: PipeEnd): Promise<PipeOut> {
    await this.ready();
    const first = this.#slots.get(this.#originIndex);
    if (!first) throw new ClasscastError('SFU_NO_BROADCAST', `room ${this.id} is rebuilding`);
    const pipe = await PipeOut.open(first.router, this.#net, edge, this.#producers);
    if (this.#producers.length === 0) pipe.close();
    if (pipe.closed) throw new ClasscastError('SFU_NO_BROADCAST', `room ${this.id} stopped while the pipe was opening`);
    this.#pipes.add(pipe);
    pipe.on('closed', () => this.#pipes.delete(pipe));
    return pipe;
  }

  /**
   * What the room's feed took in since it opened, from mediasoup's producer stats: packets by
   * kind and bytes (only what passed SRTP and belongs to the plan's streams counts), and the
   * bitrate now.
   */
  async feedFigures(): Promise<{ videoPackets: number; audioPackets: number; bytes: number; kbps: number }> {
    const figures = { videoPackets: 0, audioPackets: 0, bytes: 0, kbps: 0 };
    for (const producer of this.#producers) {
      if (producer.closed || producer.appData.minus === true) continue;
      for (const stat of await producer.getStats().catch(() => [])) {
        if (producer.kind === 'video') figures.videoPackets += stat.packetCount;
        else figures.audioPackets += stat.packetCount;
        figures.bytes += stat.byteCount;
        figures.kbps += stat.bitrate / 1000;
      }
    }
    figures.kbps = Math.round(figures.kbps);
    return figures;
  }

  /** The pipes to edge SFUs open now. */
  pipes(): PipeOut[] {
    return [...this.#pipes];
  }

  /** A browser-less viewer on the least loaded router, sending plain RTP to `sink`. */
  async createPlainViewer(name: string, sink: PlainSink, options: { paused?: boolean } = {}): Promise<PlainViewer> {
    await this.ready();
    const [index, slot] = this.#leastLoaded();
    slot.pending += 1;
    let viewer: PlainViewer;
    try {
      viewer = await PlainViewer.create({
        name,
        workerIndex: index,
        router: slot.router,
        listenIp: this.#net.ingestIp,
        sink,
        producerIds: this.producerIds,
        paused: options.paused,
      });
    } finally {
      slot.pending -= 1;
    }
    slot.plain.add(viewer);
    return viewer;
  }

  #leastLoaded(): [number, Slot] {
    for (const slot of this.#slots.values()) for (const p of slot.plain) if (p.closed) slot.plain.delete(p);
    const load = (e: Slot) => e.viewers.size + [...e.plain].filter((p) => !p.closed).length + e.pending;
    const entry = [...this.#slots].sort((a, b) => load(a[1]) - load(b[1]))[0];
    if (!entry) throw new ClasscastError('SFU_NO_BROADCAST', `room ${this.id} is rebuilding`);
    return entry;
  }

  async close(): Promise<void> {
    if (this.#closed) return;
    this.#closed = true;
    this.#pool.off('workerdied', this.#onDied);
    this.#pool.off('workerready', this.#onReady);
    for (const slot of this.#slots.values()) slot.router.close();
    this.#slots.clear();
    this.#feedGone();
  }

  async #build(): Promise<void> {
    const live = this.#pool.liveIndexes();
    if (live.length === 0) throw new ClasscastError('SFU_WORKER_DIED', 'no live mediasoup worker');
    const originIndex = live[0]!;
    const origin = await this.#routerOn(originIndex);
    this.#originIndex = originIndex;
    this.#slots.set(originIndex, { router: origin, viewers: new Set(), plain: new Set(), pending: 0 });
    for (const index of live.slice(1)) await this.#addSlot(index);
    this.#logger.info({ originIndex, slots: [...this.#slots.keys()] }, 'room built');
    if (this.#publishing) await this.#openIngest();
  }

  /** The feed into the first router, piped to every other; announced as `ingest` and `producers`. */
  async #openIngest(): Promise<void> {
    const first = this.#slots.get(this.#originIndex);
    if (this.#producers.length > 0 || !first) return;
    try {
      const opening = await this.#feed.open(first.router);
      this.#transports = opening.transports;
      this.#producers = opening.producers;
      this.#minus = opening.minus;
      this.#ingest = opening.ingest;
      for (const [index, slot] of this.#slots) {
        if (index === this.#originIndex) continue;
        for (const producer of this.#producers) await first.router.pipeToRouter({ producerId: producer.id, router: slot.router });
      }
    } catch (error) {
      this.#closeIngest();
      throw error;
    }
    // Unpublished while it was opening: it closes again at once.
    if (!this.#publishing) return this.#closeIngest();
    if (this.#ingest) {
      this.#logger.info({ ip: this.#ingest.video.ip, video: this.#ingest.video.port, audio: this.#ingest.audio.port }, 'ingest open');
      this.safeEmit('ingest', this.#ingest);
    } else {
      this.#logger.info({ producers: this.#producers.length }, 'feed open');
    }
    this.safeEmit('producers', this.producerIds);
  }

  #closeIngest(): void {
    const open = this.#transports.length > 0;
    // Closing a transport closes its producers, their pipes to the other routers, the pipes
    // to edge SFUs and every consumer.
    for (const transport of this.#transports.splice(0)) transport.close();
    this.#feedGone();
    if (open) this.#logger.info('feed closed');
  }

  /** The feed's transports are closed (by us, or with their router): forget what came of them. */
  #feedGone(): void {
    const had = this.#producers.length > 0;
    this.#transports = [];
    this.#producers = [];
    this.#minus = [];
    this.#ingest = undefined;
    for (const pipe of this.#pipes) pipe.close();
    if (had) this.#feed.closed?.();
  }

  async #routerOn(index: number): Promise<types.Router> {
    const worker = this.#pool.worker(index);
    if (!worker) throw new ClasscastError('SFU_WORKER_DIED', `worker ${index} is not running`);
    return worker.createRouter({ mediaCodecs: ROUTER_CODECS, appData: { room: this.id } });
  }

  async #addSlot(index: number): Promise<void> {
    if (this.#slots.has(index)) return;
    const origin = this.#slots.get(this.#originIndex);
    if (!origin) return;
    const router = await this.#routerOn(index);
    for (const producer of this.#producers) {
      await origin.router.pipeToRouter({ producerId: producer.id, router });
    }
    this.#slots.set(index, { router, viewers: new Set(), plain: new Set(), pending: 0 });
  }

  #workerDied(index: number): void {
    if (this.#closed) return;
    const slot = this.#slots.get(index);
    this.#slots.delete(index);
    // The routers on a dead worker are closed already; their viewers see `closed` and the
    // member classroom's page reconnects, landing on a live router.
    if (slot) for (const viewer of slot.viewers) viewer.close();
    if (index !== this.#originIndex) return;
    this.#logger.warn({ index }, 'origin worker died; rebuilding the room');
    for (const other of this.#slots.values()) other.router.close();
    this.#slots.clear();
    this.#feedGone();
    this.#originIndex = -1;
    this.#rebuild();
  }

  #workerReady(index: number): void {
    if (this.#closed) return;
    if (this.#originIndex === -1) {
      this.#rebuild();
      return;
    }
    this.#addSlot(index).catch((error: unknown) => this.#logger.warn({ index, err: error }, 'slot router failed'));
  }

  #rebuild(): void {
    if (this.#rebuilding || this.#closed) return;
    this.#rebuilding = this.#build()
      .catch((error: unknown) => this.#logger.warn({ err: error }, 'room rebuild waits for a live worker'))
      .finally(() => {
        this.#rebuilding = undefined;
      });
  }

  #assertOpen(): void {
    if (this.#closed) throw new InvalidStateError(`room ${this.id} is closed`);
  }
}
