import type { z } from 'zod';
import { ClasscastError, isClasscastError } from '../../config/foundation/errors.ts';
import { parseInput } from '../api/validate.ts';

export type AnswerFrame =
  | { id: number | null; ok: true; data: unknown }
  | { id: number | null; ok: false; error: { code: string; message: string } };

export interface RequestFrameOptions<S extends z.ZodType> {
  schema: S;
  handle: (request: z.infer<S>) => Promise<unknown>;
  /** Runs first, before any parsing (e.g. a rate limit); may throw a ClasscastError. */
  guard?: () => void;
  /** An error that is not a ClasscastError: a bug, to be logged; the peer sees INTERNAL. */
  onUnexpected: (error: unknown) => void;
}

/**
 * One `{id, method, data}` request frame of the signalling sockets, answered as
 * `{id, ok, data}` or `{id, ok: false, error: {code, message}}`. Anything malformed becomes
 * an error answer (with the request's id when it had one); nothing here ever throws, so a
 * bad frame never costs the connection.
 */
export async function answerRequestFrame<S extends z.ZodType>(
  text: string,
  isBinary: boolean,
  options: RequestFrameOptions<S>,
): Promise<AnswerFrame> {
  let id: number | null = null;
  try {
    options.guard?.();
    if (isBinary) throw new ClasscastError('BAD_REQUEST', 'binary frames are not accepted');
    let json: unknown;
    try {
      json = JSON.parse(text);
    } catch {
      throw new ClasscastError('BAD_REQUEST', 'frame is not JSON');
    }
    if (json && typeof json === 'object' && typeof (json as { id?: unknown }).id === 'number') id = (json as { id: number }).id;
    return { id, ok: true, data: await options.handle(parseInput(options.schema, json, 'message')) };
  } catch (error) {
    if (isClasscastError(error)) return { id, ok: false, error: { code: error.code, message: error.message } };
    options.onUnexpected(error);
    return { id, ok: false, error: { code: 'INTERNAL', message: 'internal error' } };
  }
}
