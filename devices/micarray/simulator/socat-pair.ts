import { spawn, type ChildProcess } from 'node:child_process';
import { renameSync, rmSync } from 'node:fs';
import type { Logger } from 'pino';
import { Backoff } from '../../../config/foundation/backoff.ts';
import { TypedEmitter } from '../../../config/foundation/emitter.ts';
import { ClasscastError, InvalidStateError } from '../../../config/foundation/errors.ts';
import { orphanSafe } from '../../../config/foundation/process/orphan-safe.ts';

export type SocatPairEvents = {
  /** Both links exist and socat is copying bytes. */
  ready: [];
  /** socat died without us asking (the pair is gone until the next `ready`). */
  exit: [code: number | null, signal: NodeJS.Signals | null];
};

export interface SocatPairOptions {
  /** The link the simulator opens. */
  linkA: string;
  /**
   * The link the daemon opens (the "device path"). socat creates it under a temporary name;
   * `publish()` gives it this name once the other end is being served.
   */
  linkB: string;
  logger: Logger;
  readyTimeoutMs?: number;
  restart?: { initialMs: number; maxMs: number };
}

/**
 * A pty pair made by `socat -d -d pty,raw,echo=0,link=A pty,raw,echo=0,link=B`, supervised:
 * restarted with capped backoff when it dies, stopped politely (SIGTERM) then killed.
 */
export class SocatPair extends TypedEmitter<SocatPairEvents> {
  readonly #options: SocatPairOptions;
  readonly #logger: Logger;
  readonly #backoff: Backoff;
  #child: ChildProcess | undefined;
  #restartTimer: NodeJS.Timeout | undefined;
  #closed = false;

  constructor(options: SocatPairOptions) {
    super();
    this.#options = options;
    this.#logger = options.logger.child({ component: 'socat' });
    const restart = options.restart ?? { initialMs: 100, maxMs: 2000 };
    this.#backoff = new Backoff(restart);
  }

  get pid(): number | undefined {
    return this.#child?.pid;
  }

  /** Starts socat and resolves when the pair is ready; rejects if socat exits or stalls first. */
  async start(): Promise<void> {
    if (this.#closed) throw new InvalidStateError('socat pair is closed');
    await this.#spawn();
  }

  /**
   * Renames B's link to its public name. Opening a serial port flushes its buffers, so a
   * daemon that opened B before the simulator opened A could lose its first commands: the
   * simulator publishes B only after it serves A.
   */
  publish(): void {
    renameSync(this.#pendingB, this.#options.linkB);
  }

  get #pendingB(): string {
    return `${this.#options.linkB}.pending`;
  }

  /** Sends `signal` to socat, as a cable being pulled does to the daemon (tests use it). */
  kill(signal: NodeJS.Signals = 'SIGKILL'): void {
    this.#child?.kill(signal);
  }

  async close(): Promise<void> {
    if (this.#closed) return;
    this.#closed = true;
    clearTimeout(this.#restartTimer);
    const child = this.#child;
    if (child && child.exitCode === null && child.signalCode === null) {
      const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));
      child.kill('SIGTERM');
      const timer = setTimeout(() => child.kill('SIGKILL'), 2000);
      await exited;
      clearTimeout(timer);
    }
    this.#removeLinks();
    this.removeAllListeners();
  }

  #removeLinks(): void {
    // After a SIGKILL socat leaves its symlinks behind, pointing at /dev/pts numbers the
    // kernel will hand to somebody else's terminal: never leave them for the daemon to open.
    for (const link of [this.#options.linkA, this.#options.linkB, this.#pendingB]) rmSync(link, { force: true });
  }

  #spawn(): Promise<void> {
    this.#removeLinks();
    const { linkA } = this.#options;
    // Orphan-safe: socat must not outlive the process that simulates the device, even after kill -9.
    const [command, args] = orphanSafe('socat', ['-d', '-d', `pty,raw,echo=0,link=${linkA}`, `pty,raw,echo=0,link=${this.#pendingB}`]);
    const child = spawn(command, args, {
      stdio: ['ignore', 'ignore', 'pipe'],
    });
    this.#child = child;
    const timeoutMs = this.#options.readyTimeoutMs ?? 5000;
    // Readiness races socat's own "starting data transfer loop" line against its exit and a
    // timeout: a socat that cannot create a link exits at once and must not hang the caller.
    return new Promise<void>((resolve, reject) => {
      let ready = false;
      let stderr = '';
      const timer = setTimeout(() => {
        if (!ready) {
          child.kill('SIGKILL');
          reject(new ClasscastError('TIMEOUT', `socat not ready after ${timeoutMs} ms`));
        }
      }, timeoutMs);
      child.stderr?.setEncoding('utf8');
      child.stderr?.on('data', (text: string) => {
        stderr += text;
        let nl: number;
        while ((nl = stderr.indexOf('\n')) >= 0) {
          const line = stderr.slice(0, nl);
          stderr = stderr.slice(nl + 1);
          this.#logger.debug({ line }, 'socat');
          if (!ready && line.includes('starting data transfer loop')) {
            ready = true;
            clearTimeout(timer);
            this.#backoff.reset();
            resolve();
            this.safeEmit('ready');
          }
        }
      });
      child.once('error', (error) => {
        clearTimeout(timer);
        if (!ready) reject(new ClasscastError('INTERNAL', 'cannot start socat', { cause: error }));
      });
      child.once('exit', (code, signal) => {
        clearTimeout(timer);
        if (this.#child === child) this.#child = undefined;
        if (!ready) {
          reject(new ClasscastError('INTERNAL', `socat exited before ready (code ${code}, signal ${signal})`));
          return;
        }
        if (this.#closed) return;
        this.#removeLinks();
        this.#logger.warn({ code, signal }, 'socat exited; restarting');
        this.safeEmit('exit', code, signal);
        this.#scheduleRestart();
      });
    });
  }

  #scheduleRestart(): void {
    if (this.#closed) return;
    this.#restartTimer = setTimeout(() => {
      this.#spawn().catch((error: unknown) => {
        this.#logger.error({ err: error }, 'socat restart failed');
        this.#scheduleRestart();
      });
    }, this.#backoff.next());
  }
}
