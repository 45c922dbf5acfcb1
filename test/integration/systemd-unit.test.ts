import { spawnSync } from 'node:child_process';
import { copyFileSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';

const UNITS = path.resolve(import.meta.dirname, '../../scripts/systemd');
const dir = mkdtempSync(path.join(os.tmpdir(), 'classcast-units-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

/** `systemd-analyze verify` of the given unit files: its complaints (it exits 0 on many of them). */
function verify(files: string[]): string[] {
  const result = spawnSync('systemd-analyze', ['verify', '--man=no', ...files], { encoding: 'utf8' });
  if (result.error) throw result.error;
  return `${result.stdout}${result.stderr}`.split('\n').filter((line) => line.trim() !== '');
}

describe('the systemd units', () => {
  it('parse cleanly, and the service runs in the slice that weighs it three times a default slice', () => {
    for (const unit of ['classcast.slice', 'classcast.service']) copyFileSync(path.join(UNITS, unit), path.join(dir, unit));
    expect(verify([path.join(dir, 'classcast.slice'), path.join(dir, 'classcast.service')])).toEqual([]);
    expect(readFileSync(path.join(dir, 'classcast.service'), 'utf8')).toMatch(/^Slice=classcast\.slice$/m);
    expect(readFileSync(path.join(dir, 'classcast.slice'), 'utf8')).toMatch(/^CPUWeight=300$/m);
  });

  it('the check itself catches a value systemd would ignore', () => {
    const broken = path.join(dir, 'broken.slice');
    writeFileSync(broken, readFileSync(path.join(UNITS, 'classcast.slice'), 'utf8').replace('CPUWeight=300', 'CPUWeight=lots'));
    expect(verify([broken]).join('\n')).toMatch(/Invalid CPU weight/);
  });
});
