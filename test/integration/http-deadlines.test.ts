import { mkdtempSync, rmSync } from 'node:fs';
import { connect, type AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import path from 'node:path';
import type { FastifyInstance } from 'fastify';
import pino from 'pino';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { buildApiServer } from '../../daemon/api/server.ts';
import { AuditLog } from '../../daemon/audit/audit-log.ts';
import { TokenStore } from '../../daemon/auth/token-store.ts';

/** A raw connection that writes `text` (maybe nothing) and reports when the server closes it. */
function slowPeer(port: number, text: string): Promise<{ answer: string; afterMs: number }> {
  return new Promise((resolve, reject) => {
    const started = performance.now();
    const socket = connect(port, '127.0.0.1', () => {
      if (text) socket.write(text);
    });
    let answer = '';
    socket.on('data', (data) => (answer += data.toString()));
    socket.on('error', reject);
    socket.on('close', () => resolve({ answer, afterMs: performance.now() - started }));
  });
}

describe('HTTP deadlines: a slow or silent peer holds a socket for seconds, not forever', () => {
  const dir = mkdtempSync(path.join(tmpdir(), 'classcast-deadlines-'));
  let app: FastifyInstance;
  let port: number;

  beforeAll(async () => {
    app = await buildApiServer({ logger: pino({ level: 'silent' }), tokens: new TokenStore([]), audit: new AuditLog(dir) }, () => {});
    await app.listen({ host: '127.0.0.1', port: 0 });
    port = (app.server.address() as AddressInfo).port;
  });
  afterAll(async () => {
    await app.close();
    rmSync(dir, { recursive: true, force: true });
  });

  it('closes a request whose headers never finish, one whose body never comes, and a connection that says nothing', async () => {
    const [headers, body, silent] = await Promise.all([
      slowPeer(port, 'GET /healthz HTTP/1.1\r\nHost: x\r\nX-Slow: '),
      slowPeer(port, 'POST /api/broadcast/start HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\nContent-Length: 100\r\n\r\n{"ti'),
      slowPeer(port, ''),
    ]);
    // Without the deadlines none of them would ever close: the test would time out. The
    // headers' deadline (10 s) answers 408; a peer that goes quiet mid-body meets the idle one
    // (20 s) first, and one that never says anything too (Node may say 408 first).
    expect(headers.answer).toMatch(/^HTTP\/1\.1 408 /);
    expect(headers.afterMs).toBeLessThan(body.afterMs);
    for (const quiet of [body, silent]) expect(quiet.answer).toMatch(/^(HTTP\/1\.1 408 [^]*)?$/);
    // Others are served all along.
    expect((await fetch(`http://127.0.0.1:${port}/healthz`)).status).toBe(200);
  }, 60_000);
});
