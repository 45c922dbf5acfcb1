import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import pino from 'pino';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { isClasscastError } from '../../config/foundation/errors.ts';
import { OnvifCamera } from '../../devices/camera/onvif/onvif-camera.ts';
import { probeCameras } from '../../devices/camera/discovery/probe.ts';
import { startSimCamera, type SimCamera, type SimCameraOptions } from '../../devices/camera/sim/index.ts';

const lines: string[] = [];
const logger = pino({ level: 'debug' }, { write: (line: string) => lines.push(line) });
let dataDir: string;
const sims: SimCamera[] = [];
const cameras: OnvifCamera[] = [];
const servers: Server[] = [];

beforeEach(async () => {
  dataDir = await mkdtemp(join(tmpdir(), 'camera-driver-'));
});

afterEach(async () => {
  await Promise.all(cameras.splice(0).map((c) => c.close()));
  await Promise.all(sims.splice(0).map((s) => s.close()));
  await Promise.all(servers.splice(0).map((s) => new Promise((r) => s.close(r))));
  await rm(dataDir, { recursive: true, force: true });
});

async function sim(options: Partial<SimCameraOptions> = {}): Promise<SimCamera> {
  const s = await startSimCamera({ id: 'cam', name: 'Sim', dataDir, user: 'admin', password: 's3cret-pw', logger, video: false, ...options });
  sims.push(s);
  return s;
}

function camera(xaddr: string, password = 's3cret-pw', extra: Partial<ConstructorParameters<typeof OnvifCamera>[0]> = {}): OnvifCamera {
  const c = new OnvifCamera({ id: 'cam', xaddr, user: 'admin', password, logger, requestTimeoutMs: 1_000, movePollMs: 50, reconnect: { initialMs: 50, maxMs: 200 }, ...extra });
  cameras.push(c);
  return c;
}

async function until(condition: () => boolean | Promise<boolean>, timeoutMs = 10_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!(await condition())) {
    if (Date.now() > deadline) throw new Error('condition not met in time');
    await new Promise((r) => setTimeout(r, 20));
  }
}

async function codeOf(promise: Promise<unknown>): Promise<string | undefined> {
  try {
    await promise;
    return undefined;
  } catch (error) {
    return isClasscastError(error) ? error.code : `not coded: ${String(error)}`;
  }
}

