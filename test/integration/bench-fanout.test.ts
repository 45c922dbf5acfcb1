import { spawn } from 'node:child_process';
import path from 'node:path';
import { describe, expect, it } from 'vitest';

const ROOT = path.resolve(import.meta.dirname, '../..');

/** Runs `classcast bench …` as users do and returns its stdout (JSON mode). */
function bench(args: string[]): Promise<{ code: number | null; stdout: string; stderr: string }> {
  return new Promise((resolve) => {
    const child = spawn(process.execPath, [path.join(ROOT, 'daemon/bin/classcast.mjs'), 'bench', ...args], { cwd: ROOT });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (d: Buffer) => (stdout += d.toString()));
    child.stderr.on('data', (d: Buffer) => (stderr += d.toString()));
    child.on('exit', (code) => resolve({ code, stdout, stderr }));
  });
}

describe('classcast bench', () => {
  it('measures fan-out, added delay, first frame and the edge hop, each beside its baseline', async () => {
    const { code, stdout, stderr } = await bench(['all', '--workers', '2', '--classrooms', '6', '--seconds', '1.5', '--newcomers', '2', '--json']);
    expect(code, stderr).toBe(0);
    const result = JSON.parse(stdout) as {
      fanout: { setup: string; workers: number; classrooms: number; workerCores: number; spread: string; sentMbps: number }[];
      delay: { path: string; load: number; packets: number; p50: number }[];
      firstFrame: { setup: string; newcomers: number; videoP50: number; allKeyframes: boolean }[];
      edgeHop: { path: string; load: number; packets: number; linkKbps?: number }[];
    };
    // Fan-out: the baseline keeps everything on one worker, the candidate spreads over two.
    expect(result.fanout.map((r) => r.workers)).toEqual([1, 2]);
    expect(result.fanout[0]!.spread).toBe('6');
    expect(result.fanout[1]!.spread).toBe('3/3');
    for (const row of result.fanout) {
      expect(row.workerCores).toBeGreaterThan(0);
      // Six classrooms of 800 kbit/s video plus audio really went out.
      expect(row.sentMbps).toBeGreaterThan(2);
    }
    // Delay: baseline, origin and edge paths all carried the stamped packets.
    const idle = result.delay.filter((r) => r.load === 0);
    expect(idle.map((r) => r.path)).toEqual([expect.stringMatching(/baseline/), expect.stringMatching(/origin/), expect.stringMatching(/edge/)]);
    for (const row of idle) {
      expect(row.packets).toBeGreaterThan(30);
      expect(row.p50).toBeLessThan(50);
    }
    // First frame: every newcomer started on a keyframe, within its keyframe interval plus slack.
    expect(result.firstFrame).toHaveLength(2);
    for (const row of result.firstFrame) {
      expect(row.newcomers).toBe(2);
      expect(row.allKeyframes).toBe(true);
    }
    expect(result.firstFrame[1]!.videoP50).toBeLessThan(1500);
    // Edge hop: the stamped packets reached a classroom on the origin and one behind an edge,
    // and the pipe carried one copy whether 0 or 6 classrooms were behind it.
    expect(result.edgeHop.filter((r) => r.load === 0).map((r) => r.path)).toEqual([
      expect.stringMatching(/baseline/),
      expect.stringMatching(/origin/),
      expect.stringMatching(/edge/),
    ]);
    for (const row of result.edgeHop) expect(row.packets).toBeGreaterThan(30);
    const [alone, loaded] = result.edgeHop.filter((r) => r.linkKbps !== undefined).map((r) => r.linkKbps!);
    expect(alone).toBeGreaterThan(500);
    expect(loaded! / alone!).toBeGreaterThan(0.6);
    expect(loaded! / alone!).toBeLessThan(1.6);
  }, 150_000);

  it('refuses bad arguments with usage and exit code 2', async () => {
    const { code, stderr } = await bench(['nonsense']);
    expect(code).toBe(2);
    expect(stderr).toContain('usage: classcast bench');
  });
});
