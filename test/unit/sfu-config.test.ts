import { createHash } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import { parseConfig, type ConfigInvalidError } from '../../config/load.ts';
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

describe("district config: an origin's edges, and the edge role", () => {
  const cameras: never[] = [];
  const problemsOf = (input: Record<string, unknown>) => {
    try {
      parseConfig({ cameras, ...input }, 'test');
      return [];
    } catch (error) {
      return (error as ConfigInvalidError).problems.map((p) => `${p.path}: ${p.message}`);
    }
  };

  it("keeps only the SHA-256 of an edge's token, and where its classrooms go", () => {
    const token = 'edge-token-0123456789abcdef';
    const parsed = sfuSchema.parse({ edges: [{ name: 'north', url: 'https://edge-north.example:8443', token, classrooms: ['village-1'] }] });
    expect(parsed.edges[0]).toEqual({ name: 'north', url: 'https://edge-north.example:8443', classrooms: ['village-1'], sha256: createHash('sha256').update(token).digest('hex') });
    expect(JSON.stringify(parsed)).not.toContain(token);
    expect(sfuSchema.safeParse({ edges: [{ name: 'north', url: 'not a url', token }] }).success).toBe(false);
  });

  it('runs an edge with its origin and token, and refuses it beside a classroom or an origin', () => {
    const edge = { origin: 'https://sfu.example:8443', token: 'e'.repeat(16) };
    expect(problemsOf({ roles: { classroom: false, sfu: false, edge: true }, edge })).toEqual([]);
    expect(problemsOf({ roles: { classroom: true, sfu: true, edge: true } })).toEqual([
      'roles.classroom: an edge runs no classroom: set it to false',
      'roles.sfu: an edge is not an origin SFU: set it to false',
      'edge.origin: an edge needs the URL of its origin',
      'edge.token: an edge needs its token for the origin',
    ]);
    expect(problemsOf({ edge })).toEqual(['roles.edge: edge.origin and edge.token are for roles.edge: true']);
  });
});
