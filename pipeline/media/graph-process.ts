import type { Logger } from 'pino';
import { ClasscastError } from '../../config/foundation/errors.ts';
import { Supervisor, type SupervisorState } from '../../config/foundation/process/supervisor.ts';
import { GraphControl } from './graph-control.ts';

/** No progress line for this long = stalled (ffmpeg prints one a second). */
const STALL_MS = 6_000;

export interface GraphProcessOptions {
  /** For logs and errors: `ffmpeg-compositor`, `ffmpeg-mixer`. */
  name: string;
  ffmpegPath?: string;
  /** The command's arguments, built again on every (re)start. */
  args: () => string[];
  /** Where the graph's `zmq`/`azmq` filter is bound. */
  controlPath: string;
  logger: Logger;
}

/**
 * One of the pipeline's ffmpeg filter graphs (the compositor's pictures, the mixer's sound),
 * run under a Supervisor: ready once its outputs are open, restarted with backoff when it
 * exits or stops printing progress, and changed live through its graph's zmq filter.
 */
export class GraphProcess {
  readonly supervisor: Supervisor;
  readonly #name: string;
  readonly #control: GraphControl;

  constructor(options: GraphProcessOptions) {
    this.#name = options.name;
    const supervisor = new Supervisor({
      name: options.name,
      command: options.ffmpegPath ?? 'ffmpeg',
      args: options.args,
      logger: options.logger,
      // "Output #0" is printed once every output is initialised, i.e. the first frames passed.
      readyWhen: (line) => line.startsWith('Output #0'),
      readyTimeoutMs: 20_000,
      // ffmpeg alive but silent (an input that stalls without closing blocks the whole graph):
      // its progress lines stop, and a restart is the only cure.
      stallAfterMs: STALL_MS,
      backoff: { initialMs: 200, maxMs: 5_000 },
    });
    this.supervisor = supervisor;
    this.#control = new GraphControl(options.controlPath, supervisor);
    supervisor.on('line', (stream, line) => {
      if (stream === 'stdout' && line.startsWith('progress=')) supervisor.alive();
    });
  }

  get pid(): number | undefined {
    return this.supervisor.pid;
  }

  get state(): SupervisorState {
    return this.supervisor.state;
  }

  async start(): Promise<void> {
    await this.supervisor.start().catch((error: unknown) => {
      throw new ClasscastError('FFMPEG_START_FAILED', `${this.#name} did not start`, { cause: error });
    });
  }

  /** Filter commands for the running graph (see GraphControl); nothing while it is down. */
  send(commands: string[]): Promise<void> {
    return this.#control.send(commands);
  }

  stop(): Promise<void> {
    return this.supervisor.stop();
  }
}
