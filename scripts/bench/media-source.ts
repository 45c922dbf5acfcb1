import { spawn, type ChildProcess } from 'node:child_process';
import { createSocket, type Socket } from 'node:dgram';
import type { Logger } from 'pino';
import { RtpForwarder } from '../../pipeline/media/rtp-forwarder.ts';
import { SrtpContext } from '../../pipeline/media/srtp.ts';
import { orphanSafe } from '../../config/foundation/process/orphan-safe.ts';
import type { IngestPlan } from '../../pipeline/sfu/codecs.ts';
import type { IngestEndpoints } from '../../pipeline/sfu/room.ts';

export interface SourceOptions {
  plan: IngestPlan;
  ingest: IngestEndpoints;
  width: number;
  height: number;
  fps: number;
  bitrateKbps: number;
  gopFrames: number;
  /** Also send each audio packet straight here (SSRC `MIRROR_SSRC`): the no-SFU baseline. */
  mirror?: { ip: string; port: number };
}

export const MIRROR_SSRC = 0x0bad_beef;

/**
 * What the benchmarks publish: ffmpeg encoding a test picture to H.264 as the high layer's
 * SSRC (what the classroom pipeline sends, minus the compositor), and audio-sized RTP packets
 * from this process, each carrying its send time so the far end can tell the delay.
 */
export class BenchSource {
  readonly #options: SourceOptions;
  #ffmpeg: ChildProcess | undefined;
  #forwarder: RtpForwarder | undefined;
  readonly #logger: Logger;
  #audio: Socket | undefined;
  #timer: NodeJS.Timeout | undefined;
  #seq = 0;
  #ingest: IngestEndpoints;
  /** The audio ingest's SRTP session (the room takes only sealed packets). */
  #audioSrtp: SrtpContext;

  constructor(options: SourceOptions, logger: Logger) {
    this.#options = options;
    this.#logger = logger;
    this.#ingest = options.ingest;
    this.#audioSrtp = new SrtpContext(options.ingest.audio.srtp.send);
  }

  async start(): Promise<void> {
    const o = this.#options;
    const layer = o.plan.layers[0]!;
    // ffmpeg sends its sender reports from a second socket, before the first RTP packet; a
    // comedia transport would lock onto that one. As in the classroom pipeline, both go
    // through the RtpForwarder's one socket (and mediasoup needs the reports to sync layers).
    this.#forwarder = new RtpForwarder({ ...o.plan, ...o.ingest }, this.#logger);
    const ports = await this.#forwarder.start();
    const url = `rtp://127.0.0.1:${ports.video}?rtcpport=${ports.video}&pkt_size=1200`;
    const args = [
      '-hide_banner', '-loglevel', 'error', '-re',
      '-f', 'lavfi', '-i', `testsrc2=size=${o.width}x${o.height}:rate=${o.fps}`,
      '-c:v', 'libx264', '-preset', 'ultrafast', '-tune', 'zerolatency', '-profile:v', 'baseline', '-level', '3.1',
      // SPS/PPS before every IDR, as the pipeline sends: mediasoup takes a packet with an SPS
      // as the keyframe a newcomer waits for.
      '-x264-params', 'repeat-headers=1',
      '-pix_fmt', 'yuv420p', '-g', String(o.gopFrames), '-keyint_min', String(o.gopFrames), '-sc_threshold', '0',
      '-b:v', `${o.bitrateKbps}k`, '-maxrate', `${o.bitrateKbps}k`, '-bufsize', `${o.bitrateKbps}k`, '-threads', '1',
      '-an', '-f', 'rtp', '-payload_type', String(o.plan.videoPayloadType), '-ssrc', String(layer.ssrc), url,
    ];
    const [command, wrapped] = orphanSafe('ffmpeg', args);
    this.#ffmpeg = spawn(command, wrapped, { stdio: ['ignore', 'ignore', 'inherit'] });
    this.#audio = createSocket('udp4');
    await new Promise<void>((resolve) => this.#audio!.bind(0, '0.0.0.0', resolve));
    this.#timer = setInterval(() => this.#sendAudio(), 20);
  }

  /** The room moved (rebuilt); send there from now on. */
  retarget(ingest: IngestEndpoints): void {
    this.#ingest = ingest;
    this.#audioSrtp = new SrtpContext(ingest.audio.srtp.send);
    this.#forwarder?.setTargets({ ...this.#options.plan, ...ingest });
  }

  close(): void {
    clearInterval(this.#timer);
    this.#forwarder?.close();
    this.#audio?.close();
    this.#audio = undefined;
    if (this.#ffmpeg && this.#ffmpeg.exitCode === null) this.#ffmpeg.kill('SIGKILL');
  }

  #sendAudio(): void {
    const packet = stampedRtp(this.#options.plan.audioPayloadType, this.#options.plan.audioSsrc, this.#seq++, 960);
    this.#audio?.send(this.#audioSrtp.protectRtp(packet), this.#ingest.audio.port, this.#ingest.audio.ip);
    const mirror = this.#options.mirror;
    if (mirror) {
      const copy = Buffer.from(packet);
      copy.writeUInt32BE(MIRROR_SSRC, 8);
      this.#audio?.send(copy, mirror.port, mirror.ip);
    }
  }
}

/** An RTP packet whose 160-byte payload starts with the send time (ms, float64, performance clock). */
export function stampedRtp(payloadType: number, ssrc: number, seq: number, samplesPerPacket: number): Buffer {
  const packet = Buffer.alloc(12 + 160);
  packet[0] = 0x80;
  packet[1] = payloadType & 0x7f;
  packet.writeUInt16BE(seq & 0xffff, 2);
  packet.writeUInt32BE((seq * samplesPerPacket) >>> 0, 4);
  packet.writeUInt32BE(ssrc >>> 0, 8);
  packet.writeDoubleBE(performance.now(), 12);
  return packet;
}

/** The send time stamped by `stampedRtp`, if `packet` is RTP of that shape (no header extension, no CSRCs). */
export function readStamp(packet: Buffer): number | undefined {
  if (packet.length < 20 || packet[0]! >> 6 !== 2) return undefined;
  const pt = packet[1]! & 0x7f;
  if (pt >= 64 && pt <= 95) return undefined; // RTCP
  const csrc = packet[0]! & 0x0f;
  let offset = 12 + 4 * csrc;
  if (packet[0]! & 0x10) offset += 4 + 4 * packet.readUInt16BE(offset + 2);
  if (packet.length < offset + 8) return undefined;
  return packet.readDoubleBE(offset);
}

/** Whether an H.264 RTP packet starts or carries an IDR (single NAL, STAP-A or FU-A start). */
export function isKeyframeStart(packet: Buffer): boolean {
  if (packet.length < 14 || packet[0]! >> 6 !== 2) return false;
  const csrc = packet[0]! & 0x0f;
  let offset = 12 + 4 * csrc;
  if (packet[0]! & 0x10) offset += 4 + 4 * packet.readUInt16BE(offset + 2);
  const nal = packet[offset];
  if (nal === undefined) return false;
  const type = nal & 0x1f;
  if (type === 5 || type === 7) return true;
  if (type === 28) return (packet[offset + 1]! & 0x80) !== 0 && (packet[offset + 1]! & 0x1f) === 5;
  if (type === 24) {
    // STAP-A: 16-bit size, then each NAL.
    let p = offset + 1;
    while (p + 2 < packet.length) {
      const size = packet.readUInt16BE(p);
      const t = packet[p + 2]! & 0x1f;
      if (t === 5 || t === 7) return true;
      p += 2 + size;
    }
  }
  return false;
}
