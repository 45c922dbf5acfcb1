import type { types } from 'mediasoup';
import { InvalidStateError } from '../../config/foundation/errors.ts';

export interface PlainSink {
  ip: string;
  port: number;
}

/**
 * A viewer without a browser: consumers of every producer on one PlainTransport that sends
 * plain RTP to `sink` (RTCP muxed). The fan-out benchmark uses many of them as synthetic
 * member classrooms; a recorder or a monitoring probe could use one the same way. Nothing
 * acknowledges what it sends, so it gets no bandwidth estimate: simulcast consumers stay on
 * the highest layer, which is the worst case for the worker.
 */
export class PlainViewer {
  readonly name: string;
  readonly workerIndex: number;
  readonly #transport: types.PlainTransport;
  readonly #consumers: types.Consumer[];
  #closed = false;

  private constructor(name: string, workerIndex: number, transport: types.PlainTransport, consumers: types.Consumer[]) {
    this.name = name;
    this.workerIndex = workerIndex;
    this.#transport = transport;
    this.#consumers = consumers;
    transport.observer.once('close', () => {
      this.#closed = true;
    });
  }

  static async create(options: {
    name: string;
    workerIndex: number;
    router: types.Router;
    listenIp: string;
    sink: PlainSink;
    producerIds: string[];
    /** Resumed at once (default) or left paused for the caller to time the resume. */
    paused?: boolean;
  }): Promise<PlainViewer> {
    const { router } = options;
    const transport = await router.createPlainTransport({ listenInfo: { protocol: 'udp', ip: options.listenIp }, rtcpMux: true, comedia: false });
    try {
      await transport.connect({ ip: options.sink.ip, port: options.sink.port });
      const consumers: types.Consumer[] = [];
      for (const producerId of options.producerIds) {
        consumers.push(await transport.consume({ producerId, rtpCapabilities: router.rtpCapabilities, paused: options.paused ?? false }));
      }
      return new PlainViewer(options.name, options.workerIndex, transport, consumers);
    } catch (error) {
      transport.close();
      throw error;
    }
  }

  get closed(): boolean {
    return this.#closed;
  }

  /** The SSRCs this viewer's RTP leaves with, by kind (to tell streams apart at one sink). */
  ssrcs(): { kind: types.MediaKind; ssrc: number }[] {
    return this.#consumers.flatMap((c) => (c.rtpParameters.encodings ?? []).map((e) => ({ kind: c.kind, ssrc: e.ssrc! })));
  }

  /** Resumes every consumer (a video consumer asks its producer for a keyframe then). */
  async resume(): Promise<void> {
    if (this.#closed) throw new InvalidStateError(`viewer ${this.name} is closed`);
    await Promise.all(this.#consumers.map((c) => c.resume()));
  }

  /** Asks for a keyframe of the layer each video consumer sends (as a decoder that lost one would). */
  async requestKeyFrame(): Promise<void> {
    if (this.#closed) throw new InvalidStateError(`viewer ${this.name} is closed`);
    await Promise.all(this.#consumers.filter((c) => c.kind === 'video').map((c) => c.requestKeyFrame()));
  }

  /** mediasoup's stats of each consumer (and its producer's stream), by kind. */
  async stats(): Promise<{ kind: types.MediaKind; layers: types.ConsumerLayers | undefined; stats: unknown[] }[]> {
    return Promise.all(this.#consumers.map(async (c) => ({ kind: c.kind, layers: c.currentLayers, stats: await c.getStats() })));
  }

  close(): void {
    if (this.#closed) return;
    this.#closed = true;
    this.#transport.close();
  }
}
