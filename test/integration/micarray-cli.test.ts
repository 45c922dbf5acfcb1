import { existsSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { PassThrough } from 'node:stream';
import { pino } from 'pino';
import { afterEach, describe, expect, it } from 'vitest';
import { simMicArrayCommand, parseScript } from '../../daemon/cli/commands/sim-micarray.ts';
import { MicArrayDriver } from '../../devices/micarray/driver.ts';
import { createSerialOpener } from '../../devices/micarray/serial-binding.ts';

function collect(stream: PassThrough): () => string {
  let text = '';
  stream.setEncoding('utf8');
  stream.on('data', (chunk: string) => (text += chunk));
  return () => text;
}

async function until(condition: () => boolean, what: string, timeoutMs = 10_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!condition()) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 20));
  }
}

describe('classcast sim micarray', () => {
  const dirs: string[] = [];
  afterEach(() => {
    for (const dir of dirs.splice(0)) rmSync(dir, { recursive: true, force: true });
  });

  it('rejects bad arguments with usage and exit code 2', async () => {
    const stderr = new PassThrough();
    const err = collect(stderr);
    const ctx = { stdout: new PassThrough(), stderr, stopSignal: new Promise<string>(() => undefined) };
    expect(await simMicArrayCommand.run(['--protocol', 'visca', '--port', '/tmp/x'], ctx)).toBe(2);
    expect(await simMicArrayCommand.run(['--port', '/tmp/x'], ctx)).toBe(2);
    expect(await simMicArrayCommand.run(['--protocol', 'binary', '--port', '/tmp/x', '--script', '1-3'], ctx)).toBe(2);
    expect(await simMicArrayCommand.run(['--bogus'], ctx)).toBe(2);
    expect(err()).toContain('usage: classcast sim micarray');
  });

  it('parses a talker script', () => {
    expect(parseScript('1:4000, 0:1500,2:300', 4)).toEqual([
      { zone: 1, ms: 4000 },
      { zone: 0, ms: 1500 },
      { zone: 2, ms: 300 },
    ]);
    expect(() => parseScript('5:100', 4)).toThrow(TypeError);
  });

  it('runs a scripted simulator on the given port until the stop signal', async () => {
    const dir = mkdtempSync(path.join(tmpdir(), 'classcast-simcli-'));
    dirs.push(dir);
    const port = path.join(dir, 'ttyMIC');
    const stdout = new PassThrough();
    const out = collect(stdout);
    let stop!: (s: string) => void;
    const stopSignal = new Promise<string>((resolve) => (stop = resolve));
    const running = simMicArrayCommand.run(
      ['--protocol', 'binary', '--port', port, '--channels', '2', '--script', '2:200,0:200'],
      { stdout, stderr: new PassThrough(), stopSignal },
    );
    await until(() => out().includes('mic array simulator (binary, 2 channels)'), 'start line');
    const driver = new MicArrayDriver(
      {
        id: 'cli',
        protocol: 'binary',
        path: port,
        baudRate: 9600,
        channels: 2,
        commandTimeoutMs: 1000,
        meterRateMs: 100,
        reconnect: { initialMs: 50, maxMs: 200 },
      },
      { opener: createSerialOpener(), logger: pino({ level: 'silent' }) },
    );
    try {
      driver.start();
      await until(() => driver.state === 'online', 'online');
      const talkers = await driver.next('talkers', 5000);
      expect([[2], []]).toContainEqual([...talkers[0]]);
      expect(out()).toMatch(/zone 2 talking/);
    } finally {
      await driver.close();
      stop('SIGTERM');
    }
    expect(await running).toBe(0);
    expect(existsSync(port)).toBe(false);
  });
});
