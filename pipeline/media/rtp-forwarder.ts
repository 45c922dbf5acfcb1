import { createSocket, type Socket } from 'node:dgram';
import type { Logger } from 'pino';
import { TypedEmitter } from '../../config/foundation/emitter.ts';
import { InvalidStateError } from '../../config/foundation/errors.ts';
import { RtpPacer } from './rtp-pacer.ts';
import { SrtpContext } from './srtp.ts';
import { PLAYOUT_DELAY, type PublishTargets, type RtpEndpoint } from './targets.ts';

/**
 * Smoothing for the mixer's audio bursts (ms; `RtpPacer`): about the p99 of its packets'
 * lateness on an unloaded box (timer and scheduling jitter of the pump and the mixer). It was
 * 40 while the sound shared the compositor's ffmpeg and waited for each 720p frame's work.
 */
export const AUDIO_PACING_MS = 20;

export type MediaKind = 'video' | 'audio';

export interface RtpTap {
  kind: MediaKind;
  endpoint: RtpEndpoint;
  /** Only packets of these SSRCs (RTP and their RTCP sender reports); all when omitted. */
  ssrcs?: number[];
}

export interface StreamStats {
  ssrc: number;
  kind: MediaKind;
  packets: number;
  bytes: number;
  lastAt: number;
}

interface StreamState extends StreamStats {
  clockRate: number;
  seqDelta: number;
  tsDelta: number;
  lastSeq: number;
  lastTs: number;
  rebase: boolean;
}

export type RtpForwarderEvents = {
  /** A PLI or FIR from the SFU for `ssrc` (the media SSRC it asks a keyframe of). */
  keyframeRequest: [ssrc: number];
  /** The last packet of an encoded video frame of `ssrc` (RTP marker bit) left for the SFU. */
  frameSent: [ssrc: number];
  error: [Error];
};

/**
 * Why this exists: a mediasoup PlainTransport with `comedia: true` locks onto the first
 * source IP:port it hears from. ffmpeg opens one UDP socket per RTP output, so two simulcast
 * layers encoded by one ffmpeg would come from two source ports and the second layer would be
 * dropped by the transport. ffmpeg's `localrtpport` cannot help: two outputs cannot bind the
 * same port. So every ffmpeg RTP output sends to a loopback ingress socket here (RTP and RTCP
 * to the same port, `rtcpport=` equal to the RTP port), and ONE egress socket sends everything
 * on to the SFU: the transport sees a single tuple, rtcp-mux holds, and all layers arrive.
 *
 * Measured cost (see pipeline/MEDIA.md): a loopback hop of a few tens of microseconds per
 * packet; at 2.4 Mbit/s (~250 packets/s) well under 1 % of a core.
 *
 * The same hop gives two extras for free: taps (the recorder gets a copy of the high layer and
 * the audio without another encoder) and the SFU's RTCP feedback arrives on the egress socket,
 * so keyframe requests are visible (ffmpeg itself ignores them).
 *
 * And it hides encoder restarts: a new ffmpeg starts its RTP sequence numbers and timestamps
 * at random values, which the SFU would take as a broken stream (mediasoup drops packets
 * until the sequence settles, browsers flush their jitter buffer). After `rebase()` (called
 * when the encoder respawns) each stream's next packet is rewritten to continue where the old
 * one stopped: sequence + 1, timestamp + the wall time that passed. Sender reports get the
 * same timestamp shift, so lip sync survives too.
 */
export class RtpForwarder extends TypedEmitter<RtpForwarderEvents> {
  readonly #logger: Logger;
  readonly #ingress = new Map<MediaKind, Socket>();
  #egress: Socket | undefined;
  #targets: PublishTargets;
  readonly #taps = new Set<RtpTap>();
  readonly #stats = new Map<number, StreamState>();
  readonly #audioDelayMs: number;
  readonly #audioPacingMs: number;
  readonly #pacers = new Map<number, RtpPacer>();
  readonly #localSsrcs: ReadonlySet<number>;
  /** Per kind, the SRTP session with the SFU's transport (when its endpoint has keys). */
  #srtp = new Map<MediaKind, { send: SrtpContext; receive: SrtpContext }>();
  #strangers = 0;
  #closed = false;

