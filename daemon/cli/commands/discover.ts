import { probeCameras } from '../../../devices/camera/discovery/probe.ts';
import type { Command } from '../command.ts';
import { parseOptions } from '../args.ts';

export const discoverCommand: Command = {
  name: 'discover',
  summary: 'find ONVIF cameras with a WS-Discovery probe',
  usage:
    'classcast discover [--timeout MS] [--target HOST[:PORT]] [--bind ADDRESS] [--json]\n' +
    '  Probes 239.255.255.250:3702 for NetworkVideoTransmitter; --target sends the probe to one\n' +
    '  address by unicast instead (networks without multicast, or a simulator on another port).',
  async run(args, ctx) {
    const options = parseOptions(args, { timeout: { type: 'string', default: '3000' }, target: { type: 'string' }, bind: { type: 'string' }, json: { type: 'boolean', default: false } }, this.usage, ctx);
    if (!options) return 2;
    const timeoutMs = Number(options.timeout);
    const target = options.target ? /^([^:]+)(?::(\d+))?$/.exec(options.target) : undefined;
    if (!Number.isInteger(timeoutMs) || timeoutMs < 100 || timeoutMs > 60_000 || (options.target && !target)) {
      ctx.stderr.write(`usage: ${this.usage}\n`);
      return 2;
    }
    let found;
    try {
      found = await probeCameras({
        timeoutMs,
        ...(target ? { address: target[1]!, ...(target[2] ? { port: Number(target[2]) } : {}) } : {}),
        ...(options.bind ? { bindAddress: options.bind } : {}),
      });
    } catch (error) {
      ctx.stderr.write(`discovery failed: ${(error as Error).message}\n`);
      return 1;
    }
    if (options.json) {
      ctx.stdout.write(`${JSON.stringify(found, null, 2)}\n`);
      return 0;
    }
    if (found.length === 0) {
      ctx.stdout.write('no cameras answered\n');
      return 0;
    }
    for (const camera of found) {
      ctx.stdout.write(`${camera.name ?? '(no name)'}  ${camera.hardware ?? ''}\n  address: ${camera.address}\n  urn: ${camera.urn}\n`);
      for (const xaddr of camera.xaddrs) ctx.stdout.write(`  xaddr: ${xaddr}\n`);
      ctx.stdout.write(`  scopes: ${camera.scopes.join(' ')}\n`);
    }
    return 0;
  },
};
