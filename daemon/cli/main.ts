import type { CliContext, Command } from './command.ts';
import { commands } from './registry.ts';

function help(list: Command[]): string {
  const width = Math.max(...list.map((c) => c.name.length));
  return [
    'classcast — synchronous live classrooms',
    '',
    'usage: classcast <command> [options]',
    '',
    ...list.map((c) => `  ${c.name.padEnd(width)}  ${c.summary}`),
    '',
    'Run `classcast <command> --help` for a command\'s options.',
  ].join('\n');
}

/** Dispatches `classcast <command> …`; returns the exit code (the entry sets it). */
export async function main(argv: string[], ctx: CliContext): Promise<number> {
  const list = commands();
  const [name, ...rest] = argv;
  if (!name || name === '--help' || name === '-h' || name === 'help') {
    ctx.stdout.write(`${help(list)}\n`);
    return name ? 0 : 2;
  }
  // `sim camera …` and `sim micarray …` are two-word commands.
  const command =
    list.find((c) => c.name === name) ?? (rest[0] ? list.find((c) => c.name === `${name} ${rest[0]}`) : undefined);
  if (!command) {
    ctx.stderr.write(`unknown command: ${name}\n\n${help(list)}\n`);
    return 2;
  }
  const args = command.name.includes(' ') ? rest.slice(1) : rest;
  if (args.includes('--help') || args.includes('-h')) {
    ctx.stdout.write(`${command.usage}\n${command.summary}\n`);
    return 0;
  }
  return command.run(args, ctx);
}
