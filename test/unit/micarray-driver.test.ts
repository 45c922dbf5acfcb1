import { pino } from 'pino';
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { codecFor } from '../../devices/micarray/codecs.ts';
import { MicArrayDriver } from '../../devices/micarray/driver.ts';
import { createSerialOpener, mockBinding, type SerialBinding } from '../../devices/micarray/serial-binding.ts';
import { SimulatedDevice } from '../../devices/micarray/simulator/device-model.ts';
import type { MicArrayProtocol } from '../../devices/micarray/types.ts';

const logger = pino({ level: 'silent' });
type MockPort = Awaited<ReturnType<typeof mockBinding.open>>;

/**
 * node-serialport's in-memory MockBinding, wrapped so that every write is answered by a
 * simulated device (the same model the pty simulator uses) and the line can be "unplugged".
 */
function answeringBinding(protocol: MicArrayProtocol, device: SimulatedDevice) {
  const codec = codecFor(protocol);
  const opens: number[] = [];
  let current: { port: MockPort; unplug: () => void } | undefined;
  const binding = {
    list: () => mockBinding.list(),
    async open(options: Parameters<typeof mockBinding.open>[0]) {
      opens.push(Date.now());
      const port = await mockBinding.open(options);
      const framer = codec.createFramer();
      const write = port.write.bind(port);
      port.write = async (buffer: Buffer) => {
        await write(buffer);
        for (const out of framer.push(buffer)) {
          if (!('frame' in out)) continue;
          const command = codec.decodeCommand(out.frame);
          for (const reply of command ? device.handle(command) : []) port.emitData(codec.encodeMessage(reply));
        }
      };
      let unplugged: (error: Error) => void = () => undefined;
      const broken = new Promise<never>((_, reject) => (unplugged = reject));
      broken.catch(() => undefined);
      const read = port.read.bind(port);
      port.read = (buffer: Buffer, offset: number, length: number) => Promise.race([read(buffer, offset, length), broken]);
      current = { port, unplug: () => unplugged(Object.assign(new Error('device reports readiness to read but returned no data'), { code: 'EIO' })) };
      return port;
    },
  };
  return { binding: binding as unknown as SerialBinding, opens, current: () => current };
}

describe('mic-array driver on the in-memory binding', () => {
  beforeEach(() => {
    mockBinding.reset();
    vi.useFakeTimers({ toFake: ['setTimeout', 'clearTimeout', 'setInterval', 'clearInterval', 'Date'] });
  });
  afterEach(() => {
    vi.useRealTimers();
  });

  function driverOn(binding: SerialBinding) {
    return new MicArrayDriver(
      {
        id: 'desk',
        protocol: 'binary',
        path: '/dev/ttyMIC',
        baudRate: 9600,
        channels: 2,
        commandTimeoutMs: 500,
        meterRateMs: 0,
        reconnect: { initialMs: 100, maxMs: 400 },
        keepaliveMs: 60_000,
      },
      { opener: createSerialOpener(binding), logger },
    );
  }

  it('retries a missing port with capped backoff, then comes online', async () => {
    const device = new SimulatedDevice({ protocol: 'binary', channels: 2, script: [] });
    const mock = answeringBinding('binary', device);
    const driver = driverOn(mock.binding);
    driver.start();
    await vi.advanceTimersByTimeAsync(1500);
    expect(driver.state).toBe('offline');
    const gaps = mock.opens.slice(1).map((t, i) => t - (mock.opens[i] ?? 0));
    // 100, 200, 400, 400 … less up to 20 % jitter; never above the cap.
    expect(gaps.slice(0, 4).map((g) => Math.ceil(g / 100) * 100)).toEqual([100, 200, 400, 400]);
    expect(Math.max(...gaps)).toBeLessThanOrEqual(400);
    mockBinding.createPort('/dev/ttyMIC');
    await vi.advanceTimersByTimeAsync(400);
    await vi.waitFor(() => expect(driver.state).toBe('online'));
    expect(driver.channels().map((c) => c.gainDb)).toEqual([0, 0]);
    await driver.close();
  });

  it('tells an unplugged line from its own close, and reopens after a break', async () => {
    const device = new SimulatedDevice({ protocol: 'binary', channels: 2, script: [] });
    const mock = answeringBinding('binary', device);
    mockBinding.createPort('/dev/ttyMIC');
    const driver = driverOn(mock.binding);
    const states: string[] = [];
    driver.on('state', (s) => states.push(s));
    driver.start();
    await vi.waitFor(() => expect(driver.state).toBe('online'));
    const opensBefore = mock.opens.length;
    mock.current()?.unplug();
    await vi.waitFor(() => expect(driver.state).toBe('offline'));
    await vi.advanceTimersByTimeAsync(100);
    await vi.waitFor(() => expect(driver.state).toBe('online'));
    expect(mock.opens.length).toBe(opensBefore + 1);
    await driver.setMuted(2, true);
    expect(device.mutes[1]).toBe(true);
    await driver.close();
    await driver.close();
    expect(states).toEqual(['online', 'offline', 'online', 'offline']);
    // Our own close schedules no reopen.
    await vi.advanceTimersByTimeAsync(5000);
    expect(mock.opens.length).toBe(opensBefore + 1);
    expect(() => driver.setGain(1, 0)).toThrow(/closed/);
  });

  it('rejects bad arguments before they reach the line', async () => {
    const device = new SimulatedDevice({ protocol: 'binary', channels: 2, script: [] });
    const mock = answeringBinding('binary', device);
    mockBinding.createPort('/dev/ttyMIC');
    const driver = driverOn(mock.binding);
    driver.start();
    await vi.waitFor(() => expect(driver.state).toBe('online'));
    expect(() => driver.setGain(3, 0)).toThrow(TypeError);
    expect(() => driver.setGain(1, 31)).toThrow(TypeError);
    await driver.close();
  });
});
