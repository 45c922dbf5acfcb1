import type { types } from 'mediasoup';
import { ClasscastError } from '../../config/foundation/errors.ts';
import type { RtpStreamDescription } from '../media/loopback-sdp.ts';
import type { TalkbackStreams } from '../media/talkback-intake.ts';
import type { Sender } from './sender.ts';

/**
 * A talk-back room's microphone and camera, sent on by the SFU as plain RTP to the box's
 * talk-back intake (`ports`, on loopback): one PlainTransport per kind on the router the room
 * sends to, each with one consumer. Consumers start paused; `resume` once the intake listens.
 */
export class TalkbackTap {
  readonly streams: TalkbackStreams;
  readonly #transports: types.PlainTransport[];
  readonly #consumers: types.Consumer[];

  private constructor(streams: TalkbackStreams, transports: types.PlainTransport[], consumers: types.Consumer[]) {
    this.streams = streams;
    this.#transports = transports;
    this.#consumers = consumers;
  }

  static async open(sender: Sender, ports: { audio: number; video: number }, ip = '127.0.0.1'): Promise<TalkbackTap> {
    const transports: types.PlainTransport[] = [];
    const consumers: types.Consumer[] = [];
    try {
      const stream = async (kind: types.MediaKind, port: number): Promise<RtpStreamDescription> => {
        const producer = sender.producer(kind);
        if (!producer) throw new ClasscastError('INVALID_STATE', `${sender.name} sends no ${kind}`);
        const transport = await sender.router.createPlainTransport({ listenInfo: { protocol: 'udp', ip }, rtcpMux: false, comedia: false });
        transports.push(transport);
        await transport.connect({ ip, port, rtcpPort: port + 1 });
        const consumer = await transport.consume({ producerId: producer.id, rtpCapabilities: sender.router.rtpCapabilities, paused: true });
        consumers.push(consumer);
        return describe(consumer.rtpParameters, port);
      };
      const streams = { audio: await stream('audio', ports.audio), video: await stream('video', ports.video) };
      return new TalkbackTap(streams, transports, consumers);
    } catch (error) {
      for (const transport of transports) transport.close();
      throw error;
    }
  }

  get closed(): boolean {
    return this.#transports.some((t) => t.closed);
  }

  async resume(): Promise<void> {
    await Promise.all(this.#consumers.map((c) => c.resume()));
  }

  /** Asks the room's browser for a keyframe (the intake's decoder starts, or restarted). */
  async requestKeyFrame(): Promise<void> {
    await Promise.all(this.#consumers.filter((c) => c.kind === 'video' && !c.closed).map((c) => c.requestKeyFrame()));
  }

  close(): void {
    for (const transport of this.#transports) transport.close();
  }
}

/** What the intake's SDP says of a consumer's stream: its media codec (not RTX), port and format. */
function describe(parameters: types.RtpParameters, port: number): RtpStreamDescription {
  const codec = parameters.codecs.find((c) => !/\/(rtx|red|ulpfec)$/i.test(c.mimeType));
  if (!codec) throw new ClasscastError('INVALID_STATE', 'a talk-back stream without a media codec');
  const fmtp = Object.entries(codec.parameters ?? {})
    .map(([key, value]) => `${key}=${String(value)}`)
    .join(';');
  return {
    port,
    payloadType: codec.payloadType,
    codec: codec.mimeType.split('/')[1]!,
    clockRate: codec.clockRate,
    ...(codec.channels ? { channels: codec.channels } : {}),
    ...(fmtp ? { fmtp } : {}),
  };
}