  /**
   * Audio RTP leaves paced by its timestamps (`RtpPacer`): evenly, `audioPacingMs` (default
   * {@link AUDIO_PACING_MS}; 0 = as it comes) of smoothing over the compositor's bursts.
   * `audioDelayMs` holds it back further, for lip sync by hand (MEDIA.md, "Lip sync"). Both
   * must be real delays on the wire: the SFU's sender reports map RTP time to when it forwards
   * the packets, so a receiver syncs on when packets arrive, and a filter-graph delay (adelay)
   * only moved timestamps while the packets left as early as before.
   */
  constructor(targets: PublishTargets, logger: Logger, options: { audioDelayMs?: number; audioPacingMs?: number; localSsrcs?: number[] } = {}) {
    super();
    // Streams for this box alone (the speakers' mix): to taps only, never to the SFU.
    this.#localSsrcs = new Set(options.localSsrcs ?? []);
    this.#targets = targets;
    this.#srtp = srtpSessions(targets);
    this.#logger = logger.child({ component: 'rtp-forwarder' });
    this.#audioDelayMs = options.audioDelayMs ?? 0;
    this.#audioPacingMs = options.audioPacingMs ?? AUDIO_PACING_MS;
  }

  #pacer(ssrc: number): RtpPacer {
    let pacer = this.#pacers.get(ssrc);
    if (!pacer) {
      pacer = new RtpPacer((packet) => this.#send('audio', ssrc, packet), { clockRate: 48_000, budgetMs: this.#audioPacingMs, delayMs: this.#audioDelayMs });
      this.#pacers.set(ssrc, pacer);
    }
    return pacer;
  }

