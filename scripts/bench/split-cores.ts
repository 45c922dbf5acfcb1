import { spawnSync } from 'node:child_process';
import { writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { descendants } from '../../config/foundation/process/descendants.ts';

/**
 * The member page as if on a machine of its own, on this one: the box (this process and all it
 * started, every thread) is held to the first core it may use and the page's Chromium to the
 * last, so neither waits for the other's work. Each side has one core; in a classroom the
 * member PC is another machine and the box has both. `taskset` (util-linux) sets the
 * affinities; every process gets back the cores this one had.
 */
export class SplitCores {
  readonly #boxCpu: number;
  readonly #pageCpu: number;
  readonly #allCpus: string;

  private constructor(cpus: number[], list: string) {
    this.#boxCpu = cpus[0]!;
    this.#pageCpu = cpus.at(-1)!;
    this.#allCpus = list;
  }

  /** A split of the cores this process may use, or why there is none (one core, no taskset). */
  static create(): SplitCores | { unavailable: string } {
    const probe = spawnSync('taskset', ['-cp', String(process.pid)], { encoding: 'utf8' });
    if (probe.error || probe.status !== 0) return { unavailable: `taskset: ${probe.error?.message ?? probe.stderr.trim()}` };
    // "pid 123's current affinity list: 0,2-3"
    const list = /list:\s*(\S+)/.exec(probe.stdout)?.[1];
    const cpus = list ? cpuList(list) : [];
    if (!list || cpus.length < 2) return { unavailable: `one core only (${list ?? probe.stdout.trim()})` };
    return new SplitCores(cpus, list);
  }

  get describe(): string {
    return `the box on core ${this.#boxCpu}, the page's Chromium on core ${this.#pageCpu} (taskset)`;
  }

  /** A start script in `dir` that runs `command` on the page's core, at nice 0. */
  pageLauncher(dir: string, command: string): string {
    const script = path.join(dir, `${path.basename(command)}-own-core.sh`);
    writeFileSync(script, `#!/bin/sh\nexec taskset -c ${this.#pageCpu} nice -n ${-os.getPriority(0)} ${command} "$@"\n`, { mode: 0o755 });
    return script;
  }

  /** Runs `body` with the box held to its core; every process of the box gets its cores back after. */
  async run<T>(body: () => Promise<T>): Promise<T> {
    this.#pin(String(this.#boxCpu));
    try {
      return await body();
    } finally {
      this.#pin(this.#allCpus);
    }
  }

  /**
   * This process and its descendants, each with all its threads (`-a`). A descendant may be gone
   * meanwhile; this process itself must take it, or the row would not be what it says.
   */
  #pin(cpus: string): void {
    for (const pid of [process.pid, ...descendants(process.pid).map((p) => p.pid)]) {
      const done = spawnSync('taskset', ['-a', '-cp', cpus, String(pid)], { stdio: 'ignore' });
      if (pid === process.pid && done.status !== 0) throw new Error(`taskset could not hold the box to cores ${cpus}`);
    }
  }
}

/** The cores of a cpu list such as "0,2-3". */
export function cpuList(list: string): number[] {
  const cpus: number[] = [];
  for (const part of list.split(',')) {
    const range = /^(\d+)(?:-(\d+))?$/.exec(part.trim());
    if (!range) continue;
    const from = Number(range[1]);
    for (let cpu = from; cpu <= Number(range[2] ?? from); cpu += 1) cpus.push(cpu);
  }
  return cpus;
}
