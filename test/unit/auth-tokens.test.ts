import { describe, expect, it } from 'vitest';
import { sha256Hex } from '../../config/secrets.ts';
import { JoinTokens } from '../../daemon/auth/join-tokens.ts';
import { TokenStore } from '../../daemon/auth/token-store.ts';

describe('TokenStore', () => {
  const store = new TokenStore([
    { name: 'tech', role: 'technician', sha256: sha256Hex('technician-token-123') },
    { name: 'view', role: 'viewer', sha256: sha256Hex('viewer-token-123456') },
  ]);

  it('finds the principal for a known token and nothing for others', () => {
    expect(store.authenticate('technician-token-123')).toEqual({ name: 'tech', role: 'technician' });
    expect(store.authenticate('viewer-token-123456')).toEqual({ name: 'view', role: 'viewer' });
    expect(store.authenticate('technician-token-124')).toBeUndefined();
    expect(store.authenticate('')).toBeUndefined();
  });
});

describe('JoinTokens', () => {
  it('round-trips claims scoped to a classroom and a broadcast', () => {
    let now = 1_000_000_000_000;
    const tokens = new JoinTokens('a-secret-that-is-long-enough-0123456789', () => now);
    const { token, expiresAt } = tokens.issue('Village school 3', 'demo', 10);
    expect(expiresAt.getTime()).toBe(now + 10 * 60_000);
    expect(tokens.verify(token)).toMatchObject({ classroom: 'Village school 3', broadcast: 'demo' });
    now += 10 * 60_000;
    expect(() => tokens.verify(token)).toThrow(expect.objectContaining({ code: 'FORBIDDEN' }));
  });

  it('rejects forged, tampered and malformed tokens', () => {
    const a = new JoinTokens('secret-a-0123456789-0123456789-0123');
    const b = new JoinTokens('secret-b-0123456789-0123456789-0123');
    const { token } = a.issue('x', 'demo', 5);
    expect(() => b.verify(token)).toThrow(expect.objectContaining({ code: 'UNAUTHORIZED' }));
    const [body, sig] = token.split('.');
    const tampered = `${Buffer.from(JSON.stringify({ v: 1, c: 'x', b: 'other', exp: 9e9 })).toString('base64url')}.${sig}`;
    expect(() => a.verify(tampered)).toThrow(expect.objectContaining({ code: 'UNAUTHORIZED' }));
    expect(() => a.verify(`${body}`)).toThrow(expect.objectContaining({ code: 'UNAUTHORIZED' }));
    expect(() => a.verify('a.b.c')).toThrow(expect.objectContaining({ code: 'UNAUTHORIZED' }));
  });
});

describe('loadOrCreateSecret', () => {
  it('makes a secret once and returns the same one afterwards', async () => {
    const { mkdtempSync, statSync } = await import('node:fs');
    const { tmpdir } = await import('node:os');
    const path = await import('node:path');
    const { loadOrCreateSecret } = await import('../../daemon/auth/secret-file.ts');
    const file = path.join(mkdtempSync(path.join(tmpdir(), 'secret-')), 'nested', 'join-token.key');
    const first = loadOrCreateSecret(file);
    expect(first.length).toBeGreaterThanOrEqual(32);
    expect(loadOrCreateSecret(file)).toBe(first);
    expect(statSync(file).mode & 0o077).toBe(0);
    // A token signed before a restart verifies after it.
    const token = new JoinTokens(first).issue('kiosk', 'demo', 5).token;
    expect(new JoinTokens(loadOrCreateSecret(file)).verify(token).classroom).toBe('kiosk');
  });
});
