import { spawnSync } from 'node:child_process';
import { readdirSync, readFileSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';

/**
 * The member page as if on a machine of its own, on this one: the box (this process and all it
 * started, every thread) is held to the first core and the page's Chromium to the second, so
 * neither waits for the other's work. Each side has one core; in a classroom the member PC is
 * another machine and the box has both. `taskset` (util-linux) sets the affinities.
 */
export class SplitCores {
  readonly #boxCpus: string;
  readonly #pageCpus: string;
  readonly #allCpus: string;

  private constructor(count: number) {
    this.#boxCpus = '0';
    this.#pageCpus = String(count - 1);
    this.#allCpus = `0-${count - 1}`;
  }

  /** A split, or why there is none (one core, no taskset). */
  static create(): SplitCores | { unavailable: string } {
    const count = os.availableParallelism();
    if (count < 2) return { unavailable: `one core only` };
    const probe = spawnSync('taskset', ['-p', String(process.pid)], { encoding: 'utf8' });
    if (probe.error || probe.status !== 0) return { unavailable: `taskset: ${probe.error?.message ?? probe.stderr.trim()}` };
    return new SplitCores(count);
  }

  get describe(): string {
    return `the box on core ${this.#boxCpus}, the page's Chromium on core ${this.#pageCpus} (taskset)`;
  }

  /** A start script in `dir` that runs `command` on the page's core, at nice 0. */
  pageLauncher(dir: string, command: string): string {
    const script = path.join(dir, `${path.basename(command)}-own-core.sh`);
    writeFileSync(script, `#!/bin/sh\nexec taskset -c ${this.#pageCpus} nice -n ${-os.getPriority(0)} ${command} "$@"\n`, { mode: 0o755 });
    return script;
  }

  /** Runs `body` with the box held to its core; every process of the box gets all cores back after. */
  async run<T>(body: () => Promise<T>): Promise<T> {
    this.#pin(this.#boxCpus);
    try {
      return await body();
    } finally {
      this.#pin(this.#allCpus);
    }
  }

  /** This process and its descendants (each with all its threads: `-a`). */
  #pin(cpus: string): void {
    for (const pid of descendants(process.pid)) spawnSync('taskset', ['-a', '-cp', cpus, String(pid)], { stdio: 'ignore' });
  }
}

/** `root` and every process below it, from /proc's parent links. */
function descendants(root: number): number[] {
  const children = new Map<number, number[]>();
  for (const entry of readdirSync('/proc')) {
    if (!/^\d+$/.test(entry)) continue;
    try {
      const stat = readFileSync(`/proc/${entry}/stat`, 'utf8');
      // Fields after the command's closing parenthesis: state, then the parent's pid.
      const parent = Number(stat.slice(stat.lastIndexOf(')') + 2).split(' ')[1]);
      children.set(parent, [...(children.get(parent) ?? []), Number(entry)]);
    } catch {
      // gone meanwhile
    }
  }
  const out: number[] = [];
  const queue = [root];
  while (queue.length > 0) {
    const pid = queue.shift()!;
    out.push(pid);
    queue.push(...(children.get(pid) ?? []));
  }
  return out;
}
