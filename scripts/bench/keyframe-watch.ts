import { createSocket, type Socket } from 'node:dgram';
import type { RtpForwarder } from '../../pipeline/media/rtp-forwarder.ts';
import { isKeyframeStart } from './media-source.ts';

/** Epoch ms of events on the box's side of a join, by the SSRC of the layer concerned. */
interface Event {
  atMs: number;
  ssrc: number;
}

/** ms from a moment to the keyframe request that followed it, and on to its IDR leaving. */
export interface KeyframeTimes {
  /** The SFU's first keyframe request at or after the moment (ms after it). */
  askedMs?: number;
  /** The first IDR of that layer leaving the box after the request (ms after the moment). */
  idrOutMs?: number;
}

/**
 * The box's side of a newcomer's first picture: when the SFU asked the pipeline for a
 * keyframe (a PLI/FIR reaching the RtpForwarder) and when the IDR that answered left the box
 * (the first RTP packet of an IDR access unit, seen on a tap of the forwarder).
 */
export class KeyframeWatch {
  readonly #requests: Event[] = [];
  readonly #idrs: Event[] = [];
  readonly #detach: (() => void)[] = [];
  readonly #socket: Socket;

  private constructor(socket: Socket) {
    this.#socket = socket;
  }

  static async start(forwarder: RtpForwarder): Promise<KeyframeWatch> {
    const socket = createSocket('udp4');
    await new Promise<void>((resolve) => socket.bind(0, '127.0.0.1', resolve));
    const watch = new KeyframeWatch(socket);
    const lastIdr = new Map<number, number>();
    socket.on('message', (packet) => {
      const atMs = Date.now();
      const ssrc = packet.readUInt32BE(8);
      const timestamp = packet.readUInt32BE(4);
      if (isKeyframeStart(packet) && lastIdr.get(ssrc) !== timestamp) {
        lastIdr.set(ssrc, timestamp);
        watch.#idrs.push({ atMs, ssrc });
      }
    });
    const onRequest = (ssrc: number) => watch.#requests.push({ atMs: Date.now(), ssrc });
    forwarder.on('keyframeRequest', onRequest);
    watch.#detach.push(() => forwarder.off('keyframeRequest', onRequest));
    watch.#detach.push(forwarder.addTap({ kind: 'video', endpoint: { ip: '127.0.0.1', port: socket.address().port } }));
    return watch;
  }

  /** The request after `fromMs` (epoch) and the IDR that answered it, in ms after `fromMs`. */
  after(fromMs: number): KeyframeTimes {
    const request = this.#requests.find((r) => r.atMs >= fromMs);
    if (!request) return {};
    const idr = this.#idrs.find((i) => i.ssrc === request.ssrc && i.atMs >= request.atMs);
    return { askedMs: request.atMs - fromMs, idrOutMs: idr ? idr.atMs - fromMs : undefined };
  }

  close(): void {
    for (const detach of this.#detach.splice(0)) detach();
    this.#socket.close();
  }
}

/**
 * The box's keyframe answer with no page loading beside it: `count` requests from a
 * browser-less consumer (`ask`), half a second apart, each timed from the request reaching the
 * box to its IDR leaving it (ms, sorted).
 */
export async function idleKeyframeAnswers(watch: KeyframeWatch, ask: () => Promise<void>, count: number): Promise<number[]> {
  const answers: number[] = [];
  for (let i = 0; i < count; i += 1) {
    const from = Date.now();
    await ask();
    for (let waited = 0; waited < 2000; waited += 10) {
      const times = watch.after(from);
      if (times.idrOutMs !== undefined) {
        answers.push(times.idrOutMs - times.askedMs!);
        break;
      }
      await new Promise((resolve) => setTimeout(resolve, 10));
    }
    await new Promise((resolve) => setTimeout(resolve, 500));
  }
  return answers.sort((a, b) => a - b);
}
