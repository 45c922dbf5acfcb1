import { TypedEmitter } from '../../config/foundation/emitter.ts';
import type { DaemonEvent, StampedEvent } from './schema.ts';

export type { DaemonEvent } from './schema.ts';

/** The daemon-wide event bus; services publish, the WebSocket hub and metrics subscribe. */
export class EventBus extends TypedEmitter<{ event: [StampedEvent] }> {
  publish(event: DaemonEvent): void {
    this.safeEmit('event', { ...event, at: new Date().toISOString() });
  }
}
