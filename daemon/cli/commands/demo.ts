import { createRootLogger } from '../../logging.ts';
import type { Command } from '../command.ts';
import { parseOptions } from '../args.ts';

export const demoCommand: Command = {
  name: 'demo',
  summary: 'the embedded demo: simulated devices, pipeline, SFU and both pages on 127.0.0.1',
  usage: 'classcast demo [--port N] [--info-file PATH] [--data-dir DIR] [--log-level LEVEL]',
  async run(args, ctx) {
    const values = parseOptions(
      args,
      {
        port: { type: 'string' },
        'info-file': { type: 'string' },
        'data-dir': { type: 'string' },
        'log-level': { type: 'string' },
      },
      this.usage,
      ctx,
    );
    if (!values) return 2;
    const port = values.port !== undefined ? Number(values.port) : undefined;
    if (port !== undefined && !(Number.isInteger(port) && port >= 0 && port <= 65535)) {
      ctx.stderr.write(`--port must be 0…65535\n`);
      return 2;
    }
    const logLevel = values['log-level'] ?? 'info';
    const logger = createRootLogger(logLevel);
    const { startDemo, writeInfoFile } = await import('../../demo/demo.ts');
    const { kioskCommand } = await import('../../web/classroom/kiosk.ts');
    const demo = await startDemo({ port, dataDir: values['data-dir'], logger, logLevel });
    if (values['info-file']) await writeInfoFile(values['info-file'], demo.info);
    ctx.stdout.write(
      [
        '',
        'classcast demo is running.',
        `  Technician console:  ${demo.info.consoleUrl}`,
        `  Member classroom:    ${demo.info.classroomUrl}`,
        `  As a kiosk:          ${kioskCommand(demo.info.classroomUrl)}`,
        `  API base:            ${demo.info.apiBase}  (Authorization: Bearer ${demo.info.technicianToken})`,
        'Press Ctrl-C to stop.',
        '',
      ].join('\n'),
    );
    await ctx.stopSignal;
    await demo.close();
    logger.flush();
    return 0;
  },
};
