import type { Logger } from 'pino';
import { TypedEmitter } from '../../config/foundation/emitter.ts';
import { InvalidStateError } from '../../config/foundation/errors.ts';
import { FeedSocket } from './feed-socket.ts';
import { holdFrame } from './frame-pool.ts';
import { wallClockShift, type InputSpec, type VideoSlotSource } from './graph.ts';
import { FLAG_GRID_MS, flaggedTime, layerFlag } from './keyframe-flag.ts';
import { mkvHeader, MkvFrameHeads } from './mkv-stream.ts';

/** A keyframe request writes at once unless a frame is due (or was written) within this (ms). */
const KEYFRAME_WAIT_MS = 8;
/** Frames handed to the compositor and not yet out of its encoder, once it reports them. */
const MAX_IN_FLIGHT = 1;
/** A frame that has not come out after this long no longer holds the next one back (ms). */
const IN_FLIGHT_STALL_MS = 250;

export interface PumpSlot {
  name: string;
  /** The frame to show now (yuv420p, canvas size); called once per tick. */
  frame: () => Buffer;
}

export type FramePumpEvents = {
  /**
   * A stacked frame left for the compositor: its time on the wall clock (ms, flags included)
   * and each slot's frame. Only for probes (`bench glass`); nothing listens in a classroom.
   */
  written: [timeMs: number, frames: Buffer[]];
};

/**
 * Feeds the compositor's picture slots with raw frames, all slots stacked in one tall frame on
 * one Unix socket (ffmpeg reads `unix://…` as a client; the graph crops the rows apart). Each
 * stacked frame holds whatever each slot's source says at that moment: the camera's latest
 * frame, the other camera's, or a slate. So the compositor's picture input never stalls,
 * whatever the cameras do. A frame is written when the program camera has a new one (`kick`),
 * and on a tick when it has none.
 *
 * The frames travel in a live Matroska stream, each stamped here with the wall clock on a 4 ms
 * grid: the compositor keeps those timestamps as they are (no retiming), so a frame can carry a
 * keyframe flag in its timestamp (`requestKeyframe`, keyframe-flag.ts).
 *
 * One input, not one per slot: ffmpeg opens its inputs one after another and starts each
 * input's clock at that input's first frame, and the graph lines the slots up by timestamp.
 * With one socket per slot the first-opened slot waited in the graph for the last-opened one,
 * for as long as opening took (0.2–0.4 s, more on a busy box, different on every start).
 *
 * Delay: a frame is written only when the previous one has left our queue; otherwise it is
 * dropped (and counted). A Unix socket's kernel buffer (wmem_default, ~208 KiB) holds less
 * than one frame and the compositor's input queue holds one, so at most about two frames wait
 * between us and the encoder, also while ffmpeg is still opening its other inputs (a TCP
 * loopback socket would have queued megabytes: seconds of delay). A dropped frame is a longer
 * frame, never a shift of the timeline.
 *
 * Once the compositor reports its frames out (`frameOut`: the high layer's last packet of a
 * frame left the box), one frame at most is inside it: a frame due while one is in there waits
 * here, and goes, with the pictures of that moment, the instant the other is out; one due
 * while another waits replaces it (the older is dropped). So when the box falls behind, the
 * encoder always takes the freshest pictures instead of two older ones queued in front of them
 * (the delay under load is one frame's work, not three), and a keyframe request goes out on the
 * next frame the encoder starts.
 */
export class FramePump extends TypedEmitter<FramePumpEvents> {
  readonly #slots: PumpSlot[];
  readonly #socket: FeedSocket;
  readonly #fps: number;
  readonly #size: { width: number; height: number };
  readonly #logger: Logger;
  #timer: NodeJS.Timeout | undefined;
  #t0 = 0;
  #tick = 0;
  /** When the last stacked frame was written (performance.now()). */
  #lastWriteAt = -Infinity;
  #lastKickAt: number | undefined;
  /** When a kick last wrote (a camera faster than the canvas is written at most at twice its rate). */
  #lastKickWriteAt = -Infinity;
  /** The program camera's frame interval, smoothed (ms). */
  #kickInterval: number | undefined;
  #closed = false;
  #dropped = 0;
  #written = 0;
  #waited = 0;
  #heads = new MkvFrameHeads();
  #lastMs = 0;
  /** Layer flags the next written frame carries. */
  #flags = 0;
  /**
   * Whether frames wait for the compositor (one inside it at most, as described above). Off, the
   * pump writes whenever the socket has drained, as it did before: `bench glass` measures both.
   */
  holdForCompositor = true;
  /** Whether the compositor reading now reports its frames out (from then on, `MAX_IN_FLIGHT` holds). */
  #paced = false;
  #inFlight = 0;
  /** A write is due as soon as the frame in the compositor is out. */
  #pending = false;

