import { execFileSync } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { request } from 'node:https';
import { tmpdir } from 'node:os';
import path from 'node:path';
import pino from 'pino';
import { afterAll, describe, expect, it } from 'vitest';
import WebSocket from 'ws';
import { parseConfig } from '../../config/load.ts';
import { Daemon } from '../../daemon/daemon.ts';

const dir = mkdtempSync(path.join(tmpdir(), 'classcast-tls-'));
let daemon: Daemon | undefined;

afterAll(async () => {
  await daemon?.close();
  rmSync(dir, { recursive: true, force: true });
});

function get(url: string, token?: string): Promise<{ status: number; body: string }> {
  return new Promise((resolve, reject) => {
    const req = request(url, { rejectUnauthorized: false, headers: token ? { authorization: `Bearer ${token}` } : {} }, (res) => {
      let body = '';
      res.on('data', (c) => (body += c));
      res.on('end', () => resolve({ status: res.statusCode ?? 0, body }));
    });
    req.on('error', reject);
    req.end();
  });
}

describe('HTTPS', () => {
  it('serves the API, the pages and the sockets over TLS when the config gives a certificate', async () => {
    const key = path.join(dir, 'key.pem');
    const cert = path.join(dir, 'cert.pem');
    execFileSync('openssl', ['req', '-x509', '-newkey', 'ec', '-pkeyopt', 'ec_paramgen_curve:prime256v1', '-nodes', '-days', '1', '-subj', '/CN=localhost', '-keyout', key, '-out', cert], { stdio: 'ignore' });
    const token = 'technician-token-0123456789';
    const config = parseConfig(
      {
        dataDir: path.join(dir, 'data'),
        roles: { classroom: false, sfu: true },
        sfu: { workers: 1 },
        api: { port: 0, tls: { certFile: 'cert.pem', keyFile: 'key.pem' }, tokens: [{ name: 't', role: 'technician', token }] },
      },
      'test',
      dir,
    );
    daemon = new Daemon(config, pino({ level: 'silent' }));
    await daemon.start();
    expect(daemon.urls.apiBase).toMatch(/^https:\/\/127\.0\.0\.1:\d+$/);
    expect((await get(`${daemon.urls.apiBase}/healthz`)).status).toBe(200);
    expect((await get(`${daemon.urls.apiBase}/api/status`)).status).toBe(401);
    expect((await get(`${daemon.urls.apiBase}/api/status`, token)).status).toBe(200);
    const page = await get(`${daemon.urls.apiBase}/classroom/`);
    expect(page.status).toBe(200);
    expect(page.body).toContain('<video');
    const socket = new WebSocket(`${daemon.urls.apiBase.replace('https', 'wss')}/ws/events?token=${token}`, { rejectUnauthorized: false });
    const hello = await new Promise<{ type: string }>((resolve, reject) => {
      socket.once('message', (raw) => resolve(JSON.parse(raw.toString()) as { type: string }));
      socket.once('error', reject);
    });
    expect(hello.type).toBe('hello');
    socket.close();
  });

  it('refuses a config whose TLS files cannot be read, naming the path', () => {
    expect(() => parseConfig({ api: { tls: { certFile: 'nope.pem', keyFile: 'nope.key' } } }, 'test', dir)).toThrow(/api\.tls\.certFile/);
  });
});
