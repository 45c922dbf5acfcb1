import { ClasscastError } from '../../config/foundation/errors.ts';
import type { Supervisor } from '../../config/foundation/process/supervisor.ts';
import { zmqRequest } from './zmq-request.ts';

/**
 * Live control of a running compositor through its graph's `zmq` filter (layout, gains, mutes):
 * no restart, no new keyframe. Commands are sent all at once, on parallel connections: the zmq
 * filter drains every queued request when the next frame passes, so a layout's commands land
 * in the same frame. While the encoder is down nothing is sent; its owner keeps the state and
 * the restart builds the graph from it.
 */
export class GraphControl {
  readonly #socketPath: string;
  readonly #supervisor: Supervisor;

  /** `socketPath`: where the graph's `zmq` filter is bound (`zmqAddress({ path })`). */
  constructor(socketPath: string, supervisor: Supervisor) {
    this.#socketPath = socketPath;
    this.#supervisor = supervisor;
  }

  async send(commands: string[]): Promise<void> {
    const supervisor = this.#supervisor;
    if (supervisor.state !== 'running' || commands.length === 0) return;
    let replies: string[];
    try {
      replies = await Promise.all(commands.map((command) => zmqRequest({ path: this.#socketPath }, command)));
    } catch (error) {
      // The encoder died under us: the state is kept and the restart builds the graph from it.
      if (supervisor.state !== 'running') return;
      throw error;
    }
    replies.forEach((reply, i) => {
      if (!reply.startsWith('0 ')) throw new ClasscastError('INTERNAL', `filter command "${commands[i]}" failed: ${reply}`);
    });
  }
}
