import type { Logger } from 'pino';
import type { MicArrayConfig } from '../../config/schema/micarrays.ts';
import { MicArrayDriver } from './driver.ts';
import { createSerialOpener, type SerialOpener } from './serial-binding.ts';

/**
 * One driver per configured array, not yet started (call `start()` on each; `close()` them in
 * the devices step of shutdown). `opener` defaults to the platform serial binding.
 */
export function createMicArrays(
  configs: readonly MicArrayConfig[],
  deps: { logger: Logger; opener?: SerialOpener },
): MicArrayDriver[] {
  const opener = deps.opener ?? createSerialOpener();
  return configs.map(
    (c) =>
      new MicArrayDriver(
        {
          id: c.id,
          protocol: c.protocol,
          path: c.path,
          baudRate: c.baudRate,
          dataBits: c.dataBits,
          parity: c.parity,
          stopBits: c.stopBits,
          channels: c.channels,
          commandTimeoutMs: c.commandTimeoutMs,
          meterRateMs: c.meterRateMs,
          keepaliveMs: c.keepaliveMs,
          reconnect: { initialMs: c.reconnect.initialMs, maxMs: c.reconnect.maxMs },
        },
        { opener, logger: deps.logger },
      ),
  );
}
