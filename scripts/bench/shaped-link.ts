import { execFileSync } from 'node:child_process';
import { chmodSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { chromium, type Browser } from 'playwright-core';

export interface ShapedLinkOptions {
  /** SFU → classroom (what a thin rural downlink limits), kbit/s. */
  downKbit: number;
  /** Classroom → SFU, kbit/s; unshaped when absent. */
  upKbit?: number;
  /** Distinguishes links made at once by one process (0…3). */
  index?: number;
}

/**
 * A member classroom behind a thin link, on this machine: a network namespace of its own
 * behind a veth pair, each direction shaped by `tc tbf` (token bucket: the rate, a 6 kB burst,
 * at most 150 ms queued). The box listens on the host end's address; a Chromium started inside
 * the namespace reaches it only through the shaped pair. Needs root and iproute2. Only
 * addresses inside the pair made here are used (10.213.x.y/30).
 */
export class ShapedLink {
  readonly hostIp: string;
  readonly nsIp: string;
  readonly #ns: string;
  readonly #hostIf: string;
  #dir: string | undefined;
  /** A process that ends without closing the link (a bench that threw) still removes it. */
  readonly #onExit = () => this.close();

  private constructor(ns: string, hostIf: string, hostIp: string, nsIp: string) {
    this.#ns = ns;
    this.#hostIf = hostIf;
    this.hostIp = hostIp;
    this.nsIp = nsIp;
  }

  /** Makes the link, or says why it cannot be made here (not root, no `ip`/`tc`). */
  static create(options: ShapedLinkOptions): ShapedLink | { unavailable: string } {
    const index = options.index ?? 0;
    const tag = `${process.pid % 100_000}${index}`;
    const ns = `ccl${tag}`;
    const hostIf = `cclh${tag}`;
    const nsIf = `ccln${tag}`;
    const third = (process.pid * 4 + index) % 250;
    const hostIp = `10.213.${third}.1`;
    const nsIp = `10.213.${third}.2`;
    const link = new ShapedLink(ns, hostIf, hostIp, nsIp);
    try {
      link.close();
      run('ip', 'netns', 'add', ns);
      run('ip', 'link', 'add', hostIf, 'type', 'veth', 'peer', 'name', nsIf);
      run('ip', 'link', 'set', nsIf, 'netns', ns);
      run('ip', 'addr', 'add', `${hostIp}/30`, 'dev', hostIf);
      run('ip', 'link', 'set', hostIf, 'up');
      const inNs = (...args: string[]) => run('ip', 'netns', 'exec', ns, ...args);
      inNs('ip', 'addr', 'add', `${nsIp}/30`, 'dev', nsIf);
      inNs('ip', 'link', 'set', nsIf, 'up');
      inNs('ip', 'link', 'set', 'lo', 'up');
      run('tc', ...tbf(hostIf, options.downKbit));
      if (options.upKbit !== undefined) inNs('tc', ...tbf(nsIf, options.upKbit));
      process.once('exit', link.#onExit);
      return link;
    } catch (error) {
      link.close();
      return { unavailable: `a shaped link needs root, ip and tc (${(error as Error).message.split('\n')[0]})` };
    }
  }

  /**
   * Debian's Chromium (or `executable`, a start script of it), headless, inside the namespace
   * (playwright talks to it over a pipe).
   */
  async launchChromium(args: string[], executable = '/usr/bin/chromium'): Promise<Browser> {
    this.#dir ??= mkdtempSync(path.join(os.tmpdir(), 'classcast-link-'));
    const wrapper = path.join(this.#dir, 'chromium-in-link.sh');
    writeFileSync(wrapper, `#!/bin/sh\nexec ip netns exec ${this.#ns} ${executable} "$@"\n`);
    chmodSync(wrapper, 0o755);
    return chromium.launch({ executablePath: wrapper, headless: true, args });
  }

  close(): void {
    process.off('exit', this.#onExit);
    for (const args of [['link', 'del', this.#hostIf], ['netns', 'del', this.#ns]]) {
      try {
        run('ip', ...args);
      } catch {
        // Already gone (or never made).
      }
    }
    if (this.#dir) rmSync(this.#dir, { recursive: true, force: true });
    this.#dir = undefined;
  }
}

function tbf(dev: string, kbit: number): string[] {
  return ['qdisc', 'add', 'dev', dev, 'root', 'tbf', 'rate', `${kbit}kbit`, 'burst', '6kb', 'latency', '150ms'];
}

function run(command: string, ...args: string[]): void {
  execFileSync(command, args, { stdio: 'pipe' });
}
