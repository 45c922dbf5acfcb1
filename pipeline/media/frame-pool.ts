/**
 * Frame-sized buffers a camera's ingest reuses, so a stream of raw frames allocates nothing.
 *
 * Each new 720p frame used to be a fresh 1.4 MB buffer (`Buffer.concat` of the pipe's chunks).
 * Buffers that large are memory outside V8's heap, and V8 answers their growth with a full
 * mark-compact: at 45 frames a second, one every ~100 ms, 8–16 ms each on the thread that also
 * writes the frames to the compositor and relays the encoded RTP.
 *
 * A buffer goes back for reuse only once nobody holds it. Whoever keeps a frame past the call
 * that handed it out (a socket write still queued, an encoder fed asynchronously) holds it with
 * `holdFrame` and releases it when done; a frame that is not pooled needs nothing.
 */
export class FramePool {
  readonly bytes: number;
  readonly #free: Buffer[] = [];
  readonly #keep: number;

  /** `keep`: how many free buffers to keep at most (more come and go as garbage). */
  constructor(bytes: number, keep = 4) {
    this.bytes = bytes;
    this.#keep = keep;
  }

  /** A buffer nobody holds, held once by the caller (contents undefined). */
  acquire(): Buffer {
    const buffer = this.#free.pop() ?? Buffer.allocUnsafeSlow(this.bytes);
    owners.set(buffer, { pool: this, holds: 1 });
    return buffer;
  }

  /** Called when a buffer's last hold ends. */
  recycle(buffer: Buffer): void {
    if (this.#free.length < this.#keep) this.#free.push(buffer);
  }
}

interface Owner {
  pool: FramePool;
  holds: number;
}

const owners = new WeakMap<Buffer, Owner>();

/**
 * Keeps `frame` from being reused until the returned function is called (once; later calls do
 * nothing). A frame that is not from a pool (a slate, a test's buffer) needs no hold.
 */
export function holdFrame(frame: Buffer): () => void {
  const owner = owners.get(frame);
  if (!owner) return () => {};
  owner.holds += 1;
  let released = false;
  return () => {
    if (released) return;
    released = true;
    releaseFrame(frame);
  };
}

/** Ends one hold of `frame` (the acquirer's own, or one from `holdFrame`). */
export function releaseFrame(frame: Buffer): void {
  const owner = owners.get(frame);
  if (!owner || owner.holds <= 0) return;
  owner.holds -= 1;
  if (owner.holds === 0) owner.pool.recycle(frame);
}
