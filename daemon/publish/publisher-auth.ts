import { createHash, timingSafeEqual } from 'node:crypto';
import type { PublisherEntry } from '../../config/schema/sfu.ts';

/**
 * Publisher tokens, kept as SHA-256 hashes only (the config loader hashed them). Every entry
 * is compared in constant time, so timing tells nothing about which one matched.
 */
export class PublisherAuth {
  readonly #entries: { entry: PublisherEntry; hash: Buffer }[];

  constructor(entries: readonly PublisherEntry[]) {
    this.#entries = entries.map((entry) => ({ entry, hash: Buffer.from(entry.sha256, 'hex') }));
  }

  get size(): number {
    return this.#entries.length;
  }

  authenticate(token: string): PublisherEntry | undefined {
    const hash = createHash('sha256').update(token, 'utf8').digest();
    let found: PublisherEntry | undefined;
    for (const { entry, hash: expected } of this.#entries) {
      if (timingSafeEqual(expected, hash)) found = entry;
    }
    return found;
  }
}
