import { ClasscastError, isClasscastError } from '../../../config/foundation/errors.ts';
import { ConfigInvalidError, loadConfigFile } from '../../../config/load.ts';
import type { Command } from '../command.ts';

export const checkConfigCommand: Command = {
  name: 'check-config',
  summary: 'validate a config file; prints each problem with its path',
  usage: 'classcast check-config FILE',
  async run(args, ctx) {
    const file = args[0];
    if (!file || args.length > 1) {
      ctx.stderr.write(`usage: ${this.usage}\n`);
      return 2;
    }
    try {
      const config = loadConfigFile(file);
      ctx.stdout.write(
        `${file}: ok (roles: ${Object.entries(config.roles).filter(([, on]) => on).map(([r]) => r).join(', ')}; ` +
          `${config.cameras.length} camera(s), ${config.micArrays.length} mic array(s))\n`,
      );
      return 0;
    } catch (error) {
      if (error instanceof ConfigInvalidError) {
        ctx.stderr.write(`${error.message}\n`);
        return 1;
      }
      if (isClasscastError(error, 'CONFIG_NOT_FOUND')) {
        ctx.stderr.write(`${(error as ClasscastError).message}\n`);
        return 1;
      }
      throw error;
    }
  },
};
