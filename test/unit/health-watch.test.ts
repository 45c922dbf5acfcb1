import { describe, expect, it } from 'vitest';
import { EventBus } from '../../daemon/events/bus.ts';
import type { StampedEvent } from '../../daemon/events/schema.ts';
import { HealthWatch } from '../../daemon/health/health-watch.ts';
import type { Readiness } from '../../daemon/health/readiness.ts';

describe('HealthWatch', () => {
  it('publishes a part when its state or detail changes, and readiness when it turns', async () => {
    const bus = new EventBus();
    const events: StampedEvent[] = [];
    bus.on('event', (e) => events.push(e));
    let state: Readiness = { ready: true, parts: { pipeline: { state: 'ok' }, recording: { state: 'off' }, cameras: { cam1: { state: 'ok' } } } };
    const watch = new HealthWatch({ read: async () => state, bus });
    await watch.check();
    expect(events.map(({ at: _at, ...e }) => e)).toEqual([
      { type: 'health.part', part: 'pipeline', state: 'ok' },
      { type: 'health.part', part: 'recording', state: 'off' },
      { type: 'health.ready', ready: true },
    ]);
    events.length = 0;
    await watch.check();
    expect(events).toEqual([]);
    state = { ready: false, parts: { pipeline: { state: 'down', detail: 'no output for 3 s' }, recording: { state: 'off' }, cameras: {} } };
    await watch.check();
    expect(events.map(({ at: _at, ...e }) => e)).toEqual([
      { type: 'health.part', part: 'pipeline', state: 'down', detail: 'no output for 3 s' },
      { type: 'health.ready', ready: false },
    ]);
  });

  it('keeps going after a failed look', async () => {
    const bus = new EventBus();
    const events: StampedEvent[] = [];
    bus.on('event', (e) => events.push(e));
    let fail = true;
    const watch = new HealthWatch({ read: async () => (fail ? Promise.reject(new Error('statfs')) : { ready: true, parts: {} }), bus });
    await watch.check();
    fail = false;
    await watch.check();
    expect(events.map((e) => e.type)).toEqual(['health.ready']);
  });
});
