import path from 'node:path';
import { pino } from 'pino';
import { startSimCamera } from '../../../devices/camera/sim/index.ts';
import type { Command } from '../command.ts';
import { parseOptions } from '../args.ts';

export const simCameraCommand: Command = {
  name: 'sim camera',
  summary: 'a simulated ONVIF PTZ camera (SOAP, WS-Discovery, RTSP picture that follows the head)',
  usage:
    'classcast sim camera [--id ID] [--name NAME] [--user USER --password PASSWORD] [--host ADDRESS]\n' +
    '    [--onvif-port N] [--discovery-port N] [--multicast] [--size WxH] [--fps N] [--data-dir DIR] [--log-level LEVEL]\n' +
    '  --discovery-port 3702 --multicast answers real WS-Discovery probes.',
  async run(args, ctx) {
    const options = parseOptions(args, {
      id: { type: 'string', default: 'sim' },
      name: { type: 'string', default: 'Simulated camera' },
      user: { type: 'string', default: 'admin' },
      password: { type: 'string', default: 'admin' },
      host: { type: 'string', default: '127.0.0.1' },
      'onvif-port': { type: 'string', default: '0' },
      'discovery-port': { type: 'string' },
      multicast: { type: 'boolean', default: false },
      size: { type: 'string', default: '640x360' },
      fps: { type: 'string', default: '15' },
      'data-dir': { type: 'string', default: 'var/sim' },
      'log-level': { type: 'string', default: 'warn' },
    }, this.usage, ctx);
    if (!options) return 2;
    const size = /^(\d+)x(\d+)$/.exec(options.size ?? '');
    const onvifPort = Number(options['onvif-port']);
    const fps = Number(options.fps);
    const discoveryPort = options['discovery-port'] === undefined ? undefined : Number(options['discovery-port']);
    const valid =
      size &&
      Number(size[1]) % 2 === 0 &&
      Number(size[2]) % 2 === 0 &&
      Number.isInteger(onvifPort) &&
      onvifPort >= 0 &&
      onvifPort < 65536 &&
      Number.isInteger(fps) &&
      fps >= 1 &&
      fps <= 30 &&
      /^[a-z0-9][a-z0-9_-]{0,63}$/.test(options.id ?? '') &&
      (discoveryPort === undefined || (Number.isInteger(discoveryPort) && discoveryPort >= 0 && discoveryPort < 65536));
    if (!valid) {
      ctx.stderr.write(`usage: ${this.usage}\n`);
      return 2;
    }
    const logger = pino({ level: options['log-level'] ?? 'warn', base: { component: 'cli' } }, ctx.stderr);
    const camera = await startSimCamera({
      id: options.id!,
      name: options.name!,
      dataDir: path.resolve(options['data-dir']!),
      host: options.host!,
      user: options.user!,
      password: options.password!,
      logger,
      width: Number(size[1]),
      height: Number(size[2]),
      fps,
      onvifPort,
      ...(discoveryPort !== undefined || options.multicast ? { discovery: { port: discoveryPort ?? 3702, multicast: options.multicast ?? false } } : {}),
    });
    ctx.stdout.write(`xaddr: ${camera.xaddr}\nrtsp: ${camera.rtspUrl}\n`);
    if (camera.discoveryPort !== undefined) ctx.stdout.write(`ws-discovery: udp ${options.host}:${camera.discoveryPort}\n`);
    try {
      await ctx.stopSignal;
    } finally {
      await camera.close();
    }
    ctx.stdout.write('camera simulator stopped\n');
    return 0;
  },
};
