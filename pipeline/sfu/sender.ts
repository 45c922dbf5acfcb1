import type { types } from 'mediasoup';
import { TypedEmitter } from '../../config/foundation/emitter.ts';
import { ClasscastError, InvalidStateError } from '../../config/foundation/errors.ts';
import { transportInfoOf, type TransportInfo } from './viewer.ts';

export type SenderEvents = {
  /** The page produced its microphone or camera. */
  producer: [types.Producer];
  closed: [];
};

/**
 * A member classroom's sending side (talk-back): one WebRtcTransport on which its page
 * produces at most one microphone and one camera. Closing it closes its producers.
 */
export class Sender extends TypedEmitter<SenderEvents> {
  readonly name: string;
  /** The router its producers live on (the pipeline's talk-back intake consumes there). */
  readonly router: types.Router;
  readonly #transport: types.WebRtcTransport;
  readonly #producers = new Map<types.MediaKind, types.Producer>();

  constructor(name: string, transport: types.WebRtcTransport, router: types.Router) {
    super();
    this.name = name;
    this.router = router;
    this.#transport = transport;
    transport.observer.once('close', () => this.safeEmit('closed'));
  }

  get closed(): boolean {
    return this.#transport.closed;
  }

  get transportInfo(): TransportInfo {
    return transportInfoOf(this.#transport);
  }

  /** The producers by kind (the pipeline's talk-back input, tests). */
  producers(): types.Producer[] {
    return [...this.#producers.values()];
  }

  producer(kind: types.MediaKind): types.Producer | undefined {
    return this.#producers.get(kind);
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
    this.safeEmit('producer', producer);
    return producer.id;
  }

  close(): void {
    this.#transport.close();
  }

  #assertOpen(): void {
    if (this.#transport.closed) throw new InvalidStateError(`the sender of ${this.name} is closed`);
  }
}