  /** Binds the sockets; resolves with the loopback ports ffmpeg must send to. */
  async start(): Promise<Record<MediaKind, number>> {
    if (this.#closed) throw new InvalidStateError('rtp forwarder is closed');
    const egress = await bind('0.0.0.0');
    // Only the SFU's own feedback counts: the egress socket listens on every address, and a
    // stranger's PLI must not make the encoder spend its bits on keyframes.
    egress.on('message', (msg, from) => {
      const kind = this.#sfuKind(from.port);
      // Sealed feedback must open with the session's key: anything else is a stranger's.
      const open = kind && (this.#srtp.has(kind) ? this.#srtp.get(kind)!.receive.unprotectRtcp(msg) : msg);
      if (open) this.#onFeedback(open);
      else this.#strangers += 1;
    });
    egress.on('error', (error) => this.safeEmit('error', error));
    this.#egress = egress;
    const ports = {} as Record<MediaKind, number>;
    for (const kind of ['video', 'audio'] as const) {
      const socket = await bind('127.0.0.1');
      socket.on('message', (msg) => this.#onPacket(kind, msg));
      socket.on('error', (error) => this.safeEmit('error', error));
      this.#ingress.set(kind, socket);
      ports[kind] = socket.address().port;
    }
    return ports;
  }

  /** The SFU recreated its transports (e.g. after a worker died): send there from now on. */
  setTargets(targets: PublishTargets): void {
    this.#targets = targets;
    this.#srtp = srtpSessions(targets);
  }

  addTap(tap: RtpTap): () => void {
    this.#taps.add(tap);
    return () => this.#taps.delete(tap);
  }

  stats(): StreamStats[] {
    return [...this.#stats.values()].map((s) => ({ ssrc: s.ssrc, kind: s.kind, packets: s.packets, bytes: s.bytes, lastAt: s.lastAt }));
  }

  /**
   * A new encoder process starts now: continue the numbering of every stream it sends (of
   * `kind`, the compositor's video or the mixer's audio; all without) from where it was.
   */
  rebase(kind?: MediaKind): void {
    for (const stream of this.#stats.values()) if (kind === undefined || stream.kind === kind) stream.rebase = true;
  }

  close(): void {
    if (this.#closed) return;
    this.#closed = true;
    for (const socket of this.#ingress.values()) socket.close();
    this.#ingress.clear();
    for (const pacer of this.#pacers.values()) pacer.close();
    this.#pacers.clear();
    this.#egress?.close();
    this.#taps.clear();
  }

  #onPacket(kind: MediaKind, msg: Buffer): void {
    const egress = this.#egress;
    if (!egress || msg.length < 12) return;
    const ssrc = packetSsrc(msg);
    const now = performance.now();
    let stream = this.#stats.get(ssrc);
    if (isRtcp(msg)) {
      // A sender report carries the RTP timestamp at offset 16 (RFC 3550 §6.4.1). Until the
      // stream is rebased, the shift is unknown: drop it rather than mislead the receiver.
      if (msg[1] === 200 && msg.length >= 20) {
        if (!stream || stream.rebase) return;
        msg.writeUInt32BE((msg.readUInt32BE(16) + stream.tsDelta) >>> 0, 16);
      }
    } else {
      if (!stream) {
        stream = { ssrc, kind, packets: 0, bytes: 0, lastAt: 0, clockRate: kind === 'video' ? 90_000 : 48_000, seqDelta: 0, tsDelta: 0, lastSeq: 0, lastTs: 0, rebase: false };
        this.#stats.set(ssrc, stream);
        this.#logger.info({ kind, ssrc }, 'rtp stream started');
      }
      const seq = msg.readUInt16BE(2);
      const ts = msg.readUInt32BE(4);
      if (stream.rebase) {
        stream.rebase = false;
        stream.seqDelta = (stream.lastSeq + 1 - seq) & 0xffff;
        stream.tsDelta = (stream.lastTs + Math.round(((now - stream.lastAt) * stream.clockRate) / 1000) - ts) >>> 0;
        this.#logger.info({ ssrc }, 'rtp stream continues after an encoder restart');
      }
      const outSeq = (seq + stream.seqDelta) & 0xffff;
      const outTs = (ts + stream.tsDelta) >>> 0;
      msg.writeUInt16BE(outSeq, 2);
      msg.writeUInt32BE(outTs, 4);
      stream.lastSeq = outSeq;
      stream.lastTs = outTs;
      stream.lastAt = now;
      stream.packets += 1;
      stream.bytes += msg.length;
      if (kind === 'video') msg = withPlayoutDelay(msg);
    }
    if (kind === 'audio' && !isRtcp(msg) && (this.#audioPacingMs > 0 || this.#audioDelayMs > 0)) {
      this.#pacer(ssrc).push(msg, msg.readUInt32BE(4), now);
      return;
    }
    this.#send(kind, ssrc, msg);
    // The marker bit closes a video frame (RFC 6184 §5.1).
    if (kind === 'video' && !isRtcp(msg) && (msg[1]! & 0x80) !== 0) this.safeEmit('frameSent', ssrc);
  }

  #send(kind: MediaKind, ssrc: number, msg: Buffer): void {
    const egress = this.#egress;
    if (!egress) return;
    const target = kind === 'video' ? this.#targets.video : this.#targets.audio;
    if (!this.#localSsrcs.has(ssrc)) {
      const srtp = this.#srtp.get(kind)?.send;
      const out = !srtp ? msg : isRtcp(msg) ? srtp.protectRtcp(msg) : srtp.protectRtp(msg);
      egress.send(out, target.port, target.ip);
    }
    for (const tap of this.#taps) {
      if (tap.kind !== kind || (tap.ssrcs && !tap.ssrcs.includes(ssrc))) continue;
      egress.send(msg, tap.endpoint.port, tap.endpoint.ip);
    }
  }

  /** Packets that reached the egress socket from anywhere but the SFU's two ports, or that its session key does not open (dropped). */
  get strangerPackets(): number {
    return this.#strangers;
  }

  /**
   * Which SFU transport a packet came from, by source port: the SFU answers from the
   * transport's port. Not by address too: an SFU listening on every address of a host with
   * several answers from whichever the route picks, which need not be the one it announced.
   */
  #sfuKind(port: number): MediaKind | undefined {
    return port === this.#targets.video.port ? 'video' : port === this.#targets.audio.port ? 'audio' : undefined;
  }

  #onFeedback(msg: Buffer): void {
    // Compound RTCP: walk the packets; PSFB (206) with FMT 1 = PLI, FMT 4 = FIR (RFC 4585, 5104).
    let offset = 0;
    while (offset + 12 <= msg.length) {
      const fmt = msg[offset]! & 0x1f;
      const pt = msg[offset + 1]!;
      const length = (msg.readUInt16BE(offset + 2) + 1) * 4;
      if (pt === 206 && (fmt === 1 || fmt === 4)) {
        const mediaSsrc = fmt === 1 ? msg.readUInt32BE(offset + 8) : offset + 16 <= msg.length ? msg.readUInt32BE(offset + 12) : 0;
        this.safeEmit('keyframeRequest', mediaSsrc);
      }
      offset += length;
    }
  }
}

function srtpSessions(targets: PublishTargets): Map<MediaKind, { send: SrtpContext; receive: SrtpContext }> {
  const sessions = new Map<MediaKind, { send: SrtpContext; receive: SrtpContext }>();
  for (const kind of ['video', 'audio'] as const) {
    const keys = targets[kind].srtp;
    if (keys) sessions.set(kind, { send: new SrtpContext(keys.send), receive: new SrtpContext(keys.receive) });
  }
  return sessions;
}

/** The playout-delay element (RFC 8285 one-byte form): id, length 3, then min and max in 10 ms units, 12 bits each. */
const PLAYOUT_DELAY_HEADER = (() => {
  const header = Buffer.alloc(8);
  header.writeUInt16BE(0xbede, 0);
  header.writeUInt16BE(1, 2);
  const min = Math.round(PLAYOUT_DELAY.minMs / 10);
  const max = Math.round(PLAYOUT_DELAY.maxMs / 10);
  header[4] = (PLAYOUT_DELAY.id << 4) | 2;
  header.writeUIntBE((min << 12) | max, 5, 3);
  return header;
})();

/**
 * The packet with the playout-delay extension added (ffmpeg's RTP muxer writes none). A
 * packet that already has extensions is left as it is.
 */
export function withPlayoutDelay(msg: Buffer): Buffer {
  if ((msg[0]! & 0x10) !== 0) return msg;
  const fixed = 12 + (msg[0]! & 0x0f) * 4;
  if (msg.length < fixed) return msg;
  const out = Buffer.allocUnsafe(msg.length + PLAYOUT_DELAY_HEADER.length);
  msg.copy(out, 0, 0, fixed);
  out[0] = out[0]! | 0x10;
  PLAYOUT_DELAY_HEADER.copy(out, fixed);
  msg.copy(out, fixed + PLAYOUT_DELAY_HEADER.length, fixed);
  return out;
}

/** RFC 5761 §4: with rtcp-mux, a second byte of 192–223 is RTCP (payload types 64–95 are not used for RTP). */
export function isRtcp(msg: Buffer): boolean {
  const pt = msg[1]!;
  return pt >= 192 && pt <= 223;
}

/** The RTP SSRC, or an RTCP packet's sender SSRC. */
export function packetSsrc(msg: Buffer): number {
  return isRtcp(msg) ? msg.readUInt32BE(4) : msg.readUInt32BE(8);
}

function bind(address: string): Promise<Socket> {
  return new Promise((resolve, reject) => {
    const socket = createSocket('udp4');
    socket.once('error', reject);
    socket.bind(0, address, () => {
      socket.off('error', reject);
      // Keyframes of the high layer come as bursts of ~100 packets; keep them in the kernel.
      try {
        socket.setRecvBufferSize(4 * 1024 * 1024);
        socket.setSendBufferSize(4 * 1024 * 1024);
      } catch {
        // The kernel caps these at rmem_max/wmem_max; the default still works, with less headroom.
      }
      resolve(socket);
    });
  });
}
