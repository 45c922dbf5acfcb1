import { spawn, type ChildProcess } from 'node:child_process';
import { createInterface } from 'node:readline';
import type { Logger } from 'pino';
import { Backoff } from '../backoff.ts';
import { redactUrlCredentials } from '../redact-url.ts';
import { TypedEmitter } from '../emitter.ts';
import { ClasscastError, InvalidStateError } from '../errors.ts';
import { orphanSafe } from './orphan-safe.ts';
import { RawPipe } from './raw-pipe.ts';

export interface SupervisorOptions {
  /** Short name for logs, e.g. `ffmpeg-composite`. */
  name: string;
  command: string;
  /** Arguments, or a function called before every (re)start so a restart can use fresh ports. */
  args: string[] | (() => string[]);
  env?: NodeJS.ProcessEnv;
  cwd?: string;
  logger: Logger;
  /** The child is ready when a stdout/stderr line matches; without it, ready at spawn. */
  readyWhen?: (line: string) => boolean;
  readyTimeoutMs?: number;
  /** Restart after an exit we did not ask for (default true). */
  restart?: boolean;
  backoff?: { initialMs: number; maxMs: number };
  /** A run this long counts as healthy and resets the backoff. */
  stableAfterMs?: number;
  /** Polite stop first (default SIGTERM), SIGKILL after stopTimeoutMs. */
  stopSignal?: NodeJS.Signals;
  stopTimeoutMs?: number;
  /** Keep stdin open as a pipe (e.g. to feed raw frames); default ignore. */
  stdin?: 'pipe' | 'ignore';
  /** stdout as data (e.g. raw media), not lines for the log. */
  stdoutData?: boolean;
  /**
   * stdout as raw media at a high rate (a camera's decoded frames), read into one buffer of
   * `bytes` that every read reuses (raw-pipe.ts): `onData` gets a view of the bytes read, valid
   * only during the call. The child's `stdout` stream is then null.
   */
  stdoutInto?: { bytes: number; onData: (chunk: Buffer) => void };
  /** Extra output pipes after stderr (fd 3, 4, …), e.g. a second raw media output. */
  extraPipes?: number;
  /**
   * A running child that gives no sign of life (`alive()`) for this long is restarted: a
   * process alive but silent (an RTSP session whose RTP stopped, a filter graph blocked on one
   * input) never ends by itself. Off by default.
   */
  stallAfterMs?: number;
}

export type SupervisorState = 'idle' | 'starting' | 'running' | 'backoff' | 'stopping' | 'stopped';

export type SupervisorEvents = {
  spawn: [child: ChildProcess];
  ready: [];
  /** `expected` is true when we asked for the exit (stop or restart()). */
  exit: [code: number | null, signal: NodeJS.Signals | null, expected: boolean];
  line: [stream: 'stdout' | 'stderr', line: string];
  state: [SupervisorState];
  /** The running child gave no sign of life for `silentMs`; it is being restarted. */
  stall: [silentMs: number];
};

/**
 * Keeps one child process in its desired state (LiveKit's supervised_proc, in spirit):
 * readiness races the ready line against exit and a timeout; an unexpected exit restarts it
 * after a capped backoff; stop is polite first, then SIGKILL. Children are spawned
 * orphan-safe, so they die with the daemon even when it is killed with SIGKILL.
 */
export class Supervisor extends TypedEmitter<SupervisorEvents> {
  readonly #options: Required<Omit<SupervisorOptions, 'env' | 'cwd' | 'readyWhen' | 'stallAfterMs' | 'stdoutInto'>> &
    Pick<SupervisorOptions, 'env' | 'cwd' | 'readyWhen' | 'stallAfterMs' | 'stdoutInto'>;
  readonly #logger: Logger;
  readonly #backoff: Backoff;
  #state: SupervisorState = 'idle';
  #child: ChildProcess | undefined;
  #restartTimer: NodeJS.Timeout | undefined;
  #stableTimer: NodeJS.Timeout | undefined;
  #expectExit = false;
  #restarts = 0;
  /** The child's last sign of life (performance.now()), for stall detection. */
  #aliveAt = 0;
  #stallTimer: NodeJS.Timeout | undefined;
  /** What `stdoutInto` reads into: one buffer for every child, made with the first. */
  #readBuffer: Buffer | undefined;

