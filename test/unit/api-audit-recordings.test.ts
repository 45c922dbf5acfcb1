import { mkdirSync, mkdtempSync, rmSync, statSync, writeFileSync } from 'node:fs';
import os, { tmpdir } from 'node:os';
import path from 'node:path';
import type { FastifyInstance } from 'fastify';
import pino from 'pino';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { sha256Hex } from '../../config/secrets.ts';
import { auditRoutes } from '../../daemon/api/routes/audit.ts';
import { layoutRoutes } from '../../daemon/api/routes/layout.ts';
import { recordingRoutes } from '../../daemon/api/routes/recordings.ts';
import { buildApiServer } from '../../daemon/api/server.ts';
import { AuditLog } from '../../daemon/audit/audit-log.ts';
import { TokenStore } from '../../daemon/auth/token-store.ts';
import type { RecordingInfo } from '../../pipeline/media/recording-catalogue.ts';

const TECH = 'technician-token-0123456789';
const VIEW = 'viewer-token-0123456789abc';

function recording(lessonId: string, updatedAt: string, seconds: number): RecordingInfo {
  return {
    lessonId,
    playlist: `${lessonId}/lesson.m3u8`,
    parts: [{ part: 1, runs: [{ playlist: 'part-1/run-1/index.m3u8', startedAt: updatedAt, segments: 3, durationSec: seconds, complete: true }] }],
    bytes: 1234,
    updatedAt,
  };
}

describe('GET /api/audit and /api/recordings', () => {
  let dir: string;
  let app: FastifyInstance;
  let audit: AuditLog;
  let recordingsDir: string | undefined;

  beforeEach(async () => {
    dir = mkdtempSync(path.join(tmpdir(), 'classcast-api-unit-'));
    recordingsDir = path.join(dir, 'recordings');
    mkdirSync(path.join(recordingsDir, 'maths-1'), { recursive: true });
    writeFileSync(path.join(recordingsDir, 'maths-1', 'lesson.m3u8'), '#EXTM3U\n#EXT-X-ENDLIST\n');
    writeFileSync(path.join(recordingsDir, 'maths-1', 'notes.txt'), 'secret');
    writeFileSync(path.join(dir, 'outside.m3u8'), '#EXTM3U outside\n');
    audit = new AuditLog(path.join(dir, 'data'));
    let layout: 'pip' | 'side-by-side' = 'pip';
    app = await buildApiServer(
      {
        logger: pino({ level: 'silent' }),
        audit,
        tokens: new TokenStore([
          { name: 'alice', role: 'technician', sha256: sha256Hex(TECH) },
          { name: 'victor', role: 'viewer', sha256: sha256Hex(VIEW) },
        ]),
      },
      (api) => {
        auditRoutes(api, { read: (n) => audit.read(n) });
        recordingRoutes(api, {
          list: async () => [recording('maths-1', '2026-03-02T09:00:00.000Z', 2400.04), recording('physics-2', '2026-03-03T09:00:00.000Z', 60)],
          dir: () => recordingsDir,
        });
        layoutRoutes(api, { current: () => layout, set: async (l) => void (layout = l as typeof layout) });
      },
    );
  });

  afterEach(async () => {
    await app.close();
    rmSync(dir, { recursive: true, force: true });
  });

  const as = (token: string) => ({ authorization: `Bearer ${token}` });

  it('records control actions, refused attempts and their failure codes, newest first, technicians only', async () => {
    const put = (headers: Record<string, string>, payload: unknown) =>
      app.inject({ method: 'PUT', url: '/api/layout', headers: { ...headers, 'content-type': 'application/json' }, payload: JSON.stringify(payload) });
    expect((await put(as(TECH), { layout: 'side-by-side' })).statusCode).toBe(200);
    expect((await put(as(VIEW), { layout: 'pip' })).statusCode).toBe(403);
    expect((await put({}, { layout: 'pip' })).statusCode).toBe(401);
    expect((await put(as(TECH), { layout: 'nope' })).statusCode).toBe(400);
    // Reads are not control actions.
    expect((await app.inject({ method: 'GET', url: '/api/layout', headers: as(VIEW) })).statusCode).toBe(200);

    const answer = await app.inject({ method: 'GET', url: '/api/audit?limit=3', headers: as(TECH) });
    expect(answer.statusCode).toBe(200);
    const { entries } = answer.json() as { entries: Record<string, unknown>[] };
    expect(entries).toHaveLength(3);
    expect(entries[0]).toMatchObject({ who: 'alice', action: 'layout.set', result: 'error', status: 400, error: 'BAD_REQUEST', detail: '{"layout":"nope"}' });
    expect(entries[1]).toMatchObject({ who: 'unauthenticated', role: 'none', action: 'layout.set', result: 'error', status: 401, error: 'UNAUTHORIZED' });
    expect(entries[2]).toMatchObject({ who: 'victor', role: 'viewer', action: 'layout.set', result: 'error', status: 403, error: 'FORBIDDEN' });
    const all = (await app.inject({ method: 'GET', url: '/api/audit', headers: as(TECH) })).json() as { entries: Record<string, unknown>[] };
    expect(all.entries.at(-1)).toMatchObject({ who: 'alice', action: 'layout.set', result: 'ok', status: 200, detail: '{"layout":"side-by-side"}' });
    expect(Date.parse(String(all.entries.at(-1)!.at))).toBeGreaterThan(Date.now() - 60_000);

    expect((await app.inject({ method: 'GET', url: '/api/audit', headers: as(VIEW) })).statusCode).toBe(403);
    for (const query of ['limit=0', 'limit=abc', 'limit=5000', 'since=yesterday']) {
      const bad = await app.inject({ method: 'GET', url: `/api/audit?${query}`, headers: as(TECH) });
      expect(bad.statusCode, query).toBe(400);
      expect(bad.json()).toMatchObject({ error: { code: 'BAD_REQUEST' } });
    }
  });

  it('lists recordings newest first with a playable URL and the total duration', async () => {
    const answer = await app.inject({ method: 'GET', url: '/api/recordings', headers: as(VIEW) });
    expect(answer.statusCode).toBe(200);
    const { recordings } = answer.json() as { recordings: { lessonId: string; url: string; durationSec: number }[] };
    expect(recordings.map((r) => r.lessonId)).toEqual(['physics-2', 'maths-1']);
    expect(recordings[1]).toMatchObject({ url: '/api/recordings/files/maths-1/lesson.m3u8', durationSec: 2400 });
    expect((await app.inject({ method: 'GET', url: '/api/recordings' })).statusCode).toBe(401);
  });

  it('serves recording files to token holders only and nothing outside the recordings directory', async () => {
    const ok = await app.inject({ method: 'GET', url: '/api/recordings/files/maths-1/lesson.m3u8', headers: as(VIEW) });
    expect(ok.statusCode).toBe(200);
    expect(ok.headers['content-type']).toBe('application/vnd.apple.mpegurl');
    expect(ok.body).toContain('#EXTM3U');
    expect((await app.inject({ method: 'GET', url: '/api/recordings/files/maths-1/lesson.m3u8' })).statusCode).toBe(401);
    for (const url of [
      '/api/recordings/files/../outside.m3u8',
      '/api/recordings/files/maths-1/..%2F..%2Foutside.m3u8',
      '/api/recordings/files/%2e%2e/outside.m3u8',
      '/api/recordings/files/maths-1/notes.txt',
      '/api/recordings/files/maths-1/missing.m3u8',
      '/api/recordings/files/.hidden/x.m3u8',
    ]) {
      const refused = await app.inject({ method: 'GET', url, headers: as(TECH) });
      expect([400, 404], url).toContain(refused.statusCode);
      expect(refused.body, url).not.toContain('#EXTM3U');
      expect(refused.body, url).not.toContain('secret');
      expect(refused.json().error.code, url).toMatch(/^(BAD_REQUEST|NOT_FOUND)$/);
    }
    recordingsDir = undefined;
    const off = await app.inject({ method: 'GET', url: '/api/recordings/files/maths-1/lesson.m3u8', headers: as(TECH) });
    expect(off.statusCode).toBe(404);
  });
});

