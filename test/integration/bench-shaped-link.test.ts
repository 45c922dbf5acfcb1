import { execFileSync, spawnSync } from 'node:child_process';
import path from 'node:path';
import { describe, expect, it } from 'vitest';

const ROOT = path.resolve(import.meta.dirname, '../..');

/** The host ends' addresses of the shaped links that exist now. */
function linkAddresses(): string[] {
  return execFileSync('ip', ['-br', 'addr'], { encoding: 'utf8' }).match(/10\.213\.\d+\.1\/30/g) ?? [];
}

describe('the bench\'s shaped link (a rural classroom in a network namespace)', () => {
  it('is removed when its process ends without closing it, as a bench that threw does', () => {
    // A bench process that makes its link and then fails: nothing closes the link on the way out.
    const script = [
      "import { ShapedLink } from './scripts/bench/shaped-link.ts';",
      'const link = ShapedLink.create({ downKbit: 1000, upKbit: 1000 });',
      "if (!(link instanceof ShapedLink)) { console.error(link.unavailable); process.exit(3); }",
      "console.log(JSON.stringify({ hostIp: link.hostIp, present: (await import('node:child_process')).execFileSync('ip', ['-br', 'addr'], { encoding: 'utf8' }).includes(link.hostIp + '/30') }));",
      "throw new Error('a bench that threw');",
    ].join('\n');
    const child = spawnSync(process.execPath, ['--import', 'tsx', '--input-type=module', '-e', script], { cwd: ROOT, encoding: 'utf8' });
    // Tests run as root here (as the weak-link test needs): the link could be made.
    expect(child.status, child.stderr).toBe(1);
    expect(child.stderr).toContain('a bench that threw');
    const { hostIp, present } = JSON.parse(child.stdout.trim()) as { hostIp: string; present: boolean };
    expect(present).toBe(true);
    expect(linkAddresses()).not.toContain(`${hostIp}/30`);
  });
});
