import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { PassThrough } from 'node:stream';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { discoverCommand } from '../../daemon/cli/commands/discover.ts';
import { simCameraCommand } from '../../daemon/cli/commands/sim-camera.ts';

let dataDir: string;
beforeEach(async () => {
  dataDir = await mkdtemp(join(tmpdir(), 'camera-cli-'));
});
afterEach(async () => {
  await rm(dataDir, { recursive: true, force: true });
});

function io() {
  const stdout = new PassThrough();
  const stderr = new PassThrough();
  let out = '';
  let err = '';
  stdout.on('data', (c) => (out += c));
  stderr.on('data', (c) => (err += c));
  return { stdout, stderr, out: () => out, err: () => err };
}

async function until(condition: () => boolean, timeoutMs = 30_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!condition()) {
    if (Date.now() > deadline) throw new Error('condition not met in time');
    await new Promise((r) => setTimeout(r, 20));
  }
}

describe('camera CLI commands', () => {
  it('sim camera prints its addresses, discover finds it by unicast, and it stops on the signal', async () => {
    const sim = io();
    let stop!: (s: string) => void;
    const stopSignal = new Promise<string>((r) => (stop = r));
    const running = simCameraCommand.run(
      ['--id', 'cli', '--name', 'CLI camera', '--size', '320x180', '--fps', '10', '--discovery-port', '0', '--data-dir', dataDir],
      { stdout: sim.stdout, stderr: sim.stderr, stopSignal },
    );
    try {
      await until(() => /ws-discovery: udp [\d.]+:\d+/.test(sim.out()));
      expect(sim.out()).toMatch(/^xaddr: http:\/\/127\.0\.0\.1:\d+\/onvif\/device_service\nrtsp: rtsp:\/\/127\.0\.0\.1:\d+\/cli\n/);
      const port = /ws-discovery: udp [\d.]+:(\d+)/.exec(sim.out())![1];
      const found = io();
      const code = await discoverCommand.run(['--target', `127.0.0.1:${port}`, '--timeout', '2000', '--json'], { stdout: found.stdout, stderr: found.stderr, stopSignal: new Promise(() => {}) });
      expect(code).toBe(0);
      const cameras = JSON.parse(found.out());
      expect(cameras).toHaveLength(1);
      expect(cameras[0].name).toBe('CLI camera');
      expect(sim.out()).toContain(cameras[0].xaddrs[0]);
    } finally {
      stop('SIGINT');
      expect(await running).toBe(0);
    }
    expect(sim.out()).toContain('camera simulator stopped');
  });

  it('bad arguments print usage and return 2', async () => {
    const a = io();
    expect(await discoverCommand.run(['--timeout', 'soon'], { stdout: a.stdout, stderr: a.stderr, stopSignal: new Promise(() => {}) })).toBe(2);
    expect(a.err()).toContain('usage:');
    const b = io();
    expect(await simCameraCommand.run(['--size', 'big'], { stdout: b.stdout, stderr: b.stderr, stopSignal: new Promise(() => {}) })).toBe(2);
  });
});
