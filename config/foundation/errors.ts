/**
 * The one error class of classcast. Every failure that crosses a component boundary carries a
 * stable `code` (never classify errors by message text) and, where there is one, a `cause`.
 * Bad arguments from a caller are plain `TypeError`s instead.
 */
export const ERROR_CODES = [
  'CONFIG_INVALID',
  'CONFIG_NOT_FOUND',
  'INVALID_STATE',
  'TIMEOUT',
  'NOT_FOUND',
  'UNAUTHORIZED',
  'FORBIDDEN',
  'BAD_REQUEST',
  'CONFLICT',
  'RATE_LIMITED',
  'PAYLOAD_TOO_LARGE',
  'UNSUPPORTED_MEDIA_TYPE',
  'PTZ_TIMEOUT',
  'PTZ_AUTH_FAILED',
  'PTZ_UNREACHABLE',
  'PTZ_NO_SUCH_PRESET',
  'PTZ_FAULT',
  'PTZ_BAD_RESPONSE',
  'SERIAL_DISCONNECTED',
  'SERIAL_TIMEOUT',
  'SERIAL_PROTOCOL',
  'FFMPEG_EXITED',
  'FFMPEG_START_FAILED',
  'SFU_WORKER_DIED',
  'SFU_NO_BROADCAST',
  'SCHEDULE_INVALID',
  'LINK_DOWN',
  'LINK_ERROR',
  'INTERNAL',
] as const;

export type ErrorCode = (typeof ERROR_CODES)[number];

export class ClasscastError extends Error {
  readonly code: ErrorCode;

  constructor(code: ErrorCode, message: string, options?: { cause?: unknown }) {
    super(message, options);
    this.name = 'ClasscastError';
    this.code = code;
  }
}

export function isClasscastError(error: unknown, code?: ErrorCode): error is ClasscastError {
  return error instanceof ClasscastError && (code === undefined || error.code === code);
}

/** Thrown by any call on an object after its `close()`, as mediasoup does. */
export class InvalidStateError extends ClasscastError {
  constructor(message: string) {
    super('INVALID_STATE', message);
    this.name = 'InvalidStateError';
  }
}

/**
 * Runs `task` with a deadline it can see: after `ms` its signal is aborted (the reason is the
 * coded error) and the returned promise rejects with that error, so work the task has not
 * finished yet can be undone or dropped instead of landing after the caller gave up.
 */
export function withDeadline<T>(task: (signal: AbortSignal) => Promise<T>, ms: number, code: ErrorCode, what: string): Promise<T> {
  const controller = new AbortController();
  const timer = setTimeout(() => controller.abort(new ClasscastError(code, `${what} timed out after ${ms} ms`)), ms);
  timer.unref?.();
  const aborted = new Promise<never>((_resolve, reject) => controller.signal.addEventListener('abort', () => reject(controller.signal.reason), { once: true }));
  aborted.catch(() => undefined);
  return Promise.race([Promise.resolve().then(() => task(controller.signal)), aborted]).finally(() => clearTimeout(timer));
}

/** Rejects with `code` when `promise` takes longer than `ms`; the timer never keeps the process up. */
export function withTimeout<T>(promise: Promise<T>, ms: number, code: ErrorCode, what: string): Promise<T> {
  return new Promise<T>((resolve, reject) => {
    const timer = setTimeout(() => reject(new ClasscastError(code, `${what} timed out after ${ms} ms`)), ms);
    timer.unref?.();
    promise.then(
      (value) => {
        clearTimeout(timer);
        resolve(value);
      },
      (error: unknown) => {
        clearTimeout(timer);
        reject(error);
      },
    );
  });
}