describe('ONVIF driver against the simulator', () => {
  it('connects, reads info, and drives presets, home, moves and status', async () => {
    const s = await sim({ clockOffsetMs: 3_600_000, authWindowMs: 5_000 });
    const c = camera(s.xaddr);
    const states: string[] = [];
    c.on('state', (state) => states.push(state));
    await c.connect();
    expect(c.state).toBe('online');
    expect(states).toEqual(['online']);
    // The device clock runs an hour ahead; the digest only passes because of the offset.
    expect(Math.abs(c.info!.clockOffsetMs - 3_600_000)).toBeLessThan(2_000);
    expect(c.info!.model).toBe('SimPTZ');

    const presets = await c.getPresets();
    expect(presets.map((p) => p.name)).toEqual(['Overview', 'Blackboard', 'Lectern']);

    const moved: string[] = [];
    c.on('moved', (kind, target) => moved.push(`${kind}:${target ?? ''}`));
    await c.recallPreset('Lectern', 1);
    expect(c.isMoving()).toBe(true);
    const [arrivedAt] = await c.next('arrived', 10_000);
    expect(c.isMoving()).toBe(false);
    expect(arrivedAt).toEqual({ pan: 0.6, tilt: -0.2, zoom: 0.7 });
    expect(moved).toEqual(['preset:Lectern']);

    await c.absoluteMove({ pan: 0.1, tilt: 0.2, zoom: 0.3 }, 1);
    await c.next('arrived', 10_000);
    const stored = await c.storePreset('Desk 4');
    expect(stored.position).toEqual({ pan: 0.1, tilt: 0.2, zoom: 0.3 });
    await c.setHome();

    await c.continuousMove({ pan: 1, tilt: 0, zoom: 0 }, { timeoutMs: 300 });
    await c.next('arrived', 10_000);
    const after = (await c.getStatus()).position;
    expect(after.pan).toBeGreaterThan(0.15);
    expect(after.pan).toBeLessThan(0.8);

    await c.goHome(1);
    await c.next('arrived', 10_000);
    expect((await c.getStatus()).position).toEqual({ pan: 0.1, tilt: 0.2, zoom: 0.3 });

    await c.recallPreset(stored.token);
    await c.removePreset('Desk 4');
    expect((await c.getPresets()).map((p) => p.name)).not.toContain('Desk 4');

    await c.continuousMove({ pan: 0, tilt: -1, zoom: 0 }, { timeoutMs: 5_000 });
    await until(() => s.position().tilt < 0.1);
    await c.stop();
    const [stoppedAt] = await c.next('arrived', 10_000);
    // Stopped long before the 5 s timeout would have taken it to the end stop.
    expect(stoppedAt.tilt).toBeGreaterThan(-0.9);
    expect(s.position().tilt).toBeCloseTo(stoppedAt.tilt, 3);
    expect(lines.join('\n')).not.toContain('s3cret-pw');
  });

  it('a single preset (an object, not an array, in node-onvif) is still a list', async () => {
    const s = await sim({ defaultPresets: [{ name: 'Only', position: { pan: 0, tilt: 0, zoom: 0 } }] });
    const c = camera(s.xaddr);
    await c.connect();
    expect(await c.getPresets()).toEqual([{ token: 'preset_1', name: 'Only', position: { pan: 0, tilt: 0, zoom: 0 } }]);
  });

  it('keeps presets across simulator restarts', async () => {
    const first = await sim();
    const c = camera(first.xaddr);
    await c.connect();
    await c.absoluteMove({ pan: -0.5, tilt: 0, zoom: 0 }, 1);
    await c.next('arrived', 10_000);
    await c.storePreset('Window');
    await first.close();
    const file = JSON.parse(await readFile(join(dataDir, 'sim-camera-cam', 'presets.json'), 'utf8'));
    expect(file.presets.map((p: { name: string }) => p.name)).toContain('Window');
    const second = await sim();
    expect(second.presets().find((p) => p.name === 'Window')?.position).toEqual({ pan: -0.5, tilt: 0, zoom: 0 });
  });

  it('wrong password fails with PTZ_AUTH_FAILED and the password is not logged', async () => {
    const s = await sim();
    const c = camera(s.xaddr, 'wrong-pw-123');
    expect(await codeOf(c.connect())).toBe('PTZ_AUTH_FAILED');
    expect(c.state).toBe('offline');
    expect(lines.join('\n')).not.toMatch(/wrong-pw-123|s3cret-pw/);
  });

  it('an unknown preset is PTZ_NO_SUCH_PRESET, by name and by token at the device', async () => {
    const s = await sim();
    const c = camera(s.xaddr);
    await c.connect();
    expect(await codeOf(c.recallPreset('Nowhere'))).toBe('PTZ_NO_SUCH_PRESET');
    expect(await codeOf(c.removePreset('Nowhere'))).toBe('PTZ_NO_SUCH_PRESET');
  });

  it('a camera that vanishes mid-move goes offline and comes back online', async () => {
    const s = await sim();
    const c = camera(s.xaddr);
    await c.connect();
    await c.continuousMove({ pan: 0.2, tilt: 0, zoom: 0 }, { timeoutMs: 5_000 });
    const offline = c.next('state', 10_000);
    await s.suspend();
    expect((await offline)[0]).toBe('offline');
    expect(c.isMoving()).toBe(false);
    expect(await codeOf(c.getPresets())).toBe('PTZ_UNREACHABLE');
    const online = c.next('state', 10_000);
    await s.resume();
    expect((await online)[0]).toBe('online');
    expect((await c.getPresets()).length).toBe(3);
  });

  it('unreachable and silent cameras give PTZ_UNREACHABLE and PTZ_TIMEOUT', async () => {
    const closed = createServer();
    await new Promise<void>((r) => closed.listen(0, '127.0.0.1', r));
    const port = (closed.address() as AddressInfo).port;
    await new Promise((r) => closed.close(r));
    expect(await codeOf(camera(`http://127.0.0.1:${port}/onvif/device_service`).connect())).toBe('PTZ_UNREACHABLE');

    const silent = createServer(() => {});
    servers.push(silent);
    await new Promise<void>((r) => silent.listen(0, '127.0.0.1', r));
    const silentPort = (silent.address() as AddressInfo).port;
    expect(await codeOf(camera(`http://127.0.0.1:${silentPort}/onvif/device_service`, 'x', { requestTimeoutMs: 300 }).connect())).toBe('PTZ_TIMEOUT');
    silent.closeAllConnections();
  });

  it('garbage, empty and faulting answers give coded errors, nothing crashes', async () => {
    const answers: Record<string, { status: number; body: string }> = {
      garbage: { status: 200, body: 'this is not xml <<<' },
      empty: { status: 200, body: '' },
      html: { status: 500, body: '<html><body>Internal error</body></html>' },
      fault: {
        status: 500,
        body: '<?xml version="1.0"?><s:Envelope xmlns:s="http://www.w3.org/2003/05/soap-envelope" xmlns:ter="http://www.onvif.org/ver10/error"><s:Body><s:Fault><s:Code><s:Value>s:Receiver</s:Value><s:Subcode><s:Value>ter:Action</s:Value></s:Subcode></s:Code><s:Reason><s:Text xml:lang="en">Busy</s:Text></s:Reason></s:Fault></s:Body></s:Envelope>',
      },
      wrongBody: { status: 200, body: '<?xml version="1.0"?><s:Envelope xmlns:s="http://www.w3.org/2003/05/soap-envelope"><s:Body><Other/></s:Body></s:Envelope>' },
    };
    const expected: Record<string, string> = { garbage: 'PTZ_BAD_RESPONSE', empty: 'PTZ_BAD_RESPONSE', html: 'PTZ_BAD_RESPONSE', fault: 'PTZ_FAULT', wrongBody: 'PTZ_BAD_RESPONSE' };
    for (const [name, answer] of Object.entries(answers)) {
      const server = createServer((_req, res) => res.writeHead(answer.status, { 'content-type': 'application/soap+xml' }).end(answer.body));
      servers.push(server);
      await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
      const port = (server.address() as AddressInfo).port;
      expect([name, await codeOf(camera(`http://127.0.0.1:${port}/onvif/device_service`).connect())]).toEqual([name, expected[name]]);
    }
  });

  it('cuts off an answer that never ends instead of buffering it', async () => {
    // A peer that streams forever: without a size cap the driver would hold it all in memory.
    const chunk = Buffer.alloc(64 * 1024, 'x');
    const endless = createServer((_req, res) => {
      res.writeHead(200, { 'content-type': 'application/soap+xml' });
      const more = () => {
        while (!res.destroyed && res.write(chunk));
        if (!res.destroyed) res.once('drain', more);
      };
      more();
    });
    servers.push(endless);
    await new Promise<void>((r) => endless.listen(0, '127.0.0.1', r));
    const port = (endless.address() as AddressInfo).port;
    expect(await codeOf(camera(`http://127.0.0.1:${port}/onvif/device_service`).connect())).toBe('PTZ_BAD_RESPONSE');
    endless.closeAllConnections();
  });

  it('opens only an RTSP stream on the camera itself', async () => {
    const s = await sim({ video: true });
    const c = camera(s.xaddr);
    await c.connect();
    expect(c.info?.streamUri).toBe(s.rtspUrl);
    expect(c.info?.streamUriProblem).toBeUndefined();
  });

  it('calls after close throw InvalidStateError', async () => {
    const s = await sim();
    const c = camera(s.xaddr);
    await c.connect();
    await c.close();
    await c.close();
    expect(await codeOf(c.getPresets())).toBe('INVALID_STATE');
  });

  it('finds the simulator with a WS-Discovery probe sent by unicast', async () => {
    const s = await sim({ name: 'Teacher camera', discovery: { port: 0 } });
    const found = await probeCameras({ address: '127.0.0.1', port: s.discoveryPort!, expect: 1, timeoutMs: 5_000 });
    expect(found).toHaveLength(1);
    expect(found[0]!.xaddrs).toEqual([s.xaddr]);
    expect(found[0]!.name).toBe('Teacher camera');
    expect(found[0]!.scopes).toContain('onvif://www.onvif.org/type/ptz');
  });
});