  constructor(options: { slots: PumpSlot[]; dir: string; fps: number; width: number; height: number; logger: Logger }) {
    super();
    this.#slots = options.slots;
    this.#socket = new FeedSocket(`${options.dir}/frames.sock`);
    this.#fps = options.fps;
    this.#size = { width: options.width, height: options.height };
    this.#logger = options.logger.child({ component: 'frame-pump' });
  }

  /**
   * Stacked frames written; frames dropped because ffmpeg had not taken the last one yet (or a
   * newer one replaced them while they waited); frames written once the compositor was done
   * with the one before (they waited for it).
   */
  get stats(): { written: number; dropped: number; waited: number } {
    return { written: this.#written, dropped: this.#dropped, waited: this.#waited };
  }

  /**
   * The compositor input that reads the stacked frames (one row per slot, in slot order), for
   * a start whose timestamps count from `originMs` (epoch ms).
   */
  input(originMs?: number): InputSpec {
    return {
      url: `unix://${this.#socket.path}`,
      timed: true,
      options: [
        '-f', 'matroska',
        // The track header says all there is to know; reading frames to guess more is delay.
        '-probesize', '32',
        '-analyzeduration', '0',
        '-fpsprobesize', '0',
        // One frame waits in ffmpeg at most: when the compositor falls behind, the pump's
        // writes back up and it drops frames (counted) instead of ffmpeg queueing them.
        '-thread_queue_size', '1',
        ...wallClockShift(originMs),
      ],
    };
  }

  /**
   * The next frame written starts an IDR in layer `layer` (0 = highest). Requests before that
   * frame leaves merge into it, so a burst of requests costs one keyframe per layer.
   */
  requestKeyframe(layer: number): void {
    this.#flags |= layerFlag(layer);
    // A newcomer waits for this frame: write the current pictures now, unless the program
    // camera's next frame is due within a few ms anyway (not when it is late), or the last write
    // was just now.
    if (this.#closed || !this.#timer) return;
    const now = performance.now();
    const interval = 1000 / this.#fps;
    const untilKick = this.#lastKickAt === undefined ? Infinity : this.#lastKickAt + (this.#kickInterval ?? interval) - now;
    if ((untilKick >= 0 && untilKick < KEYFRAME_WAIT_MS) || now - this.#lastWriteAt < KEYFRAME_WAIT_MS) return;
    this.#writeNow(now);
  }

  /** Where `slot` sits in the stacked frame, as a graph slot source. */
  row(slot: string, input: InputSpec): VideoSlotSource {
    const row = this.#slots.findIndex((s) => s.name === slot);
    if (row < 0) throw new InvalidStateError(`no pump slot ${slot}`);
    return { kind: 'row', input, row, height: this.#size.height };
  }

  async start(): Promise<void> {
    if (this.#closed) throw new InvalidStateError('frame pump closed');
    await this.#socket.listen((socket) => {
      // Every reader (the compositor after each start) gets a stream of its own from the top.
      this.#heads = new MkvFrameHeads();
      this.#paced = false;
      this.#inFlight = 0;
      this.#pending = false;
      socket.write(mkvHeader(this.#size.width, this.#size.height * this.#slots.length));
    });
    this.#t0 = performance.now();
    this.#schedule();
  }

  async close(): Promise<void> {
    if (this.#closed) return;
    this.#closed = true;
    clearTimeout(this.#timer);
    await this.#socket.close();
  }

  /**
   * The camera on program has a new frame: write now instead of at the next tick, which saves
   * the wait for the tick (half a frame on average). Ticks go on as a fallback, so a camera
   * that stalls still leaves the picture moving: the first one comes one and a half of the
   * camera's own frame intervals after the last write (at least 1.25 canvas frames), so a
   * camera slower than the canvas is never interleaved with ticks that would delay its next
   * frame. A camera faster than the canvas is written at most at twice the canvas rate (a
   * kick within half a canvas frame of the last kick's write is left to the tick).
   */
  kick(): void {
    if (this.#closed || !this.#timer) return;
    const interval = 1000 / this.#fps;
    const now = performance.now();
    if (this.#lastKickAt !== undefined) {
      const gap = Math.min(250, now - this.#lastKickAt);
      this.#kickInterval = this.#kickInterval === undefined ? gap : this.#kickInterval * 0.8 + gap * 0.2;
    }
    this.#lastKickAt = now;
    if (now - this.#lastKickWriteAt < interval / 2) return;
    this.#lastKickWriteAt = now;
    this.#writeNow(now);
  }

  /**
   * A frame written earlier is out of the compositor (its encoded high layer left the box):
   * the frame waiting, if any, goes now.
   */
  frameOut(): void {
    if (this.#closed) return;
    this.#paced = true;
    this.#inFlight = Math.max(0, this.#inFlight - 1);
    if (!this.#pending || !this.holdForCompositor || this.#inFlight >= MAX_IN_FLIGHT) return;
    const before = this.#written;
    this.#write();
    if (this.#written > before) this.#waited += 1;
  }

  /** Writes at once, and moves the fallback tick to after this write. */
  #writeNow(now: number): void {
    const interval = 1000 / this.#fps;
    clearTimeout(this.#timer);
    this.#write();
    const fallback = Math.max(1.25 * interval, 1.5 * (this.#kickInterval ?? interval));
    this.#t0 = now + fallback - interval;
    this.#tick = 0;
    this.#schedule();
  }

  #schedule(): void {
    // Absolute schedule: timer lateness never accumulates into a slower frame rate.
    this.#tick += 1;
    const due = this.#t0 + (this.#tick * 1000) / this.#fps;
    const now = performance.now();
    if (due < now - 1000 / this.#fps) {
      this.#tick = Math.floor(((now - this.#t0) * this.#fps) / 1000);
    }
    this.#timer = setTimeout(() => this.#pump(), Math.max(0, due - now));
  }

  #pump(): void {
    if (this.#closed) return;
    this.#write();
    if (this.#tick % (this.#fps * 10) === 0) this.#logger.debug(this.stats, 'frame pump');
    this.#schedule();
  }

  #write(): void {
    const socket = this.#socket.client;
    if (socket) {
      // A frame that never came out (an encoder that stalls, a report lost) is let go.
      if (this.#paced && this.#inFlight > 0 && performance.now() - this.#lastWriteAt >= IN_FLIGHT_STALL_MS) {
        this.#logger.debug({ inFlight: this.#inFlight }, 'frames never came out of the compositor; pacing afresh');
        this.#inFlight = 0;
      }
      const holding = this.holdForCompositor && this.#paced;
      if (socket.writableLength > 0 || (holding && this.#inFlight >= MAX_IN_FLIGHT)) {
        // Holding: this write waits for the frame in the compositor, replacing one that waited.
        if (!holding || this.#pending) this.#dropped += 1;
        this.#pending = holding;
      } else {
        this.#pending = false;
        this.#inFlight += 1;
        // A tall yuv420p frame is planar: every row's Y, then every row's U, then every V.
        // Written plane by plane and sent as one, with no copy into a stacked buffer.
        const frames = this.#slots.map((slot) => slot.frame());
        const luma = this.#size.width * this.#size.height;
        // Strictly increasing on the grid, whatever the wall clock does.
        const timeMs = flaggedTime(Math.max(Date.now(), this.#lastMs + FLAG_GRID_MS), this.#flags);
        this.#lastMs = timeMs;
        this.#flags = 0;
        // A camera's frame buffer is reused for a later frame: held until the socket has
        // handed these bytes to the kernel (its callback also comes when the socket is gone).
        const releases = frames.map(holdFrame);
        const chunks = [this.#heads.frame(timeMs, (luma * 3 * frames.length) / 2)];
        for (const [from, to] of [
          [0, luma],
          [luma, luma + luma / 4],
          [luma + luma / 4, luma + luma / 2],
        ] as const) {
          for (const frame of frames) chunks.push(frame.subarray(from, to));
        }
        socket.cork();
        chunks.forEach((chunk, i) => socket.write(chunk, i === chunks.length - 1 ? () => releases.forEach((release) => release()) : undefined));
        socket.uncork();
        this.#written += 1;
        this.#lastWriteAt = performance.now();
        if (this.listenerCount('written') > 0) this.safeEmit('written', timeMs, frames);
      }
    }
  }
}

/** A flat yuv420p frame (the slate shown for a lost camera). */
export function solidFrame(width: number, height: number, yuv: [number, number, number]): Buffer {
  const luma = width * height;
  const frame = Buffer.alloc((luma * 3) / 2);
  frame.fill(yuv[0], 0, luma);
  frame.fill(yuv[1], luma, luma + luma / 4);
  frame.fill(yuv[2], luma + luma / 4);
  return frame;
}