describe('audit log bounds', () => {
  it('rotates past its size, keeps one file before, and reads across both', async () => {
    const dir = mkdtempSync(path.join(os.tmpdir(), 'classcast-audit-'));
    try {
      const audit = new AuditLog(dir, { maxBytes: 2_000 });
      for (let i = 0; i < 60; i += 1) audit.append({ who: 'tech', role: 'technician', action: `action-${i}`, result: 'ok' });
      expect(statSync(audit.file).size).toBeLessThanOrEqual(2_000);
      expect(statSync(`${audit.file}.1`).size).toBeLessThanOrEqual(2_000);
      const last = await audit.read(20);
      expect(last.map((e) => e.action)).toEqual(Array.from({ length: 20 }, (_, i) => `action-${40 + i}`));
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });

  it('records at most so many refused strangers a minute, and says how many it left out', async () => {
    const dir = mkdtempSync(path.join(os.tmpdir(), 'classcast-audit-'));
    let now = Date.parse('2026-11-30T10:00:00Z');
    try {
      const audit = new AuditLog(dir, { refusedPerMinute: 5, now: () => now });
      for (let i = 0; i < 500; i += 1) audit.append({ who: 'unauthenticated', role: 'none', action: 'broadcast.stop', result: 'error', status: 401 });
      // A technician's action is never dropped.
      expect(audit.append({ who: 'tech', role: 'technician', action: 'layout.set', result: 'ok' })).toBeDefined();
      now += 61_000;
      audit.append({ who: 'unauthenticated', role: 'none', action: 'broadcast.stop', result: 'error', status: 401 });
      const entries = await audit.read(100);
      expect(entries.filter((e) => e.action === 'broadcast.stop')).toHaveLength(6);
      expect(entries.find((e) => e.action === 'refused.summary')?.detail).toBe('495 more refused attempts in the minute before');
      expect(entries.some((e) => e.action === 'layout.set')).toBe(true);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});
