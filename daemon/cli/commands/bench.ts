import os from 'node:os';
import { parseArgs } from 'node:util';
import { createRootLogger } from '../../logging.ts';
import type { Command } from '../command.ts';

const SUITES = ['fanout', 'delay', 'first-frame', 'edge', 'all', 'glass', 'return', 'gop'] as const;
type Suite = (typeof SUITES)[number];

export const benchCommand: Command = {
  name: 'bench',
  summary: 'SFU benchmarks (fan-out CPU, added delay, time to first frame, the hop through an edge SFU; all = these four), glass-to-glass delay, the talk-back return path and picture per bit by keyframe interval, each beside a baseline',
  usage:
    'classcast bench fanout|delay|first-frame|edge|all|glass|return|gop [--workers N] [--classrooms 25,100] [--seconds S] [--newcomers N] [--width W --height H --fps F] [--json]',
  async run(args, ctx) {
    let parsed;
    try {
      parsed = parseArgs({
        args,
        allowPositionals: true,
        options: {
          workers: { type: 'string' },
          classrooms: { type: 'string' },
          seconds: { type: 'string' },
          newcomers: { type: 'string' },
          width: { type: 'string' },
          height: { type: 'string' },
          fps: { type: 'string' },
          json: { type: 'boolean' },
        },
      });
    } catch (error) {
      ctx.stderr.write(`${(error as Error).message}\nusage: ${this.usage}\n`);
      return 2;
    }
    const suite = parsed.positionals[0] as Suite | undefined;
    const workers = Number(parsed.values.workers ?? Math.max(2, os.availableParallelism()));
    const classrooms = (parsed.values.classrooms ?? '25,100').split(',').map(Number);
    const seconds = Number(parsed.values.seconds ?? 4);
    const newcomers = Number(parsed.values.newcomers ?? 6);
    const canvas = { width: Number(parsed.values.width ?? 1280), height: Number(parsed.values.height ?? 720), fps: Number(parsed.values.fps ?? 30) };
    const even = (n: number, min: number, max: number) => Number.isInteger(n) && n % 2 === 0 && n >= min && n <= max;
    const bad =
      !even(canvas.width, 160, 3840) || !even(canvas.height, 90, 2160) || !(Number.isInteger(canvas.fps) && canvas.fps >= 5 && canvas.fps <= 60) ||
      !suite || !SUITES.includes(suite) || parsed.positionals.length > 1 ||
      !(Number.isInteger(workers) && workers >= 1 && workers <= 64) ||
      !classrooms.every((n) => Number.isInteger(n) && n >= 0 && n <= 2000) ||
      !(seconds > 0 && seconds <= 600) || !(Number.isInteger(newcomers) && newcomers >= 1 && newcomers <= 100);
    if (bad) {
      ctx.stderr.write(`usage: ${this.usage}\n`);
      return 2;
    }
    const logger = createRootLogger('error');
    // Loaded here: the benchmarks pull in mediasoup, which light commands do not need.
    const { runFanout, formatFanout } = await import('../../../scripts/bench/fanout.ts');
    const { runDelay, formatDelay } = await import('../../../scripts/bench/delay.ts');
    const { runFirstFrame, formatFirstFrame } = await import('../../../scripts/bench/first-frame.ts');
    const results: Record<string, unknown> = {};
    const print = (text: string) => {
      if (!parsed.values.json) ctx.stdout.write(`${text}\n\n`);
    };
    if (suite === 'fanout' || suite === 'all') {
      const rows = await runFanout({ classrooms, workers, measureMs: seconds * 1000, logger });
      results.fanout = rows;
      print(formatFanout(rows));
    }
    if (suite === 'delay' || suite === 'all') {
      const rows = await runDelay({ workers, loads: [0, Math.max(...classrooms)], measureMs: seconds * 1000, logger });
      results.delay = rows;
      print(formatDelay(rows));
    }
    if (suite === 'first-frame' || suite === 'all') {
      const rows = await runFirstFrame({ workers, newcomers, logger });
      results.firstFrame = rows;
      print(formatFirstFrame(rows));
    }
    if (suite === 'edge' || suite === 'all') {
      const { runEdgeHop, formatEdgeHop } = await import('../../../scripts/bench/edge-hop.ts');
      const rows = await runEdgeHop({ loads: [0, Math.max(...classrooms)], measureMs: seconds * 1000, logger });
      results.edgeHop = rows;
      print(formatEdgeHop(rows));
    }
    if (suite === 'glass') {
      // Not part of `all`: it starts the whole demo and a browser.
      const { runGlass, formatGlass } = await import('../../../scripts/bench/glass.ts');
      const result = await runGlass({ measureMs: seconds * 1000, logger, ...canvas });
      results.glass = result;
      print(formatGlass(result));
    }
    if (suite === 'return') {
      // Not part of `all` either: the demo, a member classroom on air and a program monitor.
      const { runReturnPath, formatReturnPath } = await import('../../../scripts/bench/return-path.ts');
      const result = await runReturnPath({ measureMs: seconds * 1000, logger, ...canvas });
      results.returnPath = result;
      print(formatReturnPath(result));
    }
    if (suite === 'gop') {
      const { runGop, formatGop } = await import('../../../scripts/bench/gop.ts');
      const rows = await runGop({ seconds, fps: canvas.fps });
      results.gop = rows;
      print(formatGop(rows));
    }
    if (parsed.values.json) ctx.stdout.write(`${JSON.stringify(results, null, 2)}\n`);
    logger.flush();
    return 0;
  },
};
