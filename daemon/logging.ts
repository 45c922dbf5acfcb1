import pino, { type Logger } from 'pino';

/** Paths whose values are secrets; pino replaces them before a line is written. */
export const REDACT_PATHS = [
  'password',
  '*.password',
  '*.*.password',
  'token',
  '*.token',
  '*.*.token',
  'joinTokenSecret',
  '*.joinTokenSecret',
  'publisherToken',
  '*.publisherToken',
  'authorization',
  '*.authorization',
  'req.headers.authorization',
  'headers.authorization',
];

/** The one root logger, made in the entry point: pino JSON on stderr (or a given stream); stdout stays for what a command prints. */
export function createRootLogger(level: string, destination?: pino.DestinationStream): Logger {
  return pino(
    {
      level,
      base: { app: 'classcast' },
      redact: { paths: REDACT_PATHS, censor: '[redacted]' },
      timestamp: pino.stdTimeFunctions.isoTime,
    },
    destination ?? pino.destination({ fd: 2, sync: false }),
  );
}
