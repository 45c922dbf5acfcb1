import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import pino from 'pino';
import { afterEach, describe, expect, it } from 'vitest';
import { AuditLog } from '../../daemon/audit/audit-log.ts';
import { startDemo, type RunningDemo } from '../../daemon/demo/demo.ts';


describe('the audit log across a daemon restart', () => {
  let demo: RunningDemo | undefined;
  let dir: string | undefined;

  afterEach(async () => {
    await demo?.close();
    demo = undefined;
    if (dir) rmSync(dir, { recursive: true, force: true });
  });

  it('still shows who did what, when, and with what result after the daemon comes back', async () => {
    dir = mkdtempSync(path.join(tmpdir(), 'classcast-audit-restart-'));
    const logger = pino({ level: 'silent' });
    demo = await startDemo({ port: 0, dataDir: dir, logger });
    const first = demo.info;
    const base = demo.info.apiBase;
    const send = (method: string, url: string, token: string | undefined, body: unknown) =>
      fetch(`${base}${url}`, {
        method,
        headers: { ...(token ? { authorization: `Bearer ${token}` } : {}), 'content-type': 'application/json' },
        body: JSON.stringify(body),
      });
    const startedAt = Date.now();
    expect((await send('PUT', '/api/layout', first.technicianToken, { layout: 'side-by-side' })).status).toBe(200);
    expect((await send('PUT', '/api/layout', first.viewerToken, { layout: 'teacher' })).status).toBe(403);
    expect((await send('POST', '/api/broadcast/stop', undefined, {})).status).toBe(401);
    expect((await send('POST', '/api/join-tokens', first.technicianToken, { classroom: 'Room 7', minutes: 30 })).status).toBe(201);
    await demo.close();
    demo = undefined;

    // The file itself, re-opened as a new daemon would.
    const reopened = await new AuditLog(dir).read(50);
    const mine = reopened.filter((e) => Date.parse(e.at) >= startedAt - 1000);
    expect(mine.map((e) => [e.who, e.action, e.result, e.status])).toEqual([
      ['demo technician', 'layout.set', 'ok', 200],
      ['demo viewer', 'layout.set', 'error', 403],
      ['unauthenticated', 'broadcast.stop', 'error', 401],
      ['demo technician', 'join-token.issue', 'ok', 201],
    ]);
    expect(mine[0]!.detail).toBe('{"layout":"side-by-side"}');
    expect(JSON.stringify(reopened)).not.toContain(first.technicianToken);

    // And through the API of the restarted daemon (new tokens, same data directory).
    demo = await startDemo({ port: 0, dataDir: dir, logger });
    const second = demo.info;
    const answer = await fetch(`${demo.info.apiBase}/api/audit?limit=20`, { headers: { authorization: `Bearer ${second.technicianToken}` } });
    expect(answer.status).toBe(200);
    const { entries } = (await answer.json()) as { entries: { who: string; action: string; result: string; status: number }[] };
    const before = entries.filter((e) => e.action === 'layout.set' || e.action === 'join-token.issue' || e.action === 'broadcast.stop');
    expect(before.map((e) => `${e.who} ${e.action} ${e.status}`)).toEqual([
      'demo technician join-token.issue 201',
      'unauthenticated broadcast.stop 401',
      'demo viewer layout.set 403',
      'demo technician layout.set 200',
    ]);
    const viewerAnswer = await fetch(`${demo.info.apiBase}/api/audit`, { headers: { authorization: `Bearer ${second.viewerToken}` } });
    expect(viewerAnswer.status).toBe(403);
  }, 180_000);
});
