import type { Command } from './command.ts';
import { checkConfigCommand } from './commands/check-config.ts';
import { demoCommand } from './commands/demo.ts';
import { runCommand } from './commands/run.ts';
import { scheduleCommand } from './commands/schedule.ts';

/** Every `classcast` command. */
export function commands(): Command[] {
  return [runCommand, demoCommand, checkConfigCommand, scheduleCommand];
}
