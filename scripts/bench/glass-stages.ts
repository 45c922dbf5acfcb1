import { createSocket, type Socket } from 'node:dgram';
import { readStamp } from '../../devices/camera/sim/time-stamp.ts';
import type { CameraFeed } from '../../pipeline/media/camera-feed.ts';
import type { FramePump } from '../../pipeline/media/frame-pump.ts';
import type { RtpForwarder } from '../../pipeline/media/rtp-forwarder.ts';
import type { BroadcastRoom } from '../../pipeline/sfu/room.ts';
import type { PlainViewer } from '../../pipeline/sfu/plain-viewer.ts';
import type { StageFrames } from './glass-share.ts';

/**
 * The stages of `bench glass` inside the box, each timed on the camera's stamp:
 * - `ingest`: the camera's frame decoded and complete in Node (CameraFeed);
 * - `pump`: the stacked frame holding it written to the compositor (FramePump);
 * - `encoded`: the first RTP packet of its encoded frame leaving the box (an RtpForwarder tap);
 * - `sfu`: the first RTP packet of it leaving the SFU to a consumer (a PlainViewer).
 *
 * RTP carries no stamp we can read without decoding, so encoded frames are tied to pump frames
 * by time: the compositor keeps each pump frame's time (ms) as its pts, so an RTP timestamp is
 * `K + 90 × time` for one constant K per encoder run (the muxer's random base, the start's
 * origin, the forwarder's and the SFU's offsets). K is found by votes: every new RTP frame
 * votes for `ts − 90 × t` over the pump frames written shortly before it; the true K gets a
 * vote from every frame, the others scatter.
 */
export type StageName = 'ingest' | 'pump' | 'encoded' | 'sfu';

interface PumpFrame {
  stamp: number | undefined;
  timeMs: number;
}

const MOD = 2 ** 32;
const CANDIDATES = 45;
/** RTP frames whose votes count (a second and a half at 30 fps). */
const VOTING_FRAMES = 45;

export class GlassStages {
  readonly delays: Record<StageName, number[]> = { ingest: [], pump: [], encoded: [], sfu: [] };
  /** The stamp of each of `delays`: a frame is followed from stage to stage by it. */
  readonly stamps: Record<StageName, number[]> = { ingest: [], pump: [], encoded: [], sfu: [] };
  recording = false;
  readonly #seen: Record<StageName, Set<number>> = { ingest: new Set(), pump: new Set(), encoded: new Set(), sfu: new Set() };
  readonly #pumpFrames: PumpFrame[] = [];
  readonly #sockets: Socket[] = [];
  readonly #detach: (() => void)[] = [];

  /** `feed`: the camera on program; its frames are rows of `pump` at `width` x `height`. */
  constructor(
    readonly width: number,
    readonly height: number,
  ) {}

  watchIngest(feed: CameraFeed): void {
    const onFrame = (frame: Buffer, atMs: number) => this.#mark('ingest', this.#stampOf(frame), atMs);
    feed.on('frame', onFrame);
    this.#detach.push(() => feed.off('frame', onFrame));
  }

  watchPump(pump: FramePump, row = 0): void {
    const onWritten = (timeMs: number, frames: Buffer[]) => {
      const stamp = this.#stampOf(frames[row]!);
      this.#pumpFrames.push({ stamp, timeMs });
      if (this.#pumpFrames.length > 300) this.#pumpFrames.splice(0, 100);
      this.#mark('pump', stamp, Date.now());
    };
    pump.on('written', onWritten);
    this.#detach.push(() => pump.off('written', onWritten));
  }

  /** A tap on the forwarder for the high layer: encoded frames as they leave the box. */
  async watchEncoded(forwarder: RtpForwarder, ssrc: number): Promise<void> {
    const socket = await this.#rtpSocket('encoded', ssrc);
    this.#detach.push(forwarder.addTap({ kind: 'video', endpoint: { ip: '127.0.0.1', port: socket.address().port }, ssrcs: [ssrc] }));
  }

  /** A consumer in the room (on the high layer: it has no bandwidth estimate). */
  async watchSfu(room: BroadcastRoom): Promise<PlainViewer> {
    const sink = createSocket('udp4');
    await new Promise<void>((resolve) => sink.bind(0, '127.0.0.1', resolve));
    const viewer = await room.createPlainViewer('glass-probe', { ip: '127.0.0.1', port: sink.address().port });
    const video = viewer.ssrcs().find((s) => s.kind === 'video')!.ssrc;
    this.#listen('sfu', sink, video);
    this.#sockets.push(sink);
    this.#detach.push(() => viewer.close());
    return viewer;
  }

  /** One stage's frames recorded so far. */
  frames(stage: StageName): StageFrames {
    return { delays: this.delays[stage], stamps: this.stamps[stage] };
  }

  /** Forgets what was recorded, at `only` these stages or at all. */
  clear(...only: StageName[]): void {
    for (const stage of only.length > 0 ? only : (Object.keys(this.delays) as StageName[])) {
      this.delays[stage].length = 0;
      this.stamps[stage].length = 0;
    }
  }

  close(): void {
    for (const detach of this.#detach.splice(0)) detach();
    for (const socket of this.#sockets.splice(0)) socket.close();
  }

  #stampOf(frame: Buffer): number | undefined {
    const width = this.width;
    return readStamp((x, y) => frame[y * width + x]!, width, this.height);
  }

  #mark(stage: StageName, stamp: number | undefined, atMs: number): void {
    if (stamp === undefined || this.#seen[stage].has(stamp)) return;
    this.#seen[stage].add(stamp);
    if (this.#seen[stage].size > 2000) this.#seen[stage].clear();
    if (!this.recording) return;
    this.delays[stage].push(atMs - stamp);
    this.stamps[stage].push(stamp);
  }

  async #rtpSocket(stage: StageName, ssrc: number): Promise<Socket> {
    const socket = createSocket('udp4');
    await new Promise<void>((resolve) => socket.bind(0, '127.0.0.1', resolve));
    this.#listen(stage, socket, ssrc);
    this.#sockets.push(socket);
    return socket;
  }

  #listen(stage: StageName, socket: Socket, ssrc: number): void {
    // Votes of the last VOTING_FRAMES RTP frames only: after a jump of the constant (an
    // encoder restart, the SFU switching a consumer's layer) the new one wins within frames.
    const votes = new Map<number, number>();
    const voted: number[][] = [];
    let offset: number | undefined;
    let lastTs: number | undefined;
    socket.on('message', (msg) => {
      const pt = msg[1]!;
      if (msg.length < 12 || (pt >= 192 && pt <= 223) || msg.readUInt32BE(8) !== ssrc) return;
      const ts = msg.readUInt32BE(4);
      if (ts === lastTs) return;
      lastTs = ts;
      const now = Date.now();
      const candidates = this.#pumpFrames.slice(-CANDIDATES);
      const keyOf = (f: PumpFrame) => (((ts - 90 * f.timeMs) % MOD) + MOD) % MOD;
      const keys = candidates.map(keyOf);
      for (const key of keys) votes.set(key, (votes.get(key) ?? 0) + 1);
      voted.push(keys);
      if (voted.length > VOTING_FRAMES) {
        for (const key of voted.shift()!) {
          const left = votes.get(key)! - 1;
          if (left > 0) votes.set(key, left);
          else votes.delete(key);
        }
      }
      let best = 0;
      for (const [key, count] of votes) {
        if (count > best) {
          best = count;
          offset = key;
        }
      }
      if (best < 10) return;
      const frame = candidates.find((f) => keyOf(f) === offset);
      if (frame) this.#mark(stage, frame.stamp, now);
    });
  }
}
