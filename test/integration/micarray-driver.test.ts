import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { pino } from 'pino';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { MicArrayDriver } from '../../devices/micarray/driver.ts';
import { createSerialOpener } from '../../devices/micarray/serial-binding.ts';
import { startMicArraySimulator, type MicArraySimulator } from '../../devices/micarray/simulator/simulator.ts';
import type { MicArrayProtocol, MicArrayState } from '../../devices/micarray/types.ts';

const logger = pino({ level: 'silent' });

async function until(condition: () => boolean, what: string, timeoutMs = 10_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!condition()) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 20));
  }
}

describe.each<MicArrayProtocol>(['shure-ascii', 'binary'])('mic-array driver over a pty pair (%s)', (protocol) => {
  let dir: string;
  let sim: MicArraySimulator | undefined;
  let driver: MicArrayDriver | undefined;

  beforeEach(() => {
    dir = mkdtempSync(path.join(tmpdir(), 'classcast-micarray-'));
  });

  afterEach(async () => {
    await driver?.close();
    await sim?.close();
    driver = undefined;
    sim = undefined;
    rmSync(dir, { recursive: true, force: true });
  });

  async function setUp(): Promise<{ sim: MicArraySimulator; driver: MicArrayDriver; states: MicArrayState[] }> {
    sim = await startMicArraySimulator({ protocol, channels: 4, script: [], dir, logger });
    driver = new MicArrayDriver(
      {
        id: 'ceiling',
        protocol,
        path: sim.devicePath,
        baudRate: 9600,
        channels: 4,
        commandTimeoutMs: 1000,
        meterRateMs: 100,
        reconnect: { initialMs: 50, maxMs: 400 },
        keepaliveMs: 1000,
      },
      { opener: createSerialOpener(), logger },
    );
    const states: MicArrayState[] = [];
    driver.on('state', (s) => states.push(s));
    driver.start();
    const d = driver;
    await until(() => d.state === 'online', 'online');
    return { sim, driver, states };
  }

  it('reads the state, sets gain and mute, and follows talkers and meters', async () => {
    const { sim, driver } = await setUp();
    expect(driver.channel(1)).toMatchObject({ gainDb: 0, muted: false });
    expect(driver.deviceMuted).toBe(false);

    await driver.setGain(2, -12.5);
    expect(sim.device.gains[1]).toBe(-12.5);
    expect(driver.channel(2).gainDb).toBe(-12.5);
    await driver.setMuted(3, true);
    expect(sim.device.mutes[2]).toBe(true);
    await driver.setDeviceMuted(true);
    expect(sim.device.deviceMuted).toBe(true);
    await driver.setDeviceMuted(false);

    const seen: number[][] = [];
    driver.on('talkers', (t) => seen.push([...t]));
    sim.device.setTalker(3);
    await until(() => driver.talkers().join() === '3', 'talker 3');
    sim.device.setTalker(1);
    await until(() => driver.talkers().join() === '1', 'talker 1');
    sim.device.setTalker(0);
    await until(() => driver.talkers().length === 0, 'silence');
    expect(seen.at(-1)).toEqual([]);
    expect(seen.some((t) => t.join() === '3')).toBe(true);

    const meters = await driver.next('meters', 5000);
    expect(meters[0]).toHaveLength(4);
    // channel 3 is muted: the simulator meters it at the floor.
    expect(meters[0][2]).toBe(-60);
    expect(driver.channel(1).levelDb).toBeGreaterThan(-61);
  });

  it('resyncs after garbage and half frames on the line', async () => {
    const { sim, driver } = await setUp();
    const junk =
      protocol === 'binary' ? Buffer.from([0x00, 0xff, 0x55, 0x05, 0x81, 0x13, 0xff]) : Buffer.from('\x00zz< REP 01 AUDIO_GA');
    await sim.writeRaw(junk);
    sim.device.setTalker(2);
    await until(() => driver.talkers().join() === '2', 'talker after junk');
    await driver.setGain(4, 3);
    expect(driver.channel(4).gainDb).toBe(3);
    expect(driver.garbageBytes).toBeGreaterThan(0);
  });

  it('goes offline when socat dies mid-stream and comes back by itself', async () => {
    const { sim, driver, states } = await setUp();
    sim.device.setTalker(2);
    await until(() => driver.talkers().join() === '2', 'talker 2');
    const oldPid = sim.socatPid;
    sim.killTransport('SIGKILL');
    await until(() => driver.state === 'offline', 'offline');
    await expect(driver.setGain(1, 1)).rejects.toMatchObject({ code: 'SERIAL_DISCONNECTED' });
    expect(driver.talkers()).toEqual([]);
    await until(() => driver.state === 'online', 'online again', 15_000);
    expect(sim.socatPid).not.toBe(oldPid);
    expect(states).toEqual(['online', 'offline', 'online']);
    // The driver re-read the talker state after reopening.
    expect(driver.talkers()).toEqual([2]);
    await driver.setGain(1, -3);
    expect(sim.device.gains[0]).toBe(-3);
  });

  it('times out a command when the device stays silent, and says degraded', async () => {
    const { sim, driver } = await setUp();
    // Stop the device answering: its link stays open but replies go nowhere.
    sim.device.handle = () => [];
    await expect(driver.setMuted(1, true)).rejects.toMatchObject({ code: 'SERIAL_TIMEOUT' });
    expect(driver.state).toBe('degraded');
  });
});
