import type { types } from 'mediasoup';

/**
 * Pipes a producer from one router to another as `router.pipeToRouter()` does, but under a new
 * producer id, so both routers may live in the same worker (mediasoup keeps producer ids
 * unique per worker). Returns the producer in `to`; the pipe closes with either router.
 */
export async function pipeLocally(from: types.Router, to: types.Router, producerId: string): Promise<types.Producer> {
  const listenInfo = { protocol: 'udp' as const, ip: '127.0.0.1' };
  const [out, into] = await Promise.all([from.createPipeTransport({ listenInfo }), to.createPipeTransport({ listenInfo })]);
  try {
    await Promise.all([
      out.connect({ ip: '127.0.0.1', port: into.tuple.localPort }),
      into.connect({ ip: '127.0.0.1', port: out.tuple.localPort }),
    ]);
    const consumer = await out.consume({ producerId });
    const producer = await into.produce({ kind: consumer.kind, rtpParameters: consumer.rtpParameters, paused: consumer.producerPaused });
    consumer.observer.once('close', () => into.close());
    producer.observer.once('close', () => out.close());
    return producer;
  } catch (error) {
    out.close();
    into.close();
    throw error;
  }
}
