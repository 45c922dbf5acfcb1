import { randomBytes } from 'node:crypto';
import path from 'node:path';
import type { Logger } from 'pino';
import { codecFor } from '../codecs.ts';
import { createSerialOpener, type SerialLink, type SerialOpener } from '../serial-binding.ts';
import type { DeviceMessage, MicArrayProtocol } from '../types.ts';
import { SimulatedDevice, type TalkerStep } from './device-model.ts';
import { SocatPair } from './socat-pair.ts';

export interface MicArraySimulatorOptions {
  protocol: MicArrayProtocol;
  /** Channels (= talker zones); default 4. */
  channels?: number;
  /** Talkers taking turns; default each zone in turn; `[]` = none (use `device.setTalker`). */
  script?: readonly TalkerStep[];
  loop?: boolean;
  /** Directory for the pty links. */
  dir: string;
  /** Name of the link the daemon opens; default `<dir>/micarray-<random>`. */
  devicePath?: string;
  logger: Logger;
  /** How the simulator opens its own end; default the platform serial binding. */
  opener?: SerialOpener;
}

export interface MicArraySimulator {
  /** The end the daemon opens (a symlink to a /dev/pts/N made by socat). */
  readonly devicePath: string;
  /** The simulated device: its state, `setTalker(zone)`, and `talker` events. */
  readonly device: SimulatedDevice;
  /** socat's pid (undefined while it is being restarted). */
  readonly socatPid: number | undefined;
  /** Kills socat as if the cable were pulled; the simulator restarts it by itself. */
  killTransport(signal?: NodeJS.Signals): void;
  /** Writes raw bytes towards the daemon (tests use it for noise and split frames). */
  writeRaw(bytes: Buffer): Promise<void>;
  close(): Promise<void>;
}

/**
 * Starts a simulated mic array speaking `protocol` on one end of a socat pty pair, with
 * scripted talkers and moving meters. The daemon opens `devicePath` as it would a serial port.
 */
export async function startMicArraySimulator(options: MicArraySimulatorOptions): Promise<MicArraySimulator> {
  const logger = options.logger.child({ component: 'micarray-sim', protocol: options.protocol });
  const codec = codecFor(options.protocol);
  const framer = codec.createFramer();
  const opener = options.opener ?? createSerialOpener();
  const tag = randomBytes(4).toString('hex');
  const devicePath = options.devicePath ?? path.join(options.dir, `micarray-${tag}`);
  const simPath = path.join(options.dir, `micarray-${tag}-sim`);
  const device = new SimulatedDevice({
    protocol: options.protocol,
    channels: options.channels ?? 4,
    ...(options.script ? { script: options.script } : {}),
    ...(options.loop !== undefined ? { loop: options.loop } : {}),
  });
  const pair = new SocatPair({ linkA: simPath, linkB: devicePath, logger });
  let link: SerialLink | undefined;
  let closed = false;
  let attached: Promise<void> = Promise.resolve();

  const send = (message: DeviceMessage): void => {
    link?.write(codec.encodeMessage(message)).catch((error: unknown) => logger.debug({ err: error }, 'sim write failed'));
  };

  const attach = async (): Promise<void> => {
    const next = await opener({ path: simPath, baudRate: 9600 });
    if (closed) {
      await next.close();
      return;
    }
    link = next;
    framer.reset();
    next.on('data', (chunk) => {
      for (const out of framer.push(chunk)) {
        if (!('frame' in out)) continue;
        const command = codec.decodeCommand(out.frame);
        const replies = command ? device.handle(command) : [{ kind: 'error' as const, detail: 'unknown command' }];
        for (const reply of replies) send(reply);
      }
    });
    next.on('close', () => {
      if (link === next) link = undefined;
    });
    pair.publish();
    logger.info({ devicePath }, 'simulator attached');
  };

  device.on('message', send);
  pair.on('ready', () => {
    if (closed) return;
    attached = attach().catch((error: unknown) => logger.error({ err: error }, 'simulator cannot reopen its end'));
  });

  await pair.start();
  await attached;
  device.start();

  return {
    devicePath,
    device,
    get socatPid() {
      return pair.pid;
    },
    killTransport: (signal = 'SIGKILL') => pair.kill(signal),
    writeRaw: async (bytes) => {
      if (!link) throw new Error('simulator end is not open');
      await link.write(bytes);
    },
    close: async () => {
      if (closed) return;
      closed = true;
      device.stop();
      device.removeAllListeners();
      await link?.close();
      link = undefined;
      await pair.close();
    },
  };
}
