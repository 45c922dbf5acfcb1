import type { z } from 'zod';
import { ClasscastError } from '../../config/foundation/errors.ts';

/**
 * Validates a request body, query, params object or WebSocket message with zod. On failure it
 * throws BAD_REQUEST naming each bad field, which the API turns into a 400 (or an error frame).
 */
export function parseInput<S extends z.ZodType>(schema: S, value: unknown, what = 'request'): z.infer<S> {
  const result = schema.safeParse(value);
  if (!result.success) {
    const detail = result.error.issues
      .map((issue) => `${issue.path.length > 0 ? issue.path.join('.') : what}: ${issue.message}`)
      .join('; ');
    throw new ClasscastError('BAD_REQUEST', `invalid ${what}: ${detail}`);
  }
  return result.data;
}