  constructor(options: SupervisorOptions) {
    super();
    this.#options = {
      readyTimeoutMs: 15_000,
      restart: true,
      backoff: { initialMs: 250, maxMs: 10_000 },
      stableAfterMs: 10_000,
      stopSignal: 'SIGTERM',
      stopTimeoutMs: 3_000,
      stdin: 'ignore',
      stdoutData: false,
      extraPipes: 0,
      ...options,
    };
    this.#logger = options.logger.child({ process: options.name });
    this.#backoff = new Backoff(this.#options.backoff);
  }

  get state(): SupervisorState {
    return this.#state;
  }

  get pid(): number | undefined {
    return this.#child?.pid;
  }

  get child(): ChildProcess | undefined {
    return this.#child;
  }

  /** How many times the child was restarted after exits we did not ask for. */
  get restarts(): number {
    return this.#restarts;
  }

  /** Spawns the child; resolves when it is ready, rejects if it exits or times out first. */
  async start(): Promise<void> {
    if (this.#state === 'stopped' || this.#state === 'stopping') throw new InvalidStateError(`${this.#options.name} is stopped`);
    if (this.#state !== 'idle') throw new InvalidStateError(`${this.#options.name} already started`);
    const stallAfterMs = this.#options.stallAfterMs;
    if (stallAfterMs !== undefined) {
      this.#stallTimer = setInterval(() => this.#checkStall(stallAfterMs), Math.min(1_000, stallAfterMs / 4));
      this.#stallTimer.unref();
    }
    await this.#spawnOnce();
  }

  /** The child shows it is alive (a frame, a chunk of data, a progress line): see `stallAfterMs`. */
  alive(): void {
    this.#aliveAt = performance.now();
  }

  /** Kills the current child on purpose; the supervisor starts a fresh one at once. */
  async restart(): Promise<void> {
    if (this.#state === 'stopped' || this.#state === 'stopping') throw new InvalidStateError(`${this.#options.name} is stopped`);
    const child = this.#child;
    if (!child) return;
    this.#expectExit = true;
    await this.#kill(child);
    this.#expectExit = false;
    // stop() may have run while we awaited the kill.
    const state = this.#state as SupervisorState;
    // A new child that fails before it is ready leaves an exit (or a spawn error) behind, whose
    // handler schedules the next try; scheduling here too once made two children, the first of
    // which nobody stopped.
    if (state !== 'stopping' && state !== 'stopped') await this.#spawnOnce().catch(() => undefined);
  }

  /** Idempotent: polite signal, then SIGKILL after stopTimeoutMs. */
  async stop(): Promise<void> {
    if (this.#state === 'stopped') return;
    this.#setState('stopping');
    clearInterval(this.#stallTimer);
    clearTimeout(this.#restartTimer);
    this.#restartTimer = undefined;
    clearTimeout(this.#stableTimer);
    const child = this.#child;
    if (child) {
      this.#expectExit = true;
      await this.#kill(child);
    }
    this.#setState('stopped');
  }

  #setState(state: SupervisorState): void {
    if (this.#state === state) return;
    this.#state = state;
    this.safeEmit('state', state);
  }

  async #spawnOnce(): Promise<void> {
    this.#setState('starting');
    const args = typeof this.#options.args === 'function' ? this.#options.args() : this.#options.args;
    const [command, finalArgs] = orphanSafe(this.#options.command, args);
    const raw = this.#options.stdoutInto ? await this.#openRawPipe() : undefined;
    this.#logger.debug({ args: args.map(redactUrlCredentials) }, 'spawning');
    let child: ChildProcess;
    try {
      child = spawn(command, finalArgs, {
        env: this.#options.env ?? process.env,
        cwd: this.#options.cwd,
        stdio: [this.#options.stdin, raw?.childFd ?? 'pipe', 'pipe', ...Array.from({ length: this.#options.extraPipes }, () => 'pipe' as const)],
      });
    } catch (error) {
      raw?.close();
      throw error;
    }
    this.#child = child;
    if (raw) {
      raw.spawned();
      const into = this.#options.stdoutInto!;
      raw.read((this.#readBuffer ??= Buffer.allocUnsafeSlow(into.bytes)), into.onData);
      child.once('exit', () => raw.close());
      // A spawn that failed (no process) has no exit to follow.
      child.once('error', () => {
        if (child.pid === undefined) raw.close();
      });
    }

    return new Promise<void>((resolve, reject) => {
      let settled = false;
      const settle = (error?: Error) => {
        if (settled) return;
        settled = true;
        clearTimeout(readyTimer);
        if (error) {
          reject(error);
        } else {
          this.#setState('running');
          this.#aliveAt = performance.now();
          this.#stableTimer = setTimeout(() => this.#backoff.reset(), this.#options.stableAfterMs);
          this.#stableTimer.unref();
          this.safeEmit('ready');
          resolve();
        }
      };
      const readyTimer = setTimeout(() => {
        settle(new ClasscastError('FFMPEG_START_FAILED', `${this.#options.name} not ready after ${this.#options.readyTimeoutMs} ms`));
        // A child that never became ready is killed; the exit handler schedules a retry.
        child.kill('SIGKILL');
      }, this.#options.readyTimeoutMs);
      readyTimer.unref();

      const onLine = (stream: 'stdout' | 'stderr') => (line: string) => {
        this.safeEmit('line', stream, line);
        // ffmpeg echoes its input URLs ("Input #0, rtsp, from 'rtsp://user:pass@…'").
        this.#logger.debug({ stream }, redactUrlCredentials(line));
        if (!settled && this.#options.readyWhen?.(line)) settle();
      };
      createInterface({ input: child.stderr! }).on('line', onLine('stderr'));
      // Lines for the log unless stdout is data (`stdoutData`, or `stdoutInto`: no stream at all).
      if (child.stdout && !this.#options.stdoutData) createInterface({ input: child.stdout }).on('line', onLine('stdout'));

      child.once('spawn', () => {
        this.safeEmit('spawn', child);
        if (!this.#options.readyWhen) settle();
      });
      child.once('error', (error) => {
        this.#logger.error({ err: error }, 'spawn failed');
        settle(new ClasscastError('FFMPEG_START_FAILED', `${this.#options.name} failed to spawn`, { cause: error }));
        // A spawn that fails (ENOENT, EACCES) may never emit 'exit': without this the state
        // stayed `starting` for good. Scheduling is idempotent, so an exit that does follow
        // adds no second try.
        if (child.pid === undefined && this.#child === child) {
          this.#child = undefined;
          if (this.#options.restart && !this.#expectExit) this.#scheduleRestart();
          else this.#setState('stopped');
        }
      });
      child.once('exit', (code, signal) => {
        clearTimeout(this.#stableTimer);
        const expected = this.#expectExit || this.#state === 'stopping' || this.#state === 'stopped';
        if (this.#child === child) this.#child = undefined;
        settle(new ClasscastError('FFMPEG_EXITED', `${this.#options.name} exited (code ${code}, signal ${signal}) before ready`));
        this.safeEmit('exit', code, signal, expected);
        if (expected) return;
        this.#logger.warn({ code, signal }, 'process exited unexpectedly');
        if (this.#options.restart) this.#scheduleRestart();
        else this.#setState('stopped');
      });
    });
  }

  #checkStall(stallAfterMs: number): void {
    const silentMs = performance.now() - this.#aliveAt;
    if (this.#state !== 'running' || silentMs <= stallAfterMs) return;
    this.#aliveAt = performance.now();
    this.#logger.warn({ silentMs: Math.round(silentMs) }, 'stalled; restarting it');
    this.safeEmit('stall', silentMs);
    this.restart().catch(() => {});
  }

  /** At most one restart is ever pending: a second call while one is scheduled does nothing. */
  #scheduleRestart(): void {
    if (this.#state === 'stopping' || this.#state === 'stopped' || this.#restartTimer) return;
    this.#setState('backoff');
    const delay = this.#backoff.next();
    this.#logger.info({ delayMs: delay, attempt: this.#backoff.attempt }, 'restarting after backoff');
    this.#restartTimer = setTimeout(() => {
      this.#restartTimer = undefined;
      this.#restarts += 1;
      // A failed start leaves an exit behind, whose handler schedules the next try.
      this.#spawnOnce().catch((error: unknown) => this.#logger.warn({ err: error }, 'restart failed'));
    }, delay);
  }

  /**
   * The pipe for `stdoutInto`, before the child is spawned. A pipe that cannot be made fails
   * this start as a failed spawn does (and is retried the same way); a stop that came while it
   * was being made ends this start.
   */
  async #openRawPipe(): Promise<RawPipe> {
    let raw: RawPipe;
    try {
      raw = await RawPipe.open();
    } catch (error) {
      this.#logger.error({ err: error }, 'could not make the pipe for its output');
      if (this.#options.restart && !this.#expectExit) this.#scheduleRestart();
      else this.#setState('stopped');
      throw new ClasscastError('FFMPEG_START_FAILED', `${this.#options.name}: no pipe for its output`, { cause: error });
    }
    const state = this.#state as SupervisorState;
    if (state === 'stopping' || state === 'stopped') {
      raw.close();
      throw new InvalidStateError(`${this.#options.name} is stopped`);
    }
    return raw;
  }

  #kill(child: ChildProcess): Promise<void> {
    if (child.exitCode !== null || child.signalCode !== null) return Promise.resolve();
    return new Promise<void>((resolve) => {
      const hard = setTimeout(() => child.kill('SIGKILL'), this.#options.stopTimeoutMs);
      child.once('exit', () => {
        clearTimeout(hard);
        resolve();
      });
      child.kill(this.#options.stopSignal);
    });
  }
}
