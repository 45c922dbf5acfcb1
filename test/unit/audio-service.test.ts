import { pino } from 'pino';
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { ClasscastError } from '../../config/foundation/errors.ts';
import { audioSchema } from '../../config/schema/audio.ts';
import { AudioService } from '../../daemon/audio/service.ts';
import type { DaemonEvent } from '../../daemon/events/bus.ts';
import { channels, FakeMicArray, FakeMix } from './audio-fakes.ts';

const logger = pino({ level: 'silent' });

describe('audio service', () => {
  let array: FakeMicArray;
  let mix: FakeMix;
  let events: DaemonEvent[];
  let service: AudioService;

  beforeEach(() => {
    vi.useFakeTimers();
    array = new FakeMicArray('ceiling');
    mix = new FakeMix();
    events = [];
    service = new AudioService({
      channels,
      config: audioSchema.parse({ meterIntervalMs: 100, bindings: [{ channel: 'students', micArray: 'ceiling', micChannel: 2 }] }),
      micArrays: [array],
      mix,
      bus: { publish: (e) => events.push(e) },
      logger,
    });
    service.start();
  });

  afterEach(() => {
    service.close();
    vi.useRealTimers();
  });

  it('lists mixer and device channels with gain, mute and level', () => {
    array.meter([-40, -12, -50, -50]);
    expect(service.list()).toEqual([
      { id: 'teacher', name: 'Teacher wireless', gainDb: 0, muted: false, levelDb: null, talking: false, control: 'mixer' },
      {
        id: 'students',
        name: 'Student array',
        gainDb: -3,
        muted: false,
        levelDb: -12,
        talking: false,
        control: 'micarray',
        micArray: { id: 'ceiling', channel: 2, state: 'online' },
      },
    ]);
  });

  it('sends a bound channel to the device and an unbound one to the mixer', async () => {
    const student = await service.update('students', { gainDb: 6, muted: true });
    expect(array.status[1]).toMatchObject({ gainDb: 6, muted: true });
    expect(student).toMatchObject({ gainDb: 6, muted: true, control: 'micarray' });
    expect(mix.calls).toEqual([]);
    const teacher = await service.update('teacher', { gainDb: -4 });
    expect(mix.calls).toEqual(['gain teacher -4']);
    expect(teacher).toMatchObject({ gainDb: -4, muted: false });
    expect(events.filter((e) => e.type === 'audio.channel').map((e) => e.channel)).toContain('teacher');
  });

  it('says NOT_FOUND for an unknown channel and passes device errors on', async () => {
    await expect(service.update('nope', { muted: true })).rejects.toMatchObject({ code: 'NOT_FOUND' });
    array.failWith = new ClasscastError('SERIAL_DISCONNECTED', 'offline');
    await expect(service.update('students', { muted: true })).rejects.toMatchObject({ code: 'SERIAL_DISCONNECTED' });
  });

  it('rate-limits audio.meters to one per interval, keeping the latest levels', async () => {
    for (let i = 0; i < 20; i += 1) {
      array.meter([-40, -20 - i, -50, -50]);
      await vi.advanceTimersByTimeAsync(10);
    }
    await vi.advanceTimersByTimeAsync(200);
    const meters = events.filter((e) => e.type === 'audio.meters');
    // 20 device samples over 200 ms → leading edge + one per 100 ms.
    expect(meters.length).toBeGreaterThanOrEqual(2);
    expect(meters.length).toBeLessThanOrEqual(3);
    expect(meters.at(-1)?.channels).toEqual([
      { id: 'teacher', levelDb: null },
      { id: 'students', levelDb: -39 },
    ]);
  });

  it('publishes talkers with the bound channels, and mic-array state', () => {
    array.talk(2, 3);
    expect(events.find((e) => e.type === 'audio.talker')).toMatchObject({ micArray: 'ceiling', zones: [2, 3], channels: ['students'] });
    array.safeEmit('state', 'offline', 'online');
    expect(events.find((e) => e.type === 'micarray.state')).toMatchObject({ micArray: 'ceiling', state: 'offline' });
  });

  it('rejects bindings to unknown channels or arrays', () => {
    const make = (bindings: unknown) => () =>
      new AudioService({
        channels,
        config: audioSchema.parse({ bindings }),
        micArrays: [array],
        mix,
        bus: { publish: () => undefined },
        logger,
      });
    expect(make([{ channel: 'x', micArray: 'ceiling', micChannel: 1 }])).toThrow(/no audio channel/);
    expect(make([{ channel: 'students', micArray: 'x', micChannel: 1 }])).toThrow(/no mic array/);
    expect(make([{ channel: 'students', micArray: 'ceiling', micChannel: 9 }])).toThrow(/no channel 9/);
  });

  it('stops listening after close', async () => {
    service.close();
    array.talk(1);
    expect(events).toEqual([]);
    await expect(service.update('teacher', { muted: true })).rejects.toThrow(/closed/);
  });
});
