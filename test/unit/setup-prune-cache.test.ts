import { spawn, spawnSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, readdirSync, rmSync, utimesSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';

const SCRIPT = path.resolve(import.meta.dirname, '../../scripts/prune-worker-cache.sh');

describe('pruning the mediasoup worker cache (scripts/prune-worker-cache.sh)', () => {
  const dirs: string[] = [];
  afterEach(() => {
    for (const dir of dirs.splice(0)) rmSync(dir, { recursive: true, force: true });
  });

  /** A cache with key directories k1…k5, k5 used last. */
  function cache(): string {
    const dir = mkdtempSync(path.join(os.tmpdir(), 'worker-cache-'));
    dirs.push(dir);
    for (let i = 1; i <= 5; i += 1) {
      mkdirSync(path.join(dir, `k${i}`));
      const used = new Date(2026, 0, i);
      utimesSync(path.join(dir, `k${i}`), used, used);
    }
    mkdirSync(path.join(dir, '.building-k6.abc123'));
    return dir;
  }

  it('keeps the current key and the two most recently used others, and no temporary or locked state is touched', () => {
    const dir = cache();
    const run = spawnSync('bash', [SCRIPT, dir, 'k1'], { encoding: 'utf8' });
    expect(run.status).toBe(0);
    // The pruned keys' lock files go with them.
    expect(readdirSync(dir).sort()).toEqual(['.building-k6.abc123', 'k1', 'k4', 'k5']);
    expect(run.stderr).toContain('removed an old mediasoup worker from the cache: k2');
  });

  it('leaves a key alone while another setup run holds its lock', async () => {
    const dir = cache();
    const holder = spawn('flock', [path.join(dir, '.k2.lock'), 'sleep', '30'], { stdio: 'ignore' });
    try {
      // Wait until the lock is held: a non-blocking try fails then.
      for (;;) {
        const probe = spawnSync('flock', ['-n', path.join(dir, '.k2.lock'), 'true']);
        if (probe.status !== 0) break;
        await new Promise((resolve) => setTimeout(resolve, 20));
      }
      expect(spawnSync('bash', [SCRIPT, dir, 'k5', '1']).status).toBe(0);
      expect(readdirSync(dir).filter((n) => !n.startsWith('.')).sort()).toEqual(['k2', 'k4', 'k5']);
    } finally {
      holder.kill('SIGKILL');
    }
  });

  it('does nothing without a cache', () => {
    expect(spawnSync('bash', [SCRIPT, path.join(os.tmpdir(), 'no-such-cache-dir'), 'k1']).status).toBe(0);
  });
});
