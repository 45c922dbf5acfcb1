import type { Device, types } from 'mediasoup-client';
import type { ConsumerAnswer, JoinAnswer, TalkbackView, TransportAnswer } from '../../signalling/protocol.ts';
import { certificateDtls, newDevice, type EarlyReceiver, type EarlyStart } from './device.ts';
import { answerError, SignalClient } from './signal-client.ts';
import { TalkbackSender } from './talkback-sender.ts';

export interface PlayerStatus {
  level: 'info' | 'warn' | 'error';
  /** connecting | waiting | live | reconnecting | denied */
  phase: string;
  text: string;
  lesson?: string;
}

/** The longest wait between reconnect attempts (ms, ±25 % jitter). */
const RETRY_CAP_MS = 3_000;

/** How long the page waits for the answer to the join its HTML sent (as for any request, ms). */
const EARLY_JOIN_TIMEOUT_MS = 10_000;

/** How long the sound waits for the first picture before it is resumed anyway (ms). */
const FIRST_FRAME_WAIT_MS = 3000;

/** What `createTransport` answers: a transport and the router's capabilities. */
type CreateTransportAnswer = TransportAnswer & { rtpCapabilities: types.RtpCapabilities };

/**
 * Plays one broadcast from the SFU into a <video>, for a kiosk nobody touches: it joins with
 * the token, waits for the lesson, consumes, and on any break (socket, ICE, worker, new
 * producers, the lesson ending and the next starting) tears down and comes back by itself
 * with capped, jittered backoff. A token that is refused stops retrying (nothing would fix it).
 */
export class LivePlayer {
  readonly #video: HTMLVideoElement;
  /**
   * Where the page signals: its own server first, then (from an edge's join answer) the other
   * SFUs serving the broadcast; a connection that cannot be made moves on to the next.
   */
  #wsUrls: string[];
  #urlIndex = 0;
  /** Servers of the list that could not be reached in a row (reset by a join). */
  #unreachable = 0;
  readonly #token: string;
  readonly #onStatus: (s: PlayerStatus) => void;
  #client: SignalClient | undefined;
  #device: Device | undefined;
  #transport: types.Transport | undefined;
  #consumers: types.Consumer[] = [];
  /**
   * Sound streams beyond the program's (talk-back's mix-minus), each in an element of its
   * own: the server sends on only the one this classroom hears, so playing all is safe.
   */
  #extraSound: HTMLAudioElement[] = [];
  #attempt = 0;
  #retryTimer: number | undefined;
  #generation = 0;
  #lesson: string | undefined;
  #stopped = false;
  /** ICE over TCP only: set after a transport failed without ever connecting over UDP. */
  #forceTcp = false;
  /** The router's capabilities embedded in the page, so the device loads before the join. */
  readonly #routerCapabilities: types.RtpCapabilities | undefined;
  #deviceReady: Promise<Device | undefined> | undefined;
  /** A socket the page opened before this script ran; used by the first connect only. */
  #earlySocket: WebSocket | undefined;
  /** The browser's native offers (the device loads from them): the receiving one made before this script ran, the sending one as it was loaded. */
  readonly #earlyOffers: EarlyStart['offers'];
  /** The join the page's HTML sent, and what came before this script (first connect only). */
  #early: EarlyStart | undefined;
  /** The HTML's receivers for the early join's transport, until that transport takes them over. */
  #earlyReceiver: EarlyReceiver | undefined;
  /**
   * The DTLS certificate of every receive transport (made while the page loaded): its
   * fingerprint goes with the join, and the SFU connects the transport before answering.
   */
  readonly #certificate: Promise<RTCCertificate | undefined>;
  #sender: TalkbackSender | undefined;
  /** Whether this classroom may raise its hand, as each join says. */
  onTalkbackAvailable: (available: boolean) => void = () => {};
  /** This classroom's talk-back request changed (raised, accepted, ended). */
  onTalkback: (request: TalkbackView) => void = () => {};

