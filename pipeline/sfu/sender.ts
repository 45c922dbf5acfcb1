import type { types } from 'mediasoup';
import { ClasscastError, InvalidStateError } from '../../config/foundation/errors.ts';
import type { TransportInfo } from './viewer.ts';

/**
 * A member classroom's sending side (talk-back): one WebRtcTransport on which its page
 * produces at most one microphone and one camera. Closing it closes its producers.
 */
export class Sender {
  readonly name: string;
  readonly #transport: types.WebRtcTransport;
  readonly #producers = new Map<types.MediaKind, types.Producer>();

  constructor(name: string, transport: types.WebRtcTransport) {
    this.name = name;
    this.#transport = transport;
  }

  get closed(): boolean {
    return this.#transport.closed;
  }

  get transportInfo(): TransportInfo {
    const t = this.#transport;
    return { id: t.id, iceParameters: t.iceParameters, iceCandidates: t.iceCandidates, dtlsParameters: t.dtlsParameters };
  }

  /** The producers by kind (the pipeline's talk-back input, tests). */
  producers(): types.Producer[] {
    return [...this.#producers.values()];
  }

  async connect(dtlsParameters: types.DtlsParameters): Promise<void> {
    this.#assertOpen();
    await this.#transport.connect({ dtlsParameters });
  }

  async produce(kind: types.MediaKind, rtpParameters: types.RtpParameters): Promise<string> {
    this.#assertOpen();
    if (this.#producers.has(kind)) throw new ClasscastError('CONFLICT', `this classroom already sends ${kind}`);
    const producer = await this.#transport.produce({ kind, rtpParameters });
    this.#producers.set(kind, producer);
    producer.observer.once('close', () => this.#producers.delete(kind));
    return producer.id;
  }

  close(): void {
    this.#transport.close();
  }

  #assertOpen(): void {
    if (this.#transport.closed) throw new InvalidStateError(`the sender of ${this.name} is closed`);
  }
}
