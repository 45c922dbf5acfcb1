import { spawnSync } from 'node:child_process';
import { describe, expect, it } from 'vitest';
import { cpuList, SplitCores } from '../../scripts/bench/split-cores.ts';

describe('bench: splitting the cores between the box and the page', () => {
  it('reads a cpu list as taskset prints it', () => {
    expect(cpuList('0,1')).toEqual([0, 1]);
    expect(cpuList('0,2-4,7')).toEqual([0, 2, 3, 4, 7]);
    expect(cpuList('5')).toEqual([5]);
    expect(cpuList('')).toEqual([]);
    expect(cpuList('x,3')).toEqual([3]);
  });

  it('gives the box the first core this process may use and the page the last, and gives every core back after', async () => {
    const split = SplitCores.create();
    if (!(split instanceof SplitCores)) throw new Error(`no split on this machine: ${split.unavailable}`);
    const affinity = () => /list:\s*(\S+)/.exec(spawnSync('taskset', ['-cp', String(process.pid)], { encoding: 'utf8' }).stdout)?.[1];
    const before = affinity()!;
    const cpus = cpuList(before);
    expect(split.describe).toBe(`the box on core ${cpus[0]}, the page's Chromium on core ${cpus.at(-1)} (taskset)`);
    const during = await split.run(async () => affinity());
    expect(during).toBe(String(cpus[0]));
    expect(affinity()).toBe(before);
    // Given back even when the work inside fails.
    await expect(split.run(async () => Promise.reject(new Error('inside')))).rejects.toThrow('inside');
    expect(affinity()).toBe(before);
  });
});