  /**
   * `options.tcp`: start with ICE over TCP (for a school whose firewall is known to drop UDP,
   * so the kiosk does not first wait for a UDP attempt to fail).
   */
  constructor(
    video: HTMLVideoElement,
    wsUrl: string,
    token: string,
    onStatus: (s: PlayerStatus) => void,
    options: { tcp?: boolean; routerRtpCapabilities?: types.RtpCapabilities; early?: EarlyStart } = {},
  ) {
    this.#video = video;
    this.#wsUrls = [wsUrl];
    this.#token = token;
    this.#onStatus = onStatus;
    this.#forceTcp = options.tcp === true;
    this.#routerCapabilities = options.routerRtpCapabilities;
    this.#earlySocket = options.early?.socket;
    this.#earlyOffers = options.early?.offers;
    this.#early = options.early;
    this.#certificate = (options.early?.certificate ?? Promise.resolve(undefined)).catch(() => undefined);
  }

  #takeEarlySocket(): WebSocket | undefined {
    const socket = this.#earlySocket;
    this.#earlySocket = undefined;
    return socket;
  }

  /** The device, loaded from the embedded capabilities (once; undefined without them). */
  #preloadDevice(): Promise<Device | undefined> {
    this.#deviceReady ??= (async () => {
      if (!this.#routerCapabilities) return undefined;
      const device = newDevice(this.#earlyOffers, () => this.#takeEarlyReceiver());
      await device.load({ routerRtpCapabilities: this.#routerCapabilities });
      this.#device = device;
      return device;
    })().catch(() => undefined);
    return this.#deviceReady;
  }

  /** The HTML's peer connection, once, for the transport being made (the early join's). */
  #takeEarlyReceiver(): RTCPeerConnection | undefined {
    const receiver = this.#earlyReceiver;
    this.#earlyReceiver = undefined;
    return receiver?.pc;
  }

  /** The HTML's receivers are gone (not taken over): so is the picture they showed. */
  #dropEarlyReceiver(): void {
    if (!this.#earlyReceiver) return;
    this.#earlyReceiver.pc.close();
    this.#earlyReceiver = undefined;
    this.#video.srcObject = null;
  }

  get transport(): types.Transport | undefined {
    return this.#transport;
  }

  /** Whether the current (or next) transport is ICE over TCP only. */
  get forceTcp(): boolean {
    return this.#forceTcp;
  }

  start(): void {
    void this.#connect();
  }

  stop(): void {
    this.#stopped = true;
    clearTimeout(this.#retryTimer);
    this.#dropEarlyReceiver();
    this.#teardown();
    this.#client?.close();
  }

  /** RTCStatsReport of the receive transport (for the status line and tests). */
  async stats(): Promise<RTCStatsReport | undefined> {
    return this.#transport && !this.#transport.closed ? this.#transport.getStats() : undefined;
  }

  async #connect(): Promise<void> {
    const generation = ++this.#generation;
    this.#status('info', this.#attempt === 0 ? 'connecting' : 'reconnecting', this.#attempt === 0 ? 'Connecting…' : 'Reconnecting…');
    try {
      // The device loads while the socket opens; with it, the join brings the media too.
      const wsUrl = this.#wsUrls[this.#urlIndex % this.#wsUrls.length]!;
      const [client, device, certificate] = await Promise.all([
        SignalClient.open(wsUrl, undefined, wsUrl === this.#wsUrls[0] ? this.#takeEarlySocket() : undefined)
          .then((c) => (performance.mark('classcast:socket'), c))
          .catch((error: Error) => {
            // This server is gone (an edge that died): the next attempt goes to the next one,
            // at once while some other one of the list has not been tried since.
            this.#urlIndex += 1;
            this.#unreachable += 1;
            throw error;
          }),
        this.#preloadDevice().then((d) => (performance.mark('classcast:device'), d)),
        this.#certificate,
      ]);
      if (generation !== this.#generation) return client.close();
      this.#client = client;
      client.onClose = () => this.#retry('connection lost');
      client.onNotification = (name, data) => this.#onNotification(name, data);
      const media = device?.loaded
        ? { rtpCapabilities: device.rtpCapabilities, forceTcp: this.#forceTcp, ...(certificate ? { dtlsParameters: certificateDtls(certificate) } : {}) }
        : undefined;
      const join = (await this.#earlyJoin(device)) ?? (await client.request('join', { token: this.#token, ...(media ? { media } : {}) }));
      performance.mark('classcast:joined');
      this.#unreachable = 0;
      this.#learnAlternates(wsUrl, join.alternates);
      this.onTalkbackAvailable(join.talkback);
      this.#lesson = join.lesson?.title;
      this.#attempt = 0;
      if (join.media) await this.#play(generation, join.media, media!.forceTcp, certificate);
      else if (join.state === 'live' && join.available) await this.#startMedia(generation);
      else this.#status('info', 'waiting', 'Waiting for the lesson to start…');
    } catch (error) {
      const code = (error as { code?: string }).code;
      if (code === 'UNAUTHORIZED' || code === 'FORBIDDEN') {
        this.#status('error', 'denied', `This link is not valid (${(error as Error).message}). Ask the school for a new one.`);
        this.#stopped = true;
        this.#client?.close();
        return;
      }
      this.#retry((error as Error).message);
    }
  }

  /**
   * The first connect's join, when the page's HTML sent it: its answer (an error answer throws
   * as a request's would). Its media is the `Chrome111` device's: a page whose device is
   * another handler's sets its media up step by step. The receivers the HTML set up for that
   * join's transport are kept for it to take over (and closed otherwise). Notifications that
   * came before this script are handled now. Undefined: no join was sent early; the page
   * sends its own.
   */
  async #earlyJoin(device: Device | undefined): Promise<JoinAnswer | undefined> {
    const early = this.#early;
    this.#early = undefined;
    let timer: number | undefined;
    const deadline = new Promise<never>((_, reject) => (timer = window.setTimeout(() => reject(new Error('join timed out')), EARLY_JOIN_TIMEOUT_MS)));
    const [frame, receiver] = await Promise.race([Promise.all([early?.claim?.(), early?.receiver]), deadline]).finally(() => window.clearTimeout(timer));
    const before = early?.notifications ?? [];
    if (early) early.notifications = null;
    for (const { notification, data } of before) this.#onNotification(notification, data);
    if (receiver && frame?.ok && (frame.data as JoinAnswer).media?.transport.id === receiver.transportId) this.#earlyReceiver = receiver;
    else receiver?.pc.close();
    if (!frame) return undefined;
    if (!frame.ok) throw answerError(frame.error);
    const join = frame.data as JoinAnswer;
    if (join.media && device?.handlerName !== 'Chrome111') {
      delete join.media;
      this.#dropEarlyReceiver();
    }
    return join;
  }

  /** The signalling URL in use now (tests, the status line). */
  get server(): string {
    return this.#wsUrls[this.#urlIndex % this.#wsUrls.length]!;
  }

  /** The server in use stays first; the others it named follow, in its order. */
  #learnAlternates(current: string, alternates: string[] | undefined): void {
    if (!alternates || alternates.length === 0) return;
    const others = alternates.map(signallingUrl).filter((url) => url !== current);
    this.#wsUrls = [current, ...new Set(others)];
    this.#urlIndex = 0;
  }

  /** Step by step: a transport, then consumers (a page without embedded capabilities, a new lesson). */
  async #startMedia(generation: number): Promise<void> {
    const client = this.#client!;
    this.#teardown();
    const forceTcp = this.#forceTcp;
    const answer = (await client.request('createTransport', { forceTcp })) as CreateTransportAnswer;
    if (generation !== this.#generation) return;
    if (!this.#device) {
      this.#device = newDevice();
      await this.#device.load({ routerRtpCapabilities: answer.rtpCapabilities });
    }
    this.#openTransport(answer, forceTcp, await this.#certificate, false);
    await this.#consume(generation);
  }

  /**
   * In one step: the join brought the transport (connected already when it took this page's
   * certificate) and the consumers, the picture's started, the sound's paused.
   */
  async #play(generation: number, media: NonNullable<JoinAnswer['media']>, forceTcp: boolean, certificate: RTCCertificate | undefined): Promise<void> {
    if (generation !== this.#generation) return;
    this.#teardown();
    this.#openTransport(media.transport, forceTcp, certificate, media.connected === true);
    await this.#attach(generation, media.consumers);
  }

  /** `connected`: the SFU connected the transport with `certificate`'s fingerprint in the join. */
  #openTransport(answer: TransportAnswer, forceTcp: boolean, certificate: RTCCertificate | undefined, connected: boolean): void {
    const client = this.#client!;
    const transport = this.#device!.createRecvTransport({
      id: answer.id,
      iceParameters: answer.iceParameters as types.IceParameters,
      iceCandidates: answer.iceCandidates as types.IceCandidate[],
      dtlsParameters: answer.dtlsParameters as types.DtlsParameters,
      ...(certificate ? { additionalSettings: { certificates: [certificate] } } : {}),
    });
    this.#transport = transport;
    transport.on('connect', ({ dtlsParameters }, callback, errback) => {
      // Connected in the join: ICE starts without another round trip.
      if (connected) return callback();
      client.request('connectTransport', { dtlsParameters }).then(() => callback(), errback);
    });
    let reached = false;
    transport.on('connectionstatechange', (state) => {
      if (transport !== this.#transport) return;
      if (state === 'connected') {
        reached = true;
        performance.mark('classcast:connected');
      }
      // A firewall that drops UDP lets the signalling through but not the media: ICE fails
      // without ever connecting. Try ICE over TCP next (and UDP again if TCP fails too).
      if (state === 'failed' && !reached) this.#forceTcp = !forceTcp;
      if (state === 'failed' || state === 'closed') this.#retry(`network ${state}`);
      if (state === 'disconnected') {
        // ICE often recovers from a short outage by itself; give it a moment, then rebuild.
        window.setTimeout(() => {
          if (transport === this.#transport && transport.connectionState === 'disconnected') this.#retry('network lost');
        }, 4000);
      }
    });
  }

  async #consume(generation: number): Promise<void> {
    const answers = await this.#client!.request('consume', { rtpCapabilities: this.#device!.rtpCapabilities as Record<string, unknown> });
    await this.#attach(generation, answers);
  }

  /** Sets up the consumers the server made (paused), shows them, and resumes them all at once. */
  async #attach(generation: number, answers: ConsumerAnswer[]): Promise<void> {
    if (generation !== this.#generation) return;
    const client = this.#client!;
    const transport = this.#transport!;
    for (const consumer of this.#consumers) consumer.close();
    this.#consumers = [];
    this.#dropExtraSound();
    // Asked for together, mediasoup-client sets all consumers up in one SDP negotiation
    // instead of one each (a few hundred ms on a busy kiosk).
    const consumers = await Promise.all(answers.map((answer) => transport.consume({ ...answer, rtpParameters: answer.rtpParameters as types.RtpParameters })));
    const shown: MediaStreamTrack[] = [];
    const extra: MediaStreamTrack[] = [];
    for (const consumer of consumers) {
      lowDelay(consumer.rtpReceiver);
      this.#consumers.push(consumer);
      if (consumer.kind === 'audio' && shown.some((t) => t.kind === 'audio')) extra.push(consumer.track);
      else shown.push(consumer.track);
    }
    this.#show(shown);
    this.#extraSound = extra.map((track) => {
      const element = new Audio();
      element.srcObject = new MediaStream([track]);
      return element;
    });
    // The picture first: resuming asks the encoder for a keyframe for this classroom. The
    // sound follows once the picture shows: the browser only plays (pulls) sound from then
    // on, and sound that arrived before would sit in its jitter buffer as extra delay for
    // seconds (it drains a buffer only by playing slightly faster).
    // A join's picture comes started (`paused: false`): nothing to ask for.
    const paused = new Set(answers.filter((a) => a.paused !== false).map((a) => a.id));
    const pictures = this.#consumers.filter((c) => c.kind === 'video').map((c) => c.id);
    const sounds = this.#consumers.filter((c) => c.kind !== 'video').map((c) => c.id);
    const first = pictures.length > 0 ? pictures : sounds;
    const toResume = first.filter((id) => paused.has(id));
    if (toResume.length > 0) await client.request('resume', { consumerIds: toResume });
    performance.mark('classcast:resumed');
    if (first === pictures) this.#onFirstFrame(generation, sounds);
    await this.#startPlayback();
    this.#status('info', 'live', this.#lesson ? `Live · ${this.#lesson}` : 'Live');
  }

  /**
   * Plays `tracks` in the video element. A picture already on screen (the HTML's receivers,
   * taken over) stays there: its stream gains the sound instead of being replaced, which
   * would blank the element until the next frame.
   */
  #show(tracks: MediaStreamTrack[]): void {
    const current = this.#video.srcObject;
    const pictures = tracks.filter((t) => t.kind === 'video');
    if (current instanceof MediaStream && pictures.length > 0 && pictures.every((t) => current.getTracks().includes(t))) {
      for (const track of current.getTracks()) if (!tracks.includes(track)) current.removeTrack(track);
      for (const track of tracks) if (!current.getTracks().includes(track)) current.addTrack(track);
      return;
    }
    this.#video.srcObject = new MediaStream(tracks);
  }

  /**
   * When the video shows its first frame (the low layer): tells the server, which lets the
   * picture move up to the layer the link allows, and resumes the sound `consumerIds`. The
   * sound also comes after a while without a picture.
   */
  #onFirstFrame(generation: number, consumerIds: string[]): void {
    const client = this.#client;
    const current = () => generation === this.#generation && client === this.#client;
    let resumed = false;
    const resume = () => {
      if (resumed) return;
      resumed = true;
      window.clearTimeout(fallback);
      if (!current() || consumerIds.length === 0) return;
      client?.request('resume', { consumerIds }).catch((e: Error) => this.#retry(e.message));
    };
    // A lesson whose picture does not come still gets its sound.
    const fallback = window.setTimeout(resume, FIRST_FRAME_WAIT_MS);
    this.#video.requestVideoFrameCallback(() => {
      resume();
      if (current()) client?.request('shown').catch((e: Error) => this.#retry(e.message));
    });
  }

  async #startPlayback(): Promise<void> {
    // Kiosks are usually started with autoplay allowed; if not, play muted and ask for a tap.
    this.#video.muted = false;
    try {
      await this.#video.play();
      this.#playExtraSound();
      document.dispatchEvent(new CustomEvent('classcast:sound', { detail: true }));
    } catch {
      this.#video.muted = true;
      await this.#video.play().catch(() => undefined);
      document.dispatchEvent(new CustomEvent('classcast:sound', { detail: false }));
    }
  }

  unmute(): void {
    this.#video.muted = false;
    void this.#video.play();
    this.#playExtraSound();
  }

  #playExtraSound(): void {
    for (const element of this.#extraSound) void element.play().catch(() => undefined);
  }

  #dropExtraSound(): void {
    for (const element of this.#extraSound) element.srcObject = null;
    this.#extraSound = [];
  }

  /** The tracks of every sound stream received (tests measure what a classroom hears). */
  soundTracks(): MediaStreamTrack[] {
    return this.#consumers.filter((c) => c.kind === 'audio').map((c) => c.track);
  }

  /**
   * Starts sending this room's microphone and camera (its talk-back is on air); resolves once
   * both are produced, rejects with a message a person can act on.
   */
  async startSending(): Promise<TalkbackSender> {
    if (!this.#client || !this.#device?.loaded) throw new Error('not connected');
    this.#sender?.stop();
    const sender = new TalkbackSender(this.#client, this.#device);
    this.#sender = sender;
    await sender.start(this.#forceTcp);
    return sender;
  }

  /** Stops sending (the talk-back ended): the capture tracks stop, the camera light goes out. */
  stopSending(): void {
    this.#sender?.stop();
    this.#sender = undefined;
  }

  /** The capture tracks while sending. */
  sendingTracks(): MediaStreamTrack[] {
    return this.#sender?.tracks() ?? [];
  }

  /** Raises this classroom's hand; resolves with its request (waiting, or as it already was). */
  async raiseHand(): Promise<TalkbackView> {
    if (!this.#client) throw new Error('not connected');
    const request = await this.#client.request('raiseHand');
    this.onTalkback(request);
    return request;
  }

  async lowerHand(): Promise<void> {
    await this.#client?.request('lowerHand');
  }

  #onNotification(name: string, data: unknown): void {
    const generation = this.#generation;
    if (name === 'talkback') return this.onTalkback(data as TalkbackView);
    if (name === 'state') {
      const info = data as { state: string; lesson?: { title: string } };
      this.#lesson = info.lesson?.title ?? this.#lesson;
      if (info.state === 'live' && !this.#transport) {
        this.#startMedia(generation).catch((e: Error) => this.#retry(e.message));
      } else if (info.state === 'idle') {
        this.#teardown();
        this.#video.srcObject = null;
        this.#status('info', 'waiting', 'The lesson has ended. Waiting for the next one…');
      }
    } else if (name === 'producers') {
      if (this.#transport) this.#consume(generation).catch((e: Error) => this.#retry(e.message));
      else this.#startMedia(generation).catch((e: Error) => this.#retry(e.message));
    } else if (name === 'reconnect') {
      this.#retry((data as { reason?: string }).reason ?? 'server asked to reconnect');
    }
  }

  #retry(reason: string): void {
    if (this.#stopped) return;
    this.#generation += 1;
    this.#dropEarlyReceiver();
    this.#teardown();
    // The server ends a request whose connection went: so does the page, and its capture.
    if (this.#sender) {
      this.stopSending();
      this.onTalkback({ id: '', state: 'ended', reason: 'left' });
    }
    const client = this.#client;
    this.#client = undefined;
    if (client) {
      client.onClose = () => {};
      client.close();
    }
    clearTimeout(this.#retryTimer);
    // Capped low: a kiosk whose box restarts (10–15 s) is back within a few seconds of it, and
    // even a few hundred kiosks retrying this often are a handful of sockets a second.
    const base = Math.min(RETRY_CAP_MS, 500 * 2 ** this.#attempt);
    const untried = this.#unreachable > 0 && this.#unreachable < this.#wsUrls.length;
    const delay = untried ? 100 : Math.round(base * (0.75 + Math.random() * 0.5));
    this.#attempt += 1;
    this.#status('warn', 'reconnecting', `Reconnecting in ${Math.ceil(delay / 1000)} s (${reason})…`);
    this.#retryTimer = window.setTimeout(() => void this.#connect(), delay);
  }

  #teardown(): void {
    for (const consumer of this.#consumers) consumer.close();
    this.#consumers = [];
    this.#dropExtraSound();
    this.#transport?.close();
    this.#transport = undefined;
  }

  #status(level: PlayerStatus['level'], phase: string, text: string): void {
    this.#onStatus({ level, phase, text, lesson: this.#lesson });
  }
}

/** The signalling socket of an SFU, from its base URL. */
function signallingUrl(base: string): string {
  const url = new URL('/ws/sfu', base);
  url.protocol = url.protocol === 'https:' ? 'wss:' : 'ws:';
  return url.toString();
}

/**
 * Asks the receiver for the smallest jitter buffer the network allows: a lesson followed live
 * is better a little choppy than late. `jitterBufferTarget` (ms) is the standard control
 * (Chromium 114+); `playoutDelayHint` (s) is Chromium's older name for it.
 */
function lowDelay(receiver: RTCRtpReceiver | undefined): void {
  if (!receiver) return;
  const r = receiver as unknown as { jitterBufferTarget?: number | null; playoutDelayHint?: number };
  try {
    if ('jitterBufferTarget' in receiver) r.jitterBufferTarget = 0;
    else r.playoutDelayHint = 0;
  } catch {
    // An older browser refusing the hint plays with its default buffer.
  }
}
