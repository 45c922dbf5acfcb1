import { rm } from 'node:fs/promises';
import { createServer, type Server, type Socket } from 'node:net';

/**
 * A Unix socket an ffmpeg (the compositor, the mixer) connects to as a client to read raw media
 * (ffmpeg's `unix://` input). One reader at a time: a new connection (after a restart) replaces
 * the old one. What the reader would write is drained and ignored.
 */
export class FeedSocket {
  readonly path: string;
  #server: Server | undefined;
  #client: Socket | undefined;

  constructor(path: string) {
    this.path = path;
  }

  /** The connected reader, if any. */
  get client(): Socket | undefined {
    return this.#client && !this.#client.destroyed ? this.#client : undefined;
  }

  /** Listens; `onConnect` runs for every new reader. */
  async listen(onConnect?: (socket: Socket) => void): Promise<void> {
    await rm(this.path, { force: true });
    const server = createServer((socket) => {
      this.#client?.destroy();
      this.#client = socket;
      socket.on('error', () => socket.destroy());
      socket.on('close', () => {
        if (this.#client === socket) this.#client = undefined;
      });
      socket.resume();
      onConnect?.(socket);
    });
    await new Promise<void>((resolve, reject) => {
      server.once('error', reject);
      server.listen(this.path, () => resolve());
    });
    this.#server = server;
  }

  async close(): Promise<void> {
    this.#client?.destroy();
    this.#client = undefined;
    const server = this.#server;
    this.#server = undefined;
    if (server) await new Promise<void>((resolve) => server.close(() => resolve()));
  }
}
