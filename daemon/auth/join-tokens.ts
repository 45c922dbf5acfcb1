import { createHmac, randomBytes, timingSafeEqual } from 'node:crypto';
import { z } from 'zod';
import { ClasscastError } from '../../config/foundation/errors.ts';

const payloadSchema = z.object({
  v: z.literal(1),
  /** The member classroom the token was issued to. */
  c: z.string().min(1).max(128),
  /** The broadcast (the broadcast classroom's room) it may follow. */
  b: z.string().min(1).max(128),
  /** Expiry, seconds since the epoch. */
  exp: z.number().int().positive(),
});

export interface JoinClaims {
  classroom: string;
  broadcast: string;
  expiresAt: Date;
}

const b64 = (buf: Buffer) => buf.toString('base64url');

/**
 * Member-classroom join tokens: `base64url(JSON payload).base64url(HMAC-SHA256)`. Stateless,
 * scoped to one member classroom and one broadcast, and expiring; a kiosk keeps its URL for
 * as long as the token lives and joins every lesson of that broadcast by itself.
 */
export class JoinTokens {
  readonly #secret: Buffer;
  readonly #now: () => number;

  constructor(secret?: string, now: () => number = Date.now) {
    this.#secret = secret ? Buffer.from(secret, 'utf8') : randomBytes(32);
    this.#now = now;
  }

  issue(classroom: string, broadcast: string, minutes: number): { token: string; expiresAt: Date } {
    const exp = Math.floor(this.#now() / 1000 + minutes * 60);
    const body = b64(Buffer.from(JSON.stringify({ v: 1, c: classroom, b: broadcast, exp })));
    return { token: `${body}.${this.#sign(body)}`, expiresAt: new Date(exp * 1000) };
  }

  /** Returns the claims, or throws UNAUTHORIZED (bad signature, malformed) / FORBIDDEN (expired). */
  verify(token: string): JoinClaims {
    const [body, sig, extra] = token.split('.');
    if (!body || !sig || extra !== undefined) throw new ClasscastError('UNAUTHORIZED', 'malformed join token');
    const expected = Buffer.from(this.#sign(body));
    const given = Buffer.from(sig);
    if (expected.length !== given.length || !timingSafeEqual(expected, given)) {
      throw new ClasscastError('UNAUTHORIZED', 'join token signature is invalid');
    }
    let payload: z.infer<typeof payloadSchema>;
    try {
      payload = payloadSchema.parse(JSON.parse(Buffer.from(body, 'base64url').toString('utf8')));
    } catch (error) {
      throw new ClasscastError('UNAUTHORIZED', 'join token payload is invalid', { cause: error });
    }
    if (payload.exp * 1000 <= this.#now()) throw new ClasscastError('FORBIDDEN', 'join token has expired');
    return { classroom: payload.c, broadcast: payload.b, expiresAt: new Date(payload.exp * 1000) };
  }

  #sign(body: string): string {
    return b64(createHmac('sha256', this.#secret).update(body).digest());
  }
}
