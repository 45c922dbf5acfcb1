import { parseArgs, type ParseArgsConfig } from 'node:util';
import type { CliContext } from './command.ts';

type Options = NonNullable<ParseArgsConfig['options']>;

/**
 * A command's `--options` (no positionals, unknown options refused). On bad arguments it
 * prints the reason and the usage to stderr and returns undefined: the command returns 2.
 */
export function parseOptions<O extends Options>(args: string[], options: O, usage: string, ctx: CliContext) {
  try {
    return parseArgs({ args, options, strict: true, allowPositionals: false }).values;
  } catch (error) {
    ctx.stderr.write(`${(error as Error).message}\nusage: ${usage}\n`);
    return undefined;
  }
}
