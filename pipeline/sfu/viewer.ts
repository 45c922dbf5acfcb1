import type { types } from 'mediasoup';
import { TypedEmitter } from '../../config/foundation/emitter.ts';
import { ClasscastError, InvalidStateError } from '../../config/foundation/errors.ts';

/** A preferred layer above any producer's: mediasoup caps it at the highest there is. */
const ANY_LAYER = 15;

export interface TransportInfo {
  id: string;
  iceParameters: types.IceParameters;
  iceCandidates: types.IceCandidate[];
  dtlsParameters: types.DtlsParameters;
}

/** What a browser needs of a WebRtcTransport to connect to it (a viewer's, a sender's). */
export function transportInfoOf(t: types.WebRtcTransport): TransportInfo {
  return { id: t.id, iceParameters: t.iceParameters, iceCandidates: t.iceCandidates, dtlsParameters: t.dtlsParameters };
}

export interface ConsumerInfo {
  id: string;
  producerId: string;
  kind: types.MediaKind;
  rtpParameters: types.RtpParameters;
  paused: boolean;
}

export interface ViewerStats {
  name: string;
  workerIndex: number;
  bitrateKbps: number;
  roundTripMs: number | undefined;
  lossPercent: number;
  videoLayer: number | undefined;
  availableOutgoingKbps: number | undefined;
}

/** Which of a room's sound streams are talk-back mix-minus, and which is the program's. */
export interface RoomSound {
  isMinus(producerId: string): boolean;
  program(): string | undefined;
}

export type ViewerEvents = {
  /** The viewer's transport or router went away under it (worker died, room rebuilt, …). */
  closed: [reason: string];
  /** A consumer closed because its producer went away; the client should consume again. */
  consumerclosed: [consumerId: string];
  layerschange: [consumerId: string, spatialLayer: number | undefined];
  /** The transport's ICE state: `disconnected` once the player stopped its consent checks. */
  icestate: [state: types.IceState];
};

/**
 * One member classroom's session inside a room: one WebRtcTransport for receiving and its
 * consumers. Consumers start paused (mediasoup's advice) and are resumed once the browser
 * has set them up, which also triggers the keyframe request for the newcomer.
 */
export class Viewer extends TypedEmitter<ViewerEvents> {
  readonly name: string;
  readonly workerIndex: number;
  readonly #router: types.Router;
  readonly #transport: types.WebRtcTransport;
  readonly #consumers = new Map<string, types.Consumer>();
  readonly #sound: RoomSound | undefined;
  /** Consumers the page asked to resume (it is ready to play them). */
  readonly #wanted = new Set<string>();
  /** The mix-minus producer this classroom hears while it speaks; none: the program's sound. */
  #hearing: string | undefined;
  #closed = false;

