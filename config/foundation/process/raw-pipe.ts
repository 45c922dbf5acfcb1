import { execFile } from 'node:child_process';
import { close, constants, open } from 'node:fs';
import { mkdtemp, rmdir, unlink } from 'node:fs/promises';
import { Socket, type OnReadOpts, type SocketConstructorOpts } from 'node:net';
import os from 'node:os';
import path from 'node:path';
import { promisify } from 'node:util';

const execFileAsync = promisify(execFile);
const openAsync = promisify(open);

/**
 * A pipe a child writes raw media into, read into one buffer of ours that every read reuses.
 *
 * Node reads a child's `stdio: 'pipe'` output into a new 64 KiB buffer per read. A camera's raw
 * frames are 20–60 MB a second, and those buffers are memory outside V8's heap, which V8 answers
 * with garbage collections: in the daemon at 1280x720@30 it fell, in about half of the starts,
 * into a full mark-compact every 200–300 ms (40–60 ms of the event loop's time each, and a
 * fifth of a core on V8's helper threads), on the thread that writes the compositor its frames.
 * A socket made with `onread` reads into a buffer we give it instead, but Node makes one only
 * over a file descriptor it did not create itself. So the pipe is a FIFO: made in a private
 * directory, opened at both ends and unlinked at once (nothing stays on disk); its write end
 * becomes the child's stdout.
 */
export class RawPipe {
  /** The write end, for the child's stdio; ours is closed by `spawned()`. */
  readonly childFd: number;
  readonly #readFd: number;
  #writeOpen = true;
  #socket: Socket | undefined;
  #closed = false;

  private constructor(readFd: number, writeFd: number) {
    this.#readFd = readFd;
    this.childFd = writeFd;
  }

  static async open(): Promise<RawPipe> {
    const dir = await mkdtemp(path.join(os.tmpdir(), 'classcast-pipe-'));
    const fifo = path.join(dir, 'out');
    let readFd: number | undefined;
    try {
      await execFileAsync('mkfifo', ['-m', '600', fifo]);
      // The read end first, without blocking (no writer yet); then the write end, which opens
      // at once since a reader is there. The write end stays blocking: the child's writes wait
      // for us as they would on a pipe.
      readFd = await openAsync(fifo, constants.O_RDONLY | constants.O_NONBLOCK);
      const writeFd = await openAsync(fifo, constants.O_WRONLY);
      return new RawPipe(readFd, writeFd);
    } catch (error) {
      if (readFd !== undefined) close(readFd, () => {});
      throw error;
    } finally {
      await unlink(fifo).catch(() => {});
      await rmdir(dir).catch(() => {});
    }
  }

  /** The child holds its own copy of the write end now: closes ours, so its exit ends the stream. */
  spawned(): void {
    if (!this.#writeOpen) return;
    this.#writeOpen = false;
    close(this.childFd, () => {});
  }

  /**
   * Reads everything the child writes into `buffer`: `onData` gets a view of the bytes read,
   * valid only during the call (the next read overwrites it). Once, after `spawned()`.
   */
  read(buffer: Buffer, onData: (chunk: Buffer) => void): void {
    if (this.#socket || this.#closed) return;
    // Node's Socket constructor takes `onread` as `connect()` does (lib/net.js); its types
    // list it only for the latter.
    const options: SocketConstructorOpts & { onread: OnReadOpts } = {
      fd: this.#readFd,
      readable: true,
      writable: false,
      onread: {
        buffer,
        callback: (bytes) => {
          onData(buffer.subarray(0, bytes));
          return true;
        },
      },
    };
    const socket = new Socket(options);
    // The child's exit closes the last write end: the end of the stream.
    socket.on('end', () => socket.destroy());
    socket.on('error', () => socket.destroy());
    this.#socket = socket;
  }

  /** Closes whatever is still open (idempotent). */
  close(): void {
    if (this.#closed) return;
    this.#closed = true;
    this.spawned();
    if (this.#socket) this.#socket.destroy();
    else close(this.#readFd, () => {});
  }
}
