import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { ConfigInvalidError, loadConfigFile, parseConfig } from '../../config/load.ts';
import { sha256Hex } from '../../config/secrets.ts';

describe('config loader', () => {
  it('fills defaults and freezes the result', () => {
    const config = parseConfig({});
    expect(config.api.port).toBe(8080);
    expect(config.schedule.timezone).toBe('Asia/Shanghai');
    expect(Object.isFrozen(config)).toBe(true);
    expect(Object.isFrozen(config.api)).toBe(true);
    expect(() => {
      (config.api as { port: number }).port = 1;
    }).toThrow(TypeError);
  });

  it('names the path of every problem', () => {
    const error = (() => {
      try {
        loadConfigFile(path.resolve(import.meta.dirname, '../fixtures/broken-config.yaml'));
      } catch (e) {
        return e as ConfigInvalidError;
      }
      throw new Error('expected a ConfigInvalidError');
    })();
    expect(error).toBeInstanceOf(ConfigInvalidError);
    expect(error.code).toBe('CONFIG_INVALID');
    const paths = error.problems.map((p) => p.path);
    expect(paths).toEqual(expect.arrayContaining(['api.port', 'api.tokens.0.role', 'cameras.0.id', 'cameras.0.name', 'cameras.0.xaddr', '']));
    expect(error.message).toContain('unknownKey');
  });

  it("refuses a camera microphone of a camera the classroom does not have, with its path", () => {
    const cameras = [{ id: 'cam1', name: 'Teacher camera', xaddr: 'http://10.0.0.5/onvif/device_service' }];
    const channel = (camera: string) => ({ id: 'mic', name: 'Camera mic', source: { kind: 'camera', camera } });
    expect(parseConfig({ cameras, pipeline: { audioChannels: [channel('cam1')] } }).pipeline.audioChannels[0]!.source).toEqual({ kind: 'camera', camera: 'cam1' });
    let error: ConfigInvalidError | undefined;
    try {
      parseConfig({ cameras, pipeline: { audioChannels: [channel('cam9')] } });
    } catch (e) {
      error = e as ConfigInvalidError;
    }
    expect(error).toBeInstanceOf(ConfigInvalidError);
    expect(error!.problems).toEqual([expect.objectContaining({ path: 'pipeline.audioChannels.0.source.camera', message: expect.stringContaining('cam9') })]);
  });

  it('reports YAML syntax errors as config problems', () => {
    const dir = mkdtempSync(path.join(tmpdir(), 'cfg-'));
    const file = path.join(dir, 'bad.yaml');
    writeFileSync(file, 'api: [unclosed\n');
    expect(() => loadConfigFile(file)).toThrow(ConfigInvalidError);
  });

  it('keeps only hashes of API tokens, reading env and file sources at load', () => {
    const dir = mkdtempSync(path.join(tmpdir(), 'cfg-'));
    writeFileSync(path.join(dir, 'tok'), 'file-token-0123456789\n');
    const config = parseConfig(
      {
        api: {
          tokens: [
            { name: 'a', role: 'technician', token: 'inline-token-0123456789' },
            { name: 'b', role: 'viewer', env: 'CLASSCAST_TEST_TOKEN' },
            { name: 'c', role: 'viewer', file: 'tok' },
          ],
        },
      },
      'test',
      dir,
      { CLASSCAST_TEST_TOKEN: 'env-token-0123456789' },
    );
    expect(config.api.tokens.map((t) => t.sha256)).toEqual([
      sha256Hex('inline-token-0123456789'),
      sha256Hex('env-token-0123456789'),
      sha256Hex('file-token-0123456789'),
    ]);
    expect(JSON.stringify(config)).not.toContain('inline-token-0123456789');
  });

  it('rejects a token whose environment variable is missing', () => {
    expect(() => parseConfig({ api: { tokens: [{ name: 'b', role: 'viewer', env: 'NOPE_NOT_SET' }] } }, 'test', '/', {})).toThrow(
      /api\.tokens\.0\.env/,
    );
  });
});