  constructor(name: string, workerIndex: number, router: types.Router, transport: types.WebRtcTransport, sound?: RoomSound) {
    super();
    this.#sound = sound;
    this.name = name;
    this.workerIndex = workerIndex;
    this.#router = router;
    this.#transport = transport;
    transport.observer.once('close', () => this.#closeFromBelow('transport closed'));
    transport.on('icestatechange', (state) => this.safeEmit('icestate', state));
    router.observer.once('close', () => this.#closeFromBelow('router closed'));
  }

  get closed(): boolean {
    return this.#closed;
  }

  get transportInfo(): TransportInfo {
    return transportInfoOf(this.#transport);
  }

  get consumerCount(): number {
    return this.#consumers.size;
  }

  async connect(dtlsParameters: types.DtlsParameters): Promise<void> {
    this.#assertOpen();
    await this.#transport.connect({ dtlsParameters });
  }

  /**
   * Creates paused consumers for the given producers this viewer does not consume yet.
   * `startPicture`: the video starts at once, for a transport the browser has not connected
   * yet (nothing can reach it before its receivers exist); mediasoup asks for its keyframe as
   * the transport connects, with no `resume` from the page to wait for.
   */
  async consume(producerIds: string[], rtpCapabilities: types.RtpCapabilities, options: { startPicture?: boolean } = {}): Promise<ConsumerInfo[]> {
    this.#assertOpen();
    const have = new Set([...this.#consumers.values()].map((c) => c.producerId));
    const wanted = producerIds.filter((producerId) => !have.has(producerId));
    // A producer the client cannot receive refuses the whole request before anything is made.
    const refused = wanted.find((producerId) => !this.#router.canConsume({ producerId, rtpCapabilities }));
    if (refused) throw new ClasscastError('BAD_REQUEST', `the client cannot receive producer ${refused}`);
    // All at once: each is a round trip to the worker, and a joining classroom waits for the
    // last. mediasoup numbers the MIDs as the calls are made, so they follow `producerIds`.
    return Promise.all(wanted.map((producerId) => this.#consumeOne(producerId, rtpCapabilities, options.startPicture === true)));
  }

  async #consumeOne(producerId: string, rtpCapabilities: types.RtpCapabilities, startPicture: boolean): Promise<ConsumerInfo> {
    // A newcomer starts on the lowest simulcast layer: its IDR is a fraction of the high
    // layer's (faster to encode, to send over a thin link, to decode), so the first picture
    // comes sooner. Once the page shows it (`pictureShown`), the classroom may have any
    // layer, and mediasoup moves it up as far as its bandwidth estimate allows.
    const consumer = await this.#transport.consume({ producerId, rtpCapabilities, paused: true, preferredLayers: { spatialLayer: 0 } });
    this.#consumers.set(consumer.id, consumer);
    consumer.on('producerclose', () => {
      this.#consumers.delete(consumer.id);
      this.#wanted.delete(consumer.id);
      consumer.close();
      this.safeEmit('consumerclosed', consumer.id);
    });
    consumer.on('transportclose', () => this.#consumers.delete(consumer.id));
    consumer.on('layerschange', (layers) => this.safeEmit('layerschange', consumer.id, layers?.spatialLayer));
    if (startPicture && consumer.kind === 'video') await this.resume(consumer.id);
    return { id: consumer.id, producerId, kind: consumer.kind, rtpParameters: consumer.rtpParameters, paused: consumer.paused };
  }

  async resume(consumerId: string): Promise<void> {
    this.#assertOpen();
    const consumer = this.#consumers.get(consumerId);
    if (!consumer) throw new ClasscastError('NOT_FOUND', `no consumer ${consumerId}`);
    // mediasoup asks the producer for a keyframe itself once the consumer is resumed and its
    // transport connected (SimulcastConsumer::MayChangeLayers); a request before then does nothing.
    this.#wanted.add(consumerId);
    // Of the sound streams, only the one this classroom hears flows; the others stay paused.
    if (this.#audible(consumer)) await consumer.resume();
  }

  /**
   * Which sound this classroom hears: `producerId`, a talk-back mix-minus (while it speaks,
   * so its own voice never comes back to it), or undefined for the program's. Switched on the
   * server: the page plays every sound stream it has, and only this one carries anything.
   */
  async hear(producerId: string | undefined): Promise<void> {
    this.#assertOpen();
    this.#hearing = producerId;
    for (const consumer of this.#consumers.values()) {
      if (consumer.kind !== 'audio' || !this.#wanted.has(consumer.id)) continue;
      if (this.#audible(consumer)) await consumer.resume();
      else await consumer.pause();
    }
  }

  /** The producer of the sound this classroom hears now (tests, status). */
  get hearing(): string | undefined {
    return this.#hearing ?? this.#sound?.program();
  }

  #audible(consumer: types.Consumer): boolean {
    if (consumer.kind !== 'audio' || !this.#sound) return true;
    return this.#hearing !== undefined ? consumer.producerId === this.#hearing : !this.#sound.isMinus(consumer.producerId);
  }

  async stats(): Promise<ViewerStats> {
    let bitrate = 0;
    let rtt: number | undefined;
    let loss = 0;
    let layer: number | undefined;
    let available: number | undefined;
    if (!this.#closed) {
      for (const stat of await this.#transport.getStats()) {
        bitrate += (stat.sendBitrate ?? 0) / 1000;
        available = stat.availableOutgoingBitrate !== undefined ? stat.availableOutgoingBitrate / 1000 : available;
      }
      for (const consumer of this.#consumers.values()) {
        for (const stat of await consumer.getStats()) {
          if (stat.type !== 'outbound-rtp') continue;
          if (stat.roundTripTime !== undefined) rtt = Math.max(rtt ?? 0, stat.roundTripTime);
          if (stat.packetCount > 0) loss = Math.max(loss, (100 * (stat.packetsLost ?? 0)) / stat.packetCount);
        }
        if (consumer.kind === 'video') layer = consumer.currentLayers?.spatialLayer;
      }
    }
    return {
      name: this.name,
      workerIndex: this.workerIndex,
      bitrateKbps: Math.round(bitrate),
      roundTripMs: rtt,
      lossPercent: Math.round(loss * 10) / 10,
      videoLayer: layer,
      availableOutgoingKbps: available === undefined ? undefined : Math.round(available),
    };
  }

  /**
   * The classroom shows its first picture: its video may now move up from the newcomer's low
   * layer (another keyframe, of the layer its bandwidth estimate allows).
   */
  pictureShown(): void {
    this.#assertOpen();
    for (const consumer of this.#consumers.values()) {
      if (consumer.type !== 'simulcast' && consumer.type !== 'svc') continue;
      consumer.setPreferredLayers({ spatialLayer: ANY_LAYER, temporalLayer: ANY_LAYER }).catch(() => undefined);
    }
  }

  /** Idempotent user close. */
  close(): void {
    if (this.#closed) return;
    this.#closed = true;
    this.#transport.close();
  }

  #closeFromBelow(reason: string): void {
    if (this.#closed) return;
    this.#closed = true;
    this.#transport.close();
    this.safeEmit('closed', reason);
  }

  #assertOpen(): void {
    if (this.#closed) throw new InvalidStateError(`viewer ${this.name} is closed`);
  }
}
