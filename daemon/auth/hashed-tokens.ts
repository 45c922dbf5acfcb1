import { createHash, timingSafeEqual } from 'node:crypto';

/**
 * Config entries that authenticate with a token (publishers, edge SFUs), kept as SHA-256
 * hashes only (the config loader hashed them). Every entry is compared in constant time, so
 * timing tells nothing about which one matched.
 */
export class HashedTokens<T extends { sha256: string }> {
  readonly #entries: { entry: T; hash: Buffer }[];

  constructor(entries: readonly T[]) {
    this.#entries = entries.map((entry) => ({ entry, hash: Buffer.from(entry.sha256, 'hex') }));
  }

  get size(): number {
    return this.#entries.length;
  }

  authenticate(token: string): T | undefined {
    const hash = createHash('sha256').update(token, 'utf8').digest();
    let found: T | undefined;
    for (const { entry, hash: expected } of this.#entries) {
      if (timingSafeEqual(expected, hash)) found = entry;
    }
    return found;
  }
}
