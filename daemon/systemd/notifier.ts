import { execFile } from 'node:child_process';
import type { Logger } from 'pino';

/** What systemd tells a `Type=notify` service through its environment. */
export interface SystemdEnv {
  /** `NOTIFY_SOCKET`: set only when systemd waits for our notifications. */
  notifySocket?: string;
  /** `WATCHDOG_USEC`: the unit's WatchdogSec, in microseconds. */
  watchdogUsec?: number;
  /** `WATCHDOG_PID`: the process the watchdog is meant for. */
  watchdogPid?: number;
}

/** Reads the three variables; call it from the entry point (the one place that reads env). */
export function systemdEnvFrom(env: NodeJS.ProcessEnv): SystemdEnv {
  const int = (value: string | undefined) => (value && /^\d+$/.test(value) ? Number(value) : undefined);
  return {
    ...(env.NOTIFY_SOCKET ? { notifySocket: env.NOTIFY_SOCKET } : {}),
    ...(int(env.WATCHDOG_USEC) !== undefined ? { watchdogUsec: int(env.WATCHDOG_USEC) } : {}),
    ...(int(env.WATCHDOG_PID) !== undefined ? { watchdogPid: int(env.WATCHDOG_PID) } : {}),
  };
}

export interface SystemdNotifierOptions {
  env: SystemdEnv;
  logger: Logger;
  /** Health gate for watchdog pings: when it says false, no ping goes out and systemd restarts us. */
  healthy?: () => boolean;
  /** The notify tool (default `/usr/bin/systemd-notify`, by path: the child gets no PATH). */
  command?: string;
  pid?: number;
}

const CALL_TIMEOUT_MS = 3000;

/**
 * sd_notify from Node without a native addon: Node core has no unix datagram sockets, so each
 * notification runs `systemd-notify --pid=<our pid> …`. The unit needs `NotifyAccess=all`,
 * because the message comes from that short-lived child, not from the main process. systemd
 * can drop such a message when the child has exited before systemd reads it (it then cannot
 * tell which unit sent it); so READY=1 rides along with every watchdog ping until one lands
 * (systemd ignores a repeated READY), and pings go out at a third of WatchdogSec, so one lost
 * ping never trips the watchdog. Outside systemd (no NOTIFY_SOCKET) every call is a no-op.
 */
export class SystemdNotifier {
  readonly #env: SystemdEnv;
  readonly #logger: Logger;
  readonly #healthy: () => boolean;
  readonly #command: string;
  readonly #pid: number;
  #timer: NodeJS.Timeout | undefined;
  #ready = false;
  #warned = false;
  #closed = false;

  constructor(options: SystemdNotifierOptions) {
    this.#env = options.env;
    this.#logger = options.logger.child({ component: 'systemd' });
    this.#healthy = options.healthy ?? (() => true);
    this.#command = options.command ?? '/usr/bin/systemd-notify';
    this.#pid = options.pid ?? process.pid;
  }

  get enabled(): boolean {
    return Boolean(this.#env.notifySocket);
  }

  /** Interval of watchdog pings in ms, or undefined when the unit has no WatchdogSec (or it is not ours). */
  get watchdogIntervalMs(): number | undefined {
    const { watchdogUsec, watchdogPid } = this.#env;
    if (!this.enabled || !watchdogUsec) return undefined;
    if (watchdogPid !== undefined && watchdogPid !== this.#pid) return undefined;
    return Math.max(500, Math.floor(watchdogUsec / 1000 / 3));
  }

  /** The daemon is up: READY=1, and the watchdog pings start. */
  async ready(status = 'running'): Promise<void> {
    if (this.#closed) return;
    this.#ready = true;
    await this.#send(['READY=1', `STATUS=${status}`]);
    const every = this.watchdogIntervalMs;
    if (every !== undefined && !this.#timer) {
      this.#timer = setInterval(() => void this.#ping(), every);
      this.#timer.unref();
    }
  }

  async status(text: string): Promise<void> {
    if (!this.#closed) await this.#send([`STATUS=${text}`]);
  }

  /** The daemon begins an orderly stop; the pings end so a hung stop still gets killed. */
  async stopping(): Promise<void> {
    if (this.#closed) return;
    clearInterval(this.#timer);
    this.#timer = undefined;
    await this.#send(['STOPPING=1', 'STATUS=stopping']);
  }

  /** Idempotent. */
  close(): void {
    this.#closed = true;
    clearInterval(this.#timer);
    this.#timer = undefined;
  }

  async #ping(): Promise<void> {
    if (this.#closed) return;
    if (!this.#healthy()) {
      this.#logger.warn('health check failed; withholding the watchdog ping');
      return;
    }
    await this.#send(this.#ready ? ['WATCHDOG=1', 'READY=1'] : ['WATCHDOG=1']);
  }

  #send(fields: string[]): Promise<void> {
    if (!this.enabled) return Promise.resolve();
    return new Promise((resolve) => {
      execFile(
        this.#command,
        [`--pid=${this.#pid}`, ...fields],
        // Only the socket address: the tool needs nothing else from our environment.
        { timeout: CALL_TIMEOUT_MS, env: { NOTIFY_SOCKET: this.#env.notifySocket } },
        (error) => {
          if (error && !this.#warned) {
            this.#warned = true;
            this.#logger.warn({ err: error }, 'systemd-notify failed');
          }
          resolve();
        },
      );
    });
  }
}
