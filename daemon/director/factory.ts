import type { Logger } from 'pino';
import { ClasscastError } from '../../config/foundation/errors.ts';
import type { DirectorConfig } from '../../config/schema/director.ts';
import type { DaemonEvent } from '../events/bus.ts';
import { Director } from './director.ts';
import type { CutEvent, DirectorCamera, DirectorStatus, Program, TalkerSource } from './types.ts';

/**
 * Builds the director from its config slice, or returns undefined when voice tracking is not
 * configured (no zones). Talkers come from `director.micArray`, else the first array. The
 * director is not started: call `start()` once cameras and program are live, `close()` before
 * devices close.
 */
export function createDirector(
  config: DirectorConfig,
  deps: {
    cameras: Iterable<DirectorCamera>;
    program: Program;
    micArrays: Iterable<TalkerSource & { id: string }>;
    logger: Logger;
  },
): Director | undefined {
  if (config.zones.length === 0) return undefined;
  const arrays = [...deps.micArrays];
  const talkers = config.micArray ? arrays.find((a) => a.id === config.micArray) : arrays[0];
  if (!talkers) {
    throw new ClasscastError('CONFIG_INVALID', `director: no mic array ${config.micArray ? `"${config.micArray}"` : 'configured'}`);
  }
  return new Director(config, { cameras: deps.cameras, program: deps.program, talkers, logger: deps.logger });
}

/** Publishes `director.cut` and `director.state` on the daemon bus; returns the unsubscribe. */
export function publishDirectorEvents(director: Director, bus: { publish(event: DaemonEvent): void }): () => void {
  const onCut = (cut: CutEvent) => bus.publish({ type: 'director.cut', ...cut });
  const onState = (state: DirectorStatus) => bus.publish({ type: 'director.state', ...state });
  director.on('cut', onCut);
  director.on('state', onState);
  return () => {
    director.off('cut', onCut);
    director.off('state', onState);
  };
}
