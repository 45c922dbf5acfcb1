// The simulator driven by the independent `onvif` package (not node-onvif), so it is shaped
// by the protocol rather than by one client.
import { createRequire } from 'node:module';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import pino from 'pino';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { startSimCamera, type SimCamera } from '../../devices/camera/sim/index.ts';

const require = createRequire(import.meta.url);
const { Cam } = require('onvif') as { Cam: new (options: Record<string, unknown>, cb: (err: Error | null) => void) => any };
const logger = pino({ level: 'silent' });
let dataDir: string;
let sim: SimCamera;

beforeEach(async () => {
  dataDir = await mkdtemp(join(tmpdir(), 'camera-onvif-client-'));
  sim = await startSimCamera({ id: 'cam', name: 'Sim', dataDir, user: 'admin', password: 'pw-123', logger, video: false, clockOffsetMs: -120_000, authWindowMs: 10_000 });
});

afterEach(async () => {
  await sim.close();
  await rm(dataDir, { recursive: true, force: true });
});

function connect(password = 'pw-123'): Promise<any> {
  const url = new URL(sim.xaddr);
  return new Promise((resolve, reject) => {
    const cam = new Cam({ hostname: url.hostname, port: Number(url.port), path: url.pathname, username: 'admin', password, timeout: 3_000 }, (err) =>
      err ? reject(err) : resolve(cam),
    );
  });
}

const call = <T>(cam: any, method: string, ...args: unknown[]): Promise<T> =>
  new Promise((resolve, reject) => cam[method](...args, (err: Error | null, result: T) => (err ? reject(err) : resolve(result))));

async function until(condition: () => boolean, timeoutMs = 10_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!condition()) {
    if (Date.now() > deadline) throw new Error('condition not met in time');
    await new Promise((r) => setTimeout(r, 20));
  }
}

describe('simulator with the onvif package', () => {
  it('connects (GetServices, GetProfiles, GetVideoSources) and reads the stream URI', async () => {
    const cam = await connect();
    expect(cam.profiles).toHaveLength(1);
    expect(cam.activeSource.profileToken).toBe('profile_1');
    const info = await call<{ model: string }>(cam, 'getDeviceInformation');
    expect(info.model).toBe('SimPTZ');
    const stream = await call<{ uri: string }>(cam, 'getStreamUri', { protocol: 'RTSP' });
    expect(typeof stream.uri).toBe('string');
  });

  it('lists, recalls, stores and removes presets, moves and stops, reads status', async () => {
    const cam = await connect();
    const presets = await call<Record<string, { $: { token: string } }>>(cam, 'getPresets', {});
    expect(Object.keys(presets)).toEqual(['Overview', 'Blackboard', 'Lectern']);

    await call(cam, 'gotoPreset', { preset: presets.Blackboard!.$.token });
    await until(() => sim.position().pan === -0.6 && sim.position().zoom === 0.5);
    expect(sim.label()).toContain('PRESET Blackboard');

    const stored = await call<unknown>(cam, 'setPreset', { presetName: 'Door' });
    expect(stored).toBeTruthy();
    expect(sim.presets().find((p) => p.name === 'Door')?.position).toEqual({ pan: -0.6, tilt: 0.3, zoom: 0.5 });
    await call(cam, 'removePreset', { presetToken: sim.presets().find((p) => p.name === 'Door')!.token });
    expect(sim.presets().map((p) => p.name)).not.toContain('Door');

    await call(cam, 'continuousMove', { x: 0.5, y: 0, zoom: 0 });
    await until(() => sim.position().pan > -0.5);
    const moving = await call<{ moveStatus: { panTilt: string } }>(cam, 'getStatus', {});
    expect(moving.moveStatus.panTilt).toBe('MOVING');
    await call(cam, 'stop', {});
    const stopped = await call<{ moveStatus: { panTilt: string }; position: { x: number } }>(cam, 'getStatus', {});
    expect(stopped.moveStatus.panTilt).toBe('IDLE');
    expect(stopped.position.x).toBeCloseTo(sim.position().pan, 3);

    await call(cam, 'absoluteMove', { x: 0.25, y: -0.25, zoom: 0.1 });
    await until(() => sim.position().pan === 0.25 && sim.position().tilt === -0.25 && sim.position().zoom === 0.1);
  });

  it('refuses a wrong password and an unknown preset with SOAP faults', async () => {
    await expect(connect('nope')).rejects.toThrow();
    const cam = await connect();
    await expect(call(cam, 'gotoPreset', { preset: 'preset_99' })).rejects.toThrow(/preset token does not exist/);
    await expect(call(cam, 'removePreset', { presetToken: 'preset_99' })).rejects.toThrow();
  });
});
