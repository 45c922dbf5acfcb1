import type { types } from 'mediasoup';
import type { Logger } from 'pino';
import { TypedEmitter } from '../../config/foundation/emitter.ts';
import { ClasscastError, InvalidStateError } from '../../config/foundation/errors.ts';
import { newSrtpKey, SRTP_SUITE } from '../media/srtp.ts';
import type { RtpEndpoint } from '../media/targets.ts';
import { audioProducerRtpParameters, ROUTER_CODECS, videoProducerRtpParameters, type IngestPlan } from './codecs.ts';
import { PlainViewer, type PlainSink } from './plain-viewer.ts';
import { Sender } from './sender.ts';
import { Viewer } from './viewer.ts';
import type { WorkerPool } from './worker-pool.ts';

export interface RoomNetwork {
  listenIp: string;
  announcedAddress?: string;
  rtcMinPort: number;
  rtcMaxPort: number;
  /** Address the ingest PlainTransports listen on (loopback when the encoder is local). */
  ingestIp: string;
  /** Address a remote encoder sends to, when it differs from `ingestIp` (NAT, 0.0.0.0). */
  ingestAnnouncedAddress?: string;
}

/**
 * Where the encoder sends: one PlainTransport (comedia, RTCP-mux, SRTP) per kind, with the
 * keys of this session: only packets sealed with `srtp.send` are taken, so nobody else who
 * reaches the port can send into the room or lock the publisher out.
 */
export interface IngestEndpoints {
  video: RtpEndpoint & { srtp: { send: string; receive: string } };
  audio: RtpEndpoint & { srtp: { send: string; receive: string } };
}

export type RoomEvents = {
  /** New ingest ports (first open, or after the origin worker died and the room rebuilt). */
  ingest: [IngestEndpoints];
  /** The producers were recreated; viewers must consume again. */
  producers: [ids: string[]];
  /** A member classroom on talk-back opened its sending side. */
  sender: [Sender];
};

interface Edge {
  router: types.Router;
  viewers: Set<Viewer>;
  /** Browser-less viewers (benchmarks, probes); they count towards the router's load. */
  plain: Set<PlainViewer>;
  /** Joins placed here whose transport is still being created. */
  pending: number;
}

/**
 * One broadcast's media inside the SFU. While a lesson is published (`publish()`), the encoder
 * sends into an origin router; every other live worker gets an edge router fed by
 * `pipeToRouter`, and each member classroom is placed on the router with the fewest viewers,
 * so fan-out uses every core. When the origin worker dies the room rebuilds on a live worker
 * and announces new ingest ports; when an edge worker dies its viewers are closed and
 * reconnect onto the remaining routers. Between lessons the ingest is closed.
 */
export class BroadcastRoom extends TypedEmitter<RoomEvents> {
  readonly id: string;
  readonly #pool: WorkerPool;
  readonly #net: RoomNetwork;
  readonly #plan: IngestPlan;
  readonly #logger: Logger;
  readonly #edges = new Map<number, Edge>();
  readonly #senders = new Set<Sender>();
  #originIndex = -1;
  #producers: types.Producer[] = [];
  /** Talk-back's mix-minus producers, by place on air (0-based). */
  #minus: types.Producer[] = [];
  #ingest: IngestEndpoints | undefined;
  /** The ingest transports while the room is published. */
  #transports: types.PlainTransport[] = [];
  /** Whether the room should be published (its ingest open), also across a rebuild. */
  #publishing = false;
  #opening: Promise<void> | undefined;
  #rebuilding: Promise<void> | undefined;
  #closed = false;
  readonly #onDied = (index: number) => this.#workerDied(index);
  readonly #onReady = (index: number) => this.#workerReady(index);

  constructor(id: string, pool: WorkerPool, net: RoomNetwork, plan: IngestPlan, logger: Logger) {
    super();
    this.id = id;
    this.#pool = pool;
    this.#net = net;
    this.#plan = plan;
    this.#logger = logger.child({ component: 'sfu-room', room: id });
  }

