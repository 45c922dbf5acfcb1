import type { types } from 'mediasoup';
import { TypedEmitter } from '../../config/foundation/emitter.ts';
import type { RoomNetwork } from './feed.ts';

/** One end of an SFU-to-SFU pipe: where it listens, and the SRTP key it sends with. */
export interface PipeEnd {
  ip: string;
  port: number;
  srtp: types.SrtpParameters;
}

/** A producer of the origin's room as the edge re-creates it (same id, the pipe's RTP parameters). */
export interface PipedProducer {
  id: string;
  kind: types.MediaKind;
  rtpParameters: types.RtpParameters;
  paused: boolean;
  /** A talk-back mix-minus sound (not the program's). */
  minus: boolean;
}

/** What the origin answers an edge's pull with: its end of the pipe and what flows through it. */
export interface PipeOffer extends PipeEnd {
  producers: PipedProducer[];
}

export interface PipeFigures {
  /** What the pipe sends to the edge (kbit/s), and has sent since it opened (bytes). */
  sendKbps: number;
  sentBytes: number;
  /** The edge's receiver reports: loss over the link and its round trip. */
  lossPercent: number;
  roundTripMs: number | undefined;
}

export type PipeOutEvents = { closed: [] };

/**
 * Both ends of an SFU-to-SFU pipe use these: mediasoup PipeTransports over UDP, SRTP on (each
 * side sends with its own key, told to the other over the authenticated edge socket), and RTX
 * with NACK, since the link between two boxes is a WAN link that loses packets.
 */
export function pipeTransportOptions(net: Pick<RoomNetwork, 'listenIp' | 'announcedAddress' | 'rtcMinPort' | 'rtcMaxPort'>): types.PipeTransportOptions {
  return {
    listenInfo: { protocol: 'udp', ip: net.listenIp, announcedAddress: net.announcedAddress, portRange: { min: net.rtcMinPort, max: net.rtcMaxPort } },
    enableSrtp: true,
    enableRtx: true,
  };
}

/** This end of a pipe transport, as the other side connects to it. */
export function pipeEndOf(transport: types.PipeTransport, net: Pick<RoomNetwork, 'listenIp' | 'announcedAddress'>): PipeEnd {
  return { ip: net.announcedAddress ?? transport.tuple.localAddress ?? net.listenIp, port: transport.tuple.localPort, srtp: transport.srtpParameters! };
}

/**
 * The origin's side of a pipe to one edge SFU for one room: a PipeTransport connected to the
 * edge's end and one pipe consumer per producer. One copy of the broadcast crosses the link,
 * however many classrooms watch behind the edge; the edge's keyframe requests come back
 * through it to the producer. Closes (`closed`) when the room's feed goes away.
 */
export class PipeOut extends TypedEmitter<PipeOutEvents> {
  readonly offer: PipeOffer;
  readonly #transport: types.PipeTransport;
  readonly #consumers: types.Consumer[];
  #closed = false;

  private constructor(transport: types.PipeTransport, consumers: types.Consumer[], offer: PipeOffer) {
    super();
    this.#transport = transport;
    this.#consumers = consumers;
    this.offer = offer;
    transport.observer.once('close', () => this.close());
    for (const consumer of consumers) consumer.observer.once('close', () => this.close());
  }

  static async open(router: types.Router, net: RoomNetwork, edge: PipeEnd, producers: types.Producer[]): Promise<PipeOut> {
    const transport = await router.createPipeTransport(pipeTransportOptions(net));
    try {
      await transport.connect({ ip: edge.ip, port: edge.port, srtpParameters: edge.srtp });
      const consumers: types.Consumer[] = [];
      const piped: PipedProducer[] = [];
      for (const producer of producers) {
        const consumer = await transport.consume({ producerId: producer.id });
        consumers.push(consumer);
        piped.push({
          id: producer.id,
          kind: consumer.kind,
          rtpParameters: consumer.rtpParameters,
          paused: consumer.producerPaused,
          minus: producer.appData.minus === true,
        });
      }
      return new PipeOut(transport, consumers, { ...pipeEndOf(transport, net), producers: piped });
    } catch (error) {
      transport.close();
      throw error;
    }
  }

  get closed(): boolean {
    return this.#closed;
  }

  /** Zeros once the pipe is closed (it may close under a reading: the lesson ended meanwhile). */
  async figures(): Promise<PipeFigures> {
    let sendKbps = 0;
    let sentBytes = 0;
    let loss = 0;
    let rtt: number | undefined;
    try {
      if (!this.#closed) {
        for (const stat of await this.#transport.getStats()) {
          sendKbps += (stat.sendBitrate ?? 0) / 1000;
          sentBytes += stat.bytesSent ?? 0;
        }
        for (const consumer of this.#consumers) {
          for (const stat of await consumer.getStats()) {
            if (stat.type !== 'outbound-rtp') continue;
            if (stat.roundTripTime !== undefined) rtt = Math.max(rtt ?? 0, stat.roundTripTime);
            if (stat.packetCount > 0) loss = Math.max(loss, (100 * (stat.packetsLost ?? 0)) / stat.packetCount);
          }
        }
      }
    } catch (error) {
      if (!this.#closed) throw error;
    }
    return { sendKbps: Math.round(sendKbps), sentBytes, lossPercent: Math.round(loss * 10) / 10, roundTripMs: rtt === undefined ? undefined : Math.round(rtt) };
  }

  close(): void {
    if (this.#closed) return;
    this.#closed = true;
    this.#transport.close();
    this.safeEmit('closed');
  }
}
