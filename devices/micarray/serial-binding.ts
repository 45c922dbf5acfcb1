import { SerialPort, SerialPortMock } from 'serialport';
import { TypedEmitter } from '../../config/foundation/emitter.ts';
import { ClasscastError } from '../../config/foundation/errors.ts';

/**
 * The only file of classcast that imports `serialport`. It turns node-serialport's stream into
 * the small `SerialLink` the mic-array driver and simulator use; the hardware seam stays
 * node-serialport's own `BindingInterface`, so the same code runs on the real binding (a UART,
 * a USB adapter or a pty made by socat) or on the in-memory `mockBinding`.
 */

export interface SerialLinkOptions {
  path: string;
  baudRate: number;
  dataBits?: 7 | 8;
  parity?: 'none' | 'even' | 'odd';
  stopBits?: 1 | 2;
}

export type SerialLinkEvents = {
  data: [chunk: Buffer];
  /** `error` is set when the port broke (unplugged, pty gone); undefined when we closed it. */
  close: [error: Error | undefined];
};

export interface SerialLink extends Pick<TypedEmitter<SerialLinkEvents>, 'on' | 'off' | 'once'> {
  readonly path: string;
  write(data: Buffer): Promise<void>;
  /** Idempotent; emits `close` with no error. */
  close(): Promise<void>;
}

/** Opens a link; rejects with SERIAL_DISCONNECTED when the port cannot be opened. */
export type SerialOpener = (options: SerialLinkOptions) => Promise<SerialLink>;

/** node-serialport's platform binding (bindings-cpp), used for real ports and ptys. */
export const realBinding = SerialPort.binding;

/**
 * node-serialport's in-memory binding for unit tests: `mockBinding.createPort(path, {echo,
 * record})`, then the opened port's `port.emitData(…)` / `port.lastWrite`.
 */
export const mockBinding = SerialPortMock.binding;

/**
 * A node-serialport `BindingInterface` (its own package ships types that ESM resolution cannot
 * see, so the two bindings we ship name the type; any other binding can be passed with a cast).
 */
export type SerialBinding = typeof realBinding | typeof mockBinding;

class StreamLink extends TypedEmitter<SerialLinkEvents> implements SerialLink {
  readonly #port: SerialPort;
  #closed = false;

  constructor(port: SerialPort) {
    super();
    this.#port = port;
    port.on('data', (chunk: Buffer) => this.safeEmit('data', chunk));
    // node-serialport: a read cancelled by our own close ends without an error; anything
    // else arrives as a DisconnectedError (`disconnected: true`).
    port.on('close', (error: Error | null) => this.#onClose(error ?? undefined));
    port.on('error', (error: Error) => {
      if (!this.#closed) this.#onClose(error);
    });
  }

  get path(): string {
    return this.#port.path;
  }

  #onClose(error: Error | undefined): void {
    if (this.#closed) return;
    this.#closed = true;
    this.#port.removeAllListeners('data');
    this.safeEmit('close', error);
  }

  write(data: Buffer): Promise<void> {
    if (this.#closed) return Promise.reject(new ClasscastError('SERIAL_DISCONNECTED', `${this.path} is closed`));
    return new Promise((resolve, reject) => {
      this.#port.write(data, (error) => {
        if (error) reject(new ClasscastError('SERIAL_DISCONNECTED', `write to ${this.path} failed`, { cause: error }));
        else resolve();
      });
    });
  }

  async close(): Promise<void> {
    if (this.#closed) return;
    this.#closed = true;
    this.#port.removeAllListeners('data');
    await new Promise<void>((resolve) => {
      if (!this.#port.isOpen) return resolve();
      this.#port.close(() => resolve());
    });
    this.safeEmit('close', undefined);
  }
}

/** A `SerialOpener` over a node-serialport binding (the platform binding by default). */
export function createSerialOpener(binding: SerialBinding = realBinding): SerialOpener {
  return (options) =>
    new Promise<SerialLink>((resolve, reject) => {
      const port = new SerialPort({
        path: options.path,
        baudRate: options.baudRate,
        dataBits: options.dataBits ?? 8,
        parity: options.parity ?? 'none',
        stopBits: options.stopBits ?? 1,
        // A pty has no exclusive lock semantics worth relying on, and a stale lock after a
        // crash would keep the daemon off its own line.
        lock: false,
        autoOpen: false,
        binding,
      } as ConstructorParameters<typeof SerialPort>[0]);
      port.open((error) => {
        if (error) {
          reject(new ClasscastError('SERIAL_DISCONNECTED', `cannot open ${options.path}`, { cause: error }));
          return;
        }
        resolve(new StreamLink(port));
      });
    });
}