  /** How the encoder sends (a remote publisher reopening with another plan gets a new room). */
  get plan(): IngestPlan {
    return this.#plan;
  }

  get ingest(): IngestEndpoints | undefined {
    return this.#ingest;
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
    for (const edge of this.#edges.values()) n += edge.viewers.size;
    return n;
  }

  viewers(): Viewer[] {
    return [...this.#edges.values()].flatMap((e) => [...e.viewers]);
  }

  /** Viewers per worker index, for metrics and the fan-out benchmark. */
  spread(): Record<number, number> {
    return Object.fromEntries([...this.#edges].map(([i, e]) => [i, e.viewers.size + [...e.plain].filter((p) => !p.closed).length]));
  }

  /** Builds the routers; the ingest opens with `publish()`. */
  async open(): Promise<void> {
    this.#pool.on('workerdied', this.#onDied);
    this.#pool.on('workerready', this.#onReady);
    await this.#build();
  }

  /**
   * Opens the ingest (sealed transports and their producers) for a lesson being published, and
   * keeps it open across a rebuild; resolves with where to send. Idempotent.
   */
  async publish(): Promise<IngestEndpoints> {
    this.#assertOpen();
    this.#publishing = true;
    while (this.#rebuilding) await this.#rebuilding;
    this.#opening ??= this.#openIngest().finally(() => (this.#opening = undefined));
    if (!this.#ingest) await this.#opening;
    if (!this.#ingest) throw new ClasscastError('SFU_NO_BROADCAST', `room ${this.id} could not open its ingest`);
    return this.#ingest;
  }

  /**
   * The lesson is no longer published: the ingest ports close (nothing listens there between
   * lessons), and with them the producers and every classroom's consumers.
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
    const origin = this.#edges.get(this.#originIndex);
    if (!origin) throw new ClasscastError('SFU_NO_BROADCAST', `room ${this.id} is rebuilding`);
    return origin.router.rtpCapabilities;
  }

  /** A member classroom joins: a receive transport on the least loaded router. */
  async createViewer(name: string, options: { forceTcp?: boolean } = {}): Promise<Viewer> {
    const { index, edge, transport } = await this.#newTransport(options.forceTcp);
    const viewer = new Viewer(name, index, edge.router, transport, {
      isMinus: (producerId) => this.#minus.some((p) => p.id === producerId),
      program: () => this.audioFor(undefined),
    });
    edge.viewers.add(viewer);
    viewer.on('closed', () => edge.viewers.delete(viewer));
    transport.observer.once('close', () => edge.viewers.delete(viewer));
    return viewer;
  }

  /**
   * A member classroom's sending side (talk-back): a WebRtcTransport on the least loaded
   * router, on which that classroom's page produces its microphone and camera.
   */
  async createSender(name: string, options: { forceTcp?: boolean } = {}): Promise<Sender> {
    const { edge, transport } = await this.#newTransport(options.forceTcp);
    const sender = new Sender(name, transport, edge.router);
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
  async #newTransport(forceTcp: boolean | undefined) {
    await this.ready();
    // The slot is taken before the first await: joins arriving together must not all pick
    // the same "least loaded" router.
    const [index, edge] = this.#leastLoaded();
    edge.pending += 1;
    const announcedAddress = this.#net.announcedAddress;
    const range = { min: this.#net.rtcMinPort, max: this.#net.rtcMaxPort };
    const listenInfos: types.TransportListenInfo[] = [
      { protocol: 'udp', ip: this.#net.listenIp, announcedAddress, portRange: range },
      { protocol: 'tcp', ip: this.#net.listenIp, announcedAddress, portRange: range },
    ];
    try {
      const transport = await edge.router.createWebRtcTransport({
        // ICE over TCP is offered too, so classrooms behind firewalls that drop UDP still connect.
        listenInfos: forceTcp ? listenInfos.filter((l) => l.protocol === 'tcp') : listenInfos,
        enableUdp: !forceTcp,
        enableTcp: true,
        preferUdp: true,
        initialAvailableOutgoingBitrate: 1_000_000,
      });
      return { index, edge, transport };
    } finally {
      edge.pending -= 1;
    }
  }

  /** A browser-less viewer on the least loaded router, sending plain RTP to `sink`. */
  async createPlainViewer(name: string, sink: PlainSink, options: { paused?: boolean } = {}): Promise<PlainViewer> {
    await this.ready();
    const [index, edge] = this.#leastLoaded();
    edge.pending += 1;
    let viewer: PlainViewer;
    try {
      viewer = await PlainViewer.create({
        name,
        workerIndex: index,
        router: edge.router,
        listenIp: this.#net.ingestIp,
        sink,
        producerIds: this.producerIds,
        paused: options.paused,
      });
    } finally {
      edge.pending -= 1;
    }
    edge.plain.add(viewer);
    return viewer;
  }

  #leastLoaded(): [number, Edge] {
    for (const edge of this.#edges.values()) for (const p of edge.plain) if (p.closed) edge.plain.delete(p);
    const load = (e: Edge) => e.viewers.size + [...e.plain].filter((p) => !p.closed).length + e.pending;
    const entry = [...this.#edges].sort((a, b) => load(a[1]) - load(b[1]))[0];
    if (!entry) throw new ClasscastError('SFU_NO_BROADCAST', `room ${this.id} is rebuilding`);
    return entry;
  }

  async close(): Promise<void> {
    if (this.#closed) return;
    this.#closed = true;
    this.#pool.off('workerdied', this.#onDied);
    this.#pool.off('workerready', this.#onReady);
    for (const edge of this.#edges.values()) edge.router.close();
    this.#edges.clear();
    this.#transports = [];
    this.#producers = [];
    this.#minus = [];
    this.#ingest = undefined;
  }

  async #build(): Promise<void> {
    const live = this.#pool.liveIndexes();
    if (live.length === 0) throw new ClasscastError('SFU_WORKER_DIED', 'no live mediasoup worker');
    const originIndex = live[0]!;
    const origin = await this.#routerOn(originIndex);
    this.#originIndex = originIndex;
    this.#edges.set(originIndex, { router: origin, viewers: new Set(), plain: new Set(), pending: 0 });
    for (const index of live.slice(1)) await this.#addEdge(index);
    this.#logger.info({ originIndex, edges: [...this.#edges.keys()] }, 'room built');
    if (this.#publishing) await this.#openIngest();
  }

  /** The ingest on the origin router, piped to every edge; announced as `ingest` and `producers`. */
  async #openIngest(): Promise<void> {
    const origin = this.#edges.get(this.#originIndex);
    if (this.#ingest || !origin) return;
    const plainOptions = {
      listenInfo: {
        protocol: 'udp' as const,
        ip: this.#net.ingestIp,
        announcedAddress: this.#net.ingestAnnouncedAddress,
        portRange: { min: this.#net.rtcMinPort, max: this.#net.rtcMaxPort },
      },
      rtcpMux: true,
      comedia: true,
      enableSrtp: true,
      srtpCryptoSuite: SRTP_SUITE,
    } as const;
    // A key per transport and per opening: told to the publisher over its own channel (the
    // daemon itself, or the authenticated publisher socket), never logged.
    const sealed = async () => {
      const transport = await origin.router.createPlainTransport(plainOptions);
      this.#transports.push(transport);
      const send = newSrtpKey();
      await transport.connect({ srtpParameters: { cryptoSuite: SRTP_SUITE, keyBase64: send } });
      return { transport, srtp: { send, receive: transport.srtpParameters!.keyBase64 } };
    };
    try {
      const { transport: videoTransport, srtp: videoKeys } = await sealed();
      const { transport: audioTransport, srtp: audioKeys } = await sealed();
      const video = await videoTransport.produce({ kind: 'video', rtpParameters: videoProducerRtpParameters(this.#plan) });
      const audio = await audioTransport.produce({ kind: 'audio', rtpParameters: audioProducerRtpParameters(this.#plan) });
      // Talk-back's mix-minus streams arrive on the same audio port, told apart by their SSRC.
      const minus: types.Producer[] = [];
      for (const ssrc of this.#plan.minusSsrcs ?? []) {
        minus.push(await audioTransport.produce({ kind: 'audio', rtpParameters: audioProducerRtpParameters(this.#plan, ssrc), appData: { minus: true } }));
      }
      this.#producers = [video, audio, ...minus];
      this.#minus = minus;
      for (const [index, edge] of this.#edges) {
        if (index === this.#originIndex) continue;
        for (const producer of this.#producers) await origin.router.pipeToRouter({ producerId: producer.id, router: edge.router });
      }
      const ingestIp = this.#net.ingestAnnouncedAddress ?? this.#net.ingestIp;
      this.#ingest = {
        video: { ip: ingestIp, port: videoTransport.tuple.localPort, srtp: videoKeys },
        audio: { ip: ingestIp, port: audioTransport.tuple.localPort, srtp: audioKeys },
      };
    } catch (error) {
      this.#closeIngest();
      throw error;
    }
    // Unpublished while it was opening: it closes again at once.
    if (!this.#publishing) return this.#closeIngest();
    this.#logger.info({ ip: this.#ingest.video.ip, video: this.#ingest.video.port, audio: this.#ingest.audio.port }, 'ingest open');
    this.safeEmit('ingest', this.#ingest);
    this.safeEmit('producers', this.producerIds);
  }

  #closeIngest(): void {
    const open = this.#transports.length > 0;
    // Closing a transport closes its producers, their pipes to the edges and every consumer.
    for (const transport of this.#transports.splice(0)) transport.close();
    this.#producers = [];
    this.#minus = [];
    this.#ingest = undefined;
    if (open) this.#logger.info('ingest closed');
  }

  async #routerOn(index: number): Promise<types.Router> {
    const worker = this.#pool.worker(index);
    if (!worker) throw new ClasscastError('SFU_WORKER_DIED', `worker ${index} is not running`);
    return worker.createRouter({ mediaCodecs: ROUTER_CODECS, appData: { room: this.id } });
  }

  async #addEdge(index: number): Promise<void> {
    if (this.#edges.has(index)) return;
    const origin = this.#edges.get(this.#originIndex);
    if (!origin) return;
    const router = await this.#routerOn(index);
    for (const producer of this.#producers) {
      await origin.router.pipeToRouter({ producerId: producer.id, router });
    }
    this.#edges.set(index, { router, viewers: new Set(), plain: new Set(), pending: 0 });
  }

  #workerDied(index: number): void {
    if (this.#closed) return;
    const edge = this.#edges.get(index);
    this.#edges.delete(index);
    // The routers on a dead worker are closed already; their viewers see `closed` and the
    // member classroom's page reconnects, landing on a live router.
    if (edge) for (const viewer of edge.viewers) viewer.close();
    if (index !== this.#originIndex) return;
    this.#logger.warn({ index }, 'origin worker died; rebuilding the room');
    for (const other of this.#edges.values()) other.router.close();
    this.#edges.clear();
    this.#transports = [];
    this.#producers = [];
    this.#minus = [];
    this.#ingest = undefined;
    this.#originIndex = -1;
    this.#rebuild();
  }

  #workerReady(index: number): void {
    if (this.#closed) return;
    if (this.#originIndex === -1) {
      this.#rebuild();
      return;
    }
    this.#addEdge(index).catch((error: unknown) => this.#logger.warn({ index, err: error }, 'edge router failed'));
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
