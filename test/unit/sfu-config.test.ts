import { createHash } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import { sfuSchema } from '../../config/schema/sfu.ts';

describe('sfu config slice', () => {
  it('keeps only the SHA-256 of a publisher token', () => {
    const token = 'publisher-token-0123456789abcdef';
    const parsed = sfuSchema.parse({ publishers: [{ name: 'room', room: 'physics-101', token }] });
    expect(parsed.publishers[0]).toEqual({ name: 'room', room: 'physics-101', sha256: createHash('sha256').update(token).digest('hex') });
    expect(JSON.stringify(parsed)).not.toContain(token);
  });

  it('refuses a publisher with both or neither of token and sha256, and a url without its token', () => {
    expect(sfuSchema.safeParse({ publishers: [{ name: 'x' }] }).success).toBe(false);
    // A publisher may touch its own room only, so it must name it.
    expect(sfuSchema.safeParse({ publishers: [{ name: 'x', token: 'a'.repeat(16) }] }).success).toBe(false);
    expect(sfuSchema.safeParse({ publishers: [{ name: 'x', token: 'a'.repeat(16), sha256: 'b'.repeat(64) }] }).success).toBe(false);
    const half = sfuSchema.safeParse({ url: 'http://sfu.example:8080' });
    expect(half.success).toBe(false);
    expect(half.error?.issues[0]?.path).toEqual(['publisherToken']);
    expect(sfuSchema.safeParse({ url: 'http://sfu.example:8080', publisherToken: 'p'.repeat(16) }).success).toBe(true);
  });

  it('defaults to no publishers and workers from the cores', () => {
    const parsed = sfuSchema.parse({});
    expect(parsed.publishers).toEqual([]);
    expect(parsed.workers).toBeUndefined();
    expect(parsed.listenIp).toBe('127.0.0.1');
  });
});
