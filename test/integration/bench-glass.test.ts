import { spawn } from 'node:child_process';
import path from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';

const ROOT = path.resolve(import.meta.dirname, '../..');
const children = new Set<ReturnType<typeof spawn>>();

afterAll(() => {
  for (const child of children) if (child.exitCode === null) child.kill('SIGKILL');
});

function bench(args: string[]): Promise<{ code: number | null; stdout: string; stderr: string }> {
  return new Promise((resolve) => {
    const child = spawn(process.execPath, [path.join(ROOT, 'daemon/bin/classcast.mjs'), 'bench', ...args], { cwd: ROOT });
    children.add(child);
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (d: Buffer) => (stdout += d.toString()));
    child.stderr.on('data', (d: Buffer) => (stderr += d.toString()));
    child.on('exit', (code) => resolve({ code, stdout, stderr }));
  });
}

interface Row { path: string; frames: number; presented: number; unreadable: number; width: number; p50: number; p95: number; p99: number }

describe('classcast bench glass', () => {
  it('reads the camera time stamp in the member classroom and beside it straight from the camera', async () => {
    const { code, stdout, stderr } = await bench(['glass', '--seconds', '3', '--json']);
    expect(code, stderr).toBe(0);
    const { glass } = JSON.parse(stdout) as { glass: Row[] };
    expect(glass.map((r) => r.path)).toEqual([expect.stringMatching(/^baseline/), expect.stringMatching(/^glass/)]);
    for (const row of glass) {
      expect(row.frames).toBeGreaterThan(5);
      // Stamps survive both encodes and the scaling: nearly every presented frame reads.
      expect(row.unreadable).toBeLessThanOrEqual(row.presented * 0.1);
      expect(row.p50).toBeGreaterThan(0);
      expect(row.p50).toBeLessThan(5000);
      expect(row.p95).toBeGreaterThanOrEqual(row.p50);
      expect(row.p99).toBeGreaterThanOrEqual(row.p95);
    }
    const [baseline, full] = glass as [Row, Row];
    // The full path contains the baseline's path (camera encode, RTSP, decode) and more.
    expect(full.p50).toBeGreaterThan(baseline.p50);
    expect(full.width).toBeGreaterThan(0);
  }, 150_000);
});
