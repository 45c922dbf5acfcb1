import { mkdirSync } from 'node:fs';
import path from 'node:path';
import { pino } from 'pino';
import type { TalkerStep } from '../../../devices/micarray/simulator/device-model.ts';
import { startMicArraySimulator } from '../../../devices/micarray/simulator/simulator.ts';
import type { MicArrayProtocol } from '../../../devices/micarray/types.ts';
import type { Command } from '../command.ts';
import { parseOptions } from '../args.ts';

const PROTOCOLS: readonly MicArrayProtocol[] = ['shure-ascii', 'binary'];

/** `--script 1:4000,0:1500,2:4000` → zone 1 talks 4 s, silence 1.5 s, zone 2 talks 4 s (looped). */
export function parseScript(text: string, channels: number): TalkerStep[] {
  return text.split(',').map((part) => {
    const match = /^\s*(\d+):(\d+)\s*$/.exec(part);
    if (!match) throw new TypeError(`bad script step "${part}" (want ZONE:MS)`);
    const zone = Number(match[1]);
    const ms = Number(match[2]);
    if (zone > channels) throw new TypeError(`script zone ${zone} exceeds ${channels} channels`);
    if (ms < 1) throw new TypeError(`script step "${part}" needs a positive duration`);
    return { zone, ms };
  });
}

export const simMicArrayCommand: Command = {
  name: 'sim micarray',
  summary: 'a simulated mic array on a socat pty pair (Shure-style ASCII or framed binary)',
  usage:
    'classcast sim micarray --protocol shure-ascii|binary --port PATH [--channels N] [--script ZONE:MS,…] [--log-level LEVEL]\n' +
    '  PATH is the serial device the daemon opens (a symlink to a pty); zone 0 in a script is silence.',
  async run(args, ctx) {
    const options = parseOptions(args, {
      protocol: { type: 'string' },
      port: { type: 'string' },
      channels: { type: 'string', default: '4' },
      script: { type: 'string' },
      'log-level': { type: 'string', default: 'warn' },
    }, this.usage, ctx);
    if (!options) return 2;
    const protocol = options.protocol as MicArrayProtocol | undefined;
    const channels = Number(options.channels);
    if (!protocol || !PROTOCOLS.includes(protocol) || !options.port || !Number.isInteger(channels) || channels < 1 || channels > 64) {
      ctx.stderr.write(`usage: ${this.usage}\n`);
      return 2;
    }
    let script: TalkerStep[] | undefined;
    try {
      script = options.script ? parseScript(options.script, channels) : undefined;
    } catch (error) {
      ctx.stderr.write(`${(error as Error).message}\nusage: ${this.usage}\n`);
      return 2;
    }
    const devicePath = path.resolve(options.port);
    const dir = path.dirname(devicePath);
    mkdirSync(dir, { recursive: true });
    const logger = pino({ level: options['log-level'] ?? 'warn', base: { component: 'cli' } }, ctx.stderr);
    const sim = await startMicArraySimulator({ protocol, channels, ...(script ? { script } : {}), dir, devicePath, logger });
    const report = (zone: number) => ctx.stdout.write(zone === 0 ? 'silence\n' : `zone ${zone} talking\n`);
    ctx.stdout.write(`mic array simulator (${protocol}, ${channels} channels) on ${sim.devicePath}\n`);
    // The script's first step ran while the simulator started: report it, then every change.
    report(sim.device.zone);
    sim.device.on('talker', report);
    try {
      await ctx.stopSignal;
    } finally {
      await sim.close();
    }
    ctx.stdout.write('mic array simulator stopped\n');
    return 0;
  },
};
