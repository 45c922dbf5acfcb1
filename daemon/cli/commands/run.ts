import path from 'node:path';
import { ConfigInvalidError, loadConfigFile } from '../../../config/load.ts';
import { isClasscastError } from '../../../config/foundation/errors.ts';
import { createRootLogger } from '../../logging.ts';
import { SystemdNotifier, systemdEnvFrom } from '../../systemd/notifier.ts';
import { parseOptions } from '../args.ts';
import type { Command } from '../command.ts';

export const runCommand: Command = {
  name: 'run',
  summary: 'run the daemon with the roles the config enables',
  usage: 'classcast run --config FILE',
  async run(args, ctx) {
    const options = parseOptions(args, { config: { type: 'string', short: 'c' } }, this.usage, ctx);
    if (!options) return 2;
    const configPath = options.config;
    if (!configPath) {
      ctx.stderr.write(`usage: ${this.usage}\n`);
      return 2;
    }
    let config;
    try {
      config = loadConfigFile(configPath);
    } catch (error) {
      // The daemon never starts on an invalid config.
      if (error instanceof ConfigInvalidError || isClasscastError(error, 'CONFIG_NOT_FOUND')) {
        ctx.stderr.write(`${(error as Error).message}\n`);
        return 1;
      }
      throw error;
    }
    const logger = createRootLogger(config.logLevel);
    // Loaded here so light commands (check-config, help) start fast.
    const { Daemon } = await import('../../daemon.ts');
    const daemon = new Daemon(config, logger, { configDir: path.dirname(path.resolve(configPath)) });
    // Under systemd (Type=notify) the unit learns readiness and gets watchdog pings; elsewhere a
    // no-op. The pings stop when a live lesson has long had no output (see Daemon.livenessOk).
    const systemd = new SystemdNotifier({ env: systemdEnvFrom(process.env), logger, healthy: () => daemon.livenessOk() });
    try {
      await daemon.start();
    } catch (error) {
      logger.fatal({ err: error }, 'daemon failed to start');
      await daemon.close();
      return 1;
    }
    await systemd.ready(`serving ${daemon.urls.apiBase}`);
    const signal = await ctx.stopSignal;
    logger.info({ signal }, 'stopping');
    await systemd.stopping();
    await daemon.close();
    systemd.close();
    logger.flush();
    return 0;
  },
};
