import { timingSafeEqual } from 'node:crypto';
import { sha256Hex } from '../../config/secrets.ts';
import type { Principal } from '../api/types.ts';

export interface StoredToken {
  name: string;
  role: 'technician' | 'viewer';
  sha256?: string;
}

/**
 * Technician and viewer tokens, kept as SHA-256 hashes only. Lookup hashes the presented
 * token and compares in constant time against every entry, so timing reveals nothing.
 */
export class TokenStore {
  readonly #entries: { principal: Principal; hash: Buffer }[];

  constructor(tokens: readonly StoredToken[]) {
    this.#entries = tokens
      .filter((t): t is StoredToken & { sha256: string } => typeof t.sha256 === 'string')
      .map((t) => ({ principal: { name: t.name, role: t.role }, hash: Buffer.from(t.sha256, 'hex') }));
  }

  authenticate(token: string): Principal | undefined {
    const hash = Buffer.from(sha256Hex(token), 'hex');
    let found: Principal | undefined;
    for (const entry of this.#entries) {
      if (timingSafeEqual(entry.hash, hash)) found = entry.principal;
    }
    return found;
  }
}
