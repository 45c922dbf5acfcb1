import { spawnSync } from 'node:child_process';
import path from 'node:path';
import { describe, expect, it } from 'vitest';

const ROOT = path.resolve(import.meta.dirname, '../..');
const cli = (...args: string[]) =>
  spawnSync(process.execPath, [path.join(ROOT, 'daemon/bin/classcast.mjs'), ...args], { cwd: ROOT, encoding: 'utf8' });

describe('classcast check-config / run', () => {
  it('accepts the demo config', () => {
    const result = cli('check-config', 'config/demo.yaml');
    expect(result.stderr).toBe('');
    expect(result.status).toBe(0);
    expect(result.stdout).toContain('ok');
  });

  it('rejects a broken config with exit 1 and each problem with its path', () => {
    const result = cli('check-config', 'test/fixtures/broken-config.yaml');
    expect(result.status).toBe(1);
    for (const p of ['api.port', 'api.tokens.0.role', 'cameras.0.xaddr', 'unknownKey']) expect(result.stderr).toContain(p);
  });

  it('never starts the daemon on an invalid config', () => {
    const result = cli('run', '--config', 'test/fixtures/broken-config.yaml');
    expect(result.status).toBe(1);
    expect(result.stderr).toContain('cameras.0.xaddr');
    expect(result.stdout).not.toContain('daemon started');
  });

  it('answers unknown commands and missing arguments with usage and exit 2', () => {
    expect(cli('no-such-command').status).toBe(2);
    expect(cli('check-config').status).toBe(2);
  });
});
