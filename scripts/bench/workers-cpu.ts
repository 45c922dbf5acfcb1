import { readFileSync } from 'node:fs';

/** Clock ticks per second of /proc/<pid>/stat times (USER_HZ, 100 on Linux). */
const TICKS = 100;

/** CPU time a process has used so far, in clock ticks (0 once it is gone). */
export function cpuTicks(pid: number): number {
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
    const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
    return Number(fields[11]) + Number(fields[12]); // utime + stime
  } catch {
    return 0;
  }
}

/** `cpuTicks` over `ms` of wall time, as % of a core. */
export function cpuPercent(ticks: number, ms: number): number {
  return Math.round((ticks / TICKS / (ms / 1000)) * 100);
}

/** CPU used by `pids` over `ms`, in cores (1.0 = one core busy the whole time), per pid. */
export async function cpuOver(pids: number[], ms: number): Promise<number[]> {
  const before = pids.map(cpuTicks);
  const start = performance.now();
  await new Promise((resolve) => setTimeout(resolve, ms));
  const seconds = (performance.now() - start) / 1000;
  return pids.map((pid, i) => (cpuTicks(pid) - before[i]!) / TICKS / seconds);
}
