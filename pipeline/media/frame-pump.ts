import { createServer, type Server, type Socket } from 'node:net';
import { rm } from 'node:fs/promises';
import type { Logger } from 'pino';
import { InvalidStateError } from '../../config/foundation/errors.ts';
import type { InputSpec } from './graph.ts';

export interface PumpSlot {
  name: string;
  /** The frame to show now (yuv420p, canvas size); called once per tick. */
  frame: () => Buffer;
}

/**
 * Feeds the compositor's picture slots with raw frames at a steady rate, one Unix socket per
 * slot (ffmpeg reads `unix://…` as a client). Every tick each slot gets whatever its source
 * says now: the camera's latest frame, the other camera's, or a slate. So the compositor's
 * inputs never stall, whatever the cameras do.
 *
 * Delay: a frame is written only when the previous one has left our queue; otherwise this tick
 * is dropped. A Unix socket's kernel buffer (wmem_default, ~208 KiB) holds less than one
 * 640x360 frame, so at most about one frame waits between us and ffmpeg, also while ffmpeg is
 * still opening its other inputs (a TCP loopback socket would have queued megabytes: seconds
 * of delay). Timestamps are taken by ffmpeg on arrival (`use_wallclock_as_timestamps`), so a
 * dropped tick leaves a gap the graph's `fps` filter fills, never a shift of the timeline.
 */
export class FramePump {
  readonly #slots: PumpSlot[];
  readonly #dir: string;
  readonly #fps: number;
  readonly #size: { width: number; height: number };
  readonly #logger: Logger;
  readonly #servers = new Map<string, Server>();
  readonly #clients = new Map<string, Socket>();
  #timer: NodeJS.Timeout | undefined;
  #t0 = 0;
  #tick = 0;
  #closed = false;
  #dropped = 0;
  #written = 0;

  constructor(options: { slots: PumpSlot[]; dir: string; fps: number; width: number; height: number; logger: Logger }) {
    this.#slots = options.slots;
    this.#dir = options.dir;
    this.#fps = options.fps;
    this.#size = { width: options.width, height: options.height };
    this.#logger = options.logger.child({ component: 'frame-pump' });
  }

  get stats(): { written: number; dropped: number } {
    return { written: this.#written, dropped: this.#dropped };
  }

  path(slot: string): string {
    return `${this.#dir}/slot-${slot}.sock`;
  }

  /** The compositor input that reads `slot`. */
  input(slot: string): InputSpec {
    return {
      url: `unix://${this.path(slot)}`,
      options: [
        '-f', 'rawvideo',
        '-pix_fmt', 'yuv420p',
        '-video_size', `${this.#size.width}x${this.#size.height}`,
        '-framerate', String(this.#fps),
        '-use_wallclock_as_timestamps', '1',
        '-thread_queue_size', '4',
      ],
    };
  }

  async start(): Promise<void> {
    if (this.#closed) throw new InvalidStateError('frame pump closed');
    for (const slot of this.#slots) {
      const path = this.path(slot.name);
      await rm(path, { force: true });
      const server = createServer((socket) => {
        // A new compositor (after a restart) replaces the old connection.
        this.#clients.get(slot.name)?.destroy();
        this.#clients.set(slot.name, socket);
        socket.on('error', () => socket.destroy());
        socket.on('close', () => {
          if (this.#clients.get(slot.name) === socket) this.#clients.delete(slot.name);
        });
        socket.resume(); // ffmpeg never writes; keep the readable side drained
      });
      await new Promise<void>((resolve, reject) => {
        server.once('error', reject);
        server.listen(path, () => resolve());
      });
      this.#servers.set(slot.name, server);
    }
    this.#t0 = performance.now();
    this.#schedule();
  }

  async close(): Promise<void> {
    if (this.#closed) return;
    this.#closed = true;
    clearTimeout(this.#timer);
    for (const socket of this.#clients.values()) socket.destroy();
    this.#clients.clear();
    await Promise.all([...this.#servers.values()].map((s) => new Promise<void>((resolve) => s.close(() => resolve()))));
    this.#servers.clear();
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
    for (const slot of this.#slots) {
      const socket = this.#clients.get(slot.name);
      if (!socket || socket.destroyed) continue;
      if (socket.writableLength > 0) {
        this.#dropped += 1;
        continue;
      }
      socket.write(slot.frame());
      this.#written += 1;
    }
    this.#schedule();
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
