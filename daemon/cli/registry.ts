import type { Command } from './command.ts';
import { benchCommand } from './commands/bench.ts';
import { checkConfigCommand } from './commands/check-config.ts';
import { demoCommand } from './commands/demo.ts';
import { discoverCommand } from './commands/discover.ts';
import { runCommand } from './commands/run.ts';
import { scheduleCommand } from './commands/schedule.ts';
import { simCameraCommand } from './commands/sim-camera.ts';
import { simMicArrayCommand } from './commands/sim-micarray.ts';

/** Every `classcast` command. */
export function commands(): Command[] {
  return [runCommand, demoCommand, checkConfigCommand, discoverCommand, scheduleCommand, simCameraCommand, simMicArrayCommand, benchCommand];
}
