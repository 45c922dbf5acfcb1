import { pino } from 'pino';
import { describe, expect, it } from 'vitest';
import type { WebSocket } from 'ws';
import { EventBus } from '../../daemon/events/bus.ts';
import type { DaemonEvent } from '../../daemon/events/schema.ts';
import { EventsHub } from '../../daemon/ws/events-hub.ts';

/** Just enough of a ws socket for the hub: it records what is sent. */
function fakeSocket() {
  const sent: Record<string, unknown>[] = [];
  const socket = {
    OPEN: 1,
    readyState: 1,
    bufferedAmount: 0,
    send: (frame: string) => sent.push(JSON.parse(frame) as Record<string, unknown>),
    on: () => socket,
    close: () => {},
    terminate: () => {},
  };
  return { socket: socket as unknown as WebSocket, sent };
}

describe('EventsHub', () => {
  it('sends every event that matches its schema, and logs and drops one that does not', () => {
    const bus = new EventBus();
    const logged: { type?: unknown; msg?: string }[] = [];
    const logger = pino({ level: 'error' }, { write: (line: string) => void logged.push(JSON.parse(line)) });
    const hub = new EventsHub(bus, () => [{ type: 'health.ready', ready: true }], logger);
    const { socket, sent } = fakeSocket();
    hub.accept(socket, { name: 'tech', role: 'technician' });
    expect(sent.map((f) => f.type)).toEqual(['hello', 'health.ready']);

    bus.publish({ type: 'program.changed', layout: 'pip', main: 'cam1', second: 'cam2' });
    // A publisher that went around the types: a layout there is not, a kind nobody declared.
    bus.publish({ type: 'program.changed', layout: 'mosaic', main: 'cam1', second: 'cam2' } as unknown as DaemonEvent);
    bus.publish({ type: 'device.error', id: 'cam1' } as unknown as DaemonEvent);
    expect(sent.slice(2)).toEqual([{ type: 'program.changed', layout: 'pip', main: 'cam1', second: 'cam2', at: expect.any(String) }]);
    expect(logged.map((l) => [l.type, l.msg])).toEqual([
      ['program.changed', 'event does not match its schema; not sent'],
      ['device.error', 'event does not match its schema; not sent'],
    ]);
    hub.close();
  });
});
