import { TypedEmitter } from '../../config/foundation/emitter.ts';

/**
 * A live event for `/ws/events` (and the console). `type` names the kind with a dotted prefix
 * per domain: `camera.state`, `camera.moved`, `audio.meters`, `audio.talker`, `broadcast.state`,
 * `schedule.lesson`, `device.error` …; the rest is the kind's own JSON-serialisable payload.
 */
export interface DaemonEvent {
  type: string;
  [key: string]: unknown;
}

/** The daemon-wide event bus; services publish, the WebSocket hub and metrics subscribe. */
export class EventBus extends TypedEmitter<{ event: [DaemonEvent] }> {
  publish(event: DaemonEvent): void {
    this.safeEmit('event', { ...event, at: new Date().toISOString() });
  }
}
