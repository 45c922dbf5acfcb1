/**
 * Sends one RTP stream's packets evenly, on the clock of their own timestamps, instead of in
 * the bursts they come in.
 *
 * Why: a browser's audio jitter buffer (NetEq) sizes itself to the worst lateness it sees, and
 * keeps that size for tens of seconds. The sound's packets leave the mixer a little unevenly
 * (the pump's 10 ms timer and both processes' scheduling on a busy box), and they once left
 * in bursts: while the sound shared the compositor's ffmpeg, no sound left it while it scaled
 * and encoded a 720p frame, and NetEq held 100–300 ms of sound.
 *
 * How: each packet is due at its media time (RTP timestamp in ms) + the smallest lateness seen
 * over the last two seconds (the stream's own transit, without the bursts) + `budgetMs` + a
 * fixed `delayMs`. Packets go out in order, each at its due time; one later than its due time
 * goes at once (a stall longer than the budget is passed on, not hidden). A jump in the
 * timestamps (an encoder restart, a wall-clock step) starts the schedule over.
 */
export class RtpPacer {
  readonly #send: (packet: Buffer) => void;
  readonly #clockRate: number;
  readonly #budgetMs: number;
  readonly #delayMs: number;
  /** Minima of (arrival − media time) over the last few quarters of the window. */
  readonly #minima: number[] = [];
  #bucketStart = 0;
  #extendedTs: number | undefined;
  #lastTs = 0;
  readonly #queue: { packet: Buffer; due: number }[] = [];
  #timer: NodeJS.Timeout | undefined;
  #closed = false;

  static readonly WINDOW_MS = 2000;
  static readonly BUCKETS = 4;

  constructor(send: (packet: Buffer) => void, options: { clockRate: number; budgetMs: number; delayMs?: number }) {
    this.#send = send;
    this.#clockRate = options.clockRate;
    this.#budgetMs = options.budgetMs;
    this.#delayMs = options.delayMs ?? 0;
  }

  /** Packets waiting for their time. */
  get queued(): number {
    return this.#queue.length;
  }

  /** An RTP packet with timestamp `ts`, arrived at `now` (performance.now()). */
  push(packet: Buffer, ts: number, now: number): void {
    if (this.#closed) return;
    const media = this.#mediaMs(ts);
    const lateness = now - media;
    if (this.#noteLateness(lateness, now)) {
      // A new timeline: what waits goes now, and this packet sets the new schedule.
      this.#flush();
    }
    const transit = Math.min(...this.#minima);
    const due = media + transit + this.#budgetMs + this.#delayMs;
    if (this.#queue.length === 0 && due <= now) {
      this.#send(packet);
      return;
    }
    this.#queue.push({ packet, due });
    this.#arm(now);
  }

  close(): void {
    this.#closed = true;
    clearTimeout(this.#timer);
    this.#queue.length = 0;
  }

  /** Media time in ms of an RTP timestamp, unwrapped (32-bit) against the last one. */
  #mediaMs(ts: number): number {
    if (this.#extendedTs === undefined) this.#extendedTs = ts;
    else this.#extendedTs += ((ts - this.#lastTs + 0x8000_0000) >>> 0) - 0x8000_0000;
    this.#lastTs = ts;
    return (this.#extendedTs * 1000) / this.#clockRate;
  }

  /** Records a lateness; true when it says the timeline jumped (the schedule starts over). */
  #noteLateness(lateness: number, now: number): boolean {
    const transit = this.#minima.length > 0 ? Math.min(...this.#minima) : undefined;
    // Much earlier than ever (timestamps jumped ahead) or far later than any burst (they jumped back).
    const jumped = transit !== undefined && (lateness < transit - 1000 || lateness > transit + 1000);
    if (jumped || this.#minima.length === 0) {
      this.#minima.length = 0;
      this.#minima.push(lateness);
      this.#bucketStart = now;
      return jumped;
    }
    if (now - this.#bucketStart >= RtpPacer.WINDOW_MS / RtpPacer.BUCKETS) {
      this.#minima.push(lateness);
      if (this.#minima.length > RtpPacer.BUCKETS) this.#minima.shift();
      this.#bucketStart = now;
    } else {
      this.#minima[this.#minima.length - 1] = Math.min(this.#minima.at(-1)!, lateness);
    }
    return false;
  }

  #arm(now: number): void {
    if (this.#timer || this.#queue.length === 0) return;
    this.#timer = setTimeout(() => {
      this.#timer = undefined;
      this.#drain();
    }, Math.max(0, this.#queue[0]!.due - now));
  }

  #drain(): void {
    if (this.#closed) return;
    const now = performance.now();
    // Timers fire up to a millisecond early or late; what is due within half of one goes now.
    while (this.#queue.length > 0 && this.#queue[0]!.due <= now + 0.5) this.#send(this.#queue.shift()!.packet);
    this.#arm(now);
  }

  #flush(): void {
    clearTimeout(this.#timer);
    this.#timer = undefined;
    for (const { packet } of this.#queue.splice(0)) this.#send(packet);
  }
}
