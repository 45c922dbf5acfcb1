import { existsSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { Writable } from 'node:stream';
import pino from 'pino';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { type AtomicFs, realAtomicFs } from '../../config/foundation/atomic-file.ts';
import { emptyState, type PersistedState, ScheduleStateStore } from '../../daemon/schedule/state-store.ts';

let dir: string;
let file: string;
let logLines: Record<string, unknown>[];

function logger() {
  const sink = new Writable({
    write(chunk, _encoding, done) {
      for (const line of String(chunk).split('\n').filter(Boolean)) logLines.push(JSON.parse(line));
      done();
    },
  });
  return pino({ level: 'info' }, sink);
}

function stateWith(title: string): PersistedState {
  const state = emptyState();
  const now = Date.now();
  state.lessons.l1 = {
    id: 'l1',
    title,
    start: now,
    end: now + 45 * 60_000,
    manual: false,
    status: 'live',
    parts: [{ part: 1, startedAt: now }],
    failures: [],
  };
  state.current = { lessonId: 'l1', part: 1 };
  return state;
}

beforeEach(() => {
  dir = mkdtempSync(path.join(os.tmpdir(), 'classcast-state-'));
  file = path.join(dir, 'schedule-state.json');
  logLines = [];
});

afterEach(() => {
  rmSync(dir, { recursive: true, force: true });
});

describe('schedule state store', () => {
  it('round-trips the state and starts empty without a file', () => {
    const store = new ScheduleStateStore({ file, logger: logger() });
    expect(store.load()).toEqual(emptyState());
    store.save(stateWith('Maths'), Date.now());
    expect(new ScheduleStateStore({ file, logger: logger() }).load().lessons.l1?.title).toBe('Maths');
  });

  it('keeps the old file intact when a write dies half-way, and cleans the temp file up', () => {
    new ScheduleStateStore({ file, logger: logger() }).save(stateWith('Before'), Date.now());
    const before = readFileSync(file, 'utf8');
    // The disk fills up after half of the new content is written.
    const failing: AtomicFs = {
      ...realAtomicFs,
      writeSync: (fd, data) => {
        realAtomicFs.writeSync(fd, data.subarray(0, Math.floor(data.length / 2)));
        throw Object.assign(new Error('ENOSPC: no space left on device'), { code: 'ENOSPC' });
      },
    };
    const store = new ScheduleStateStore({ file, logger: logger(), fs: failing });
    expect(() => store.save(stateWith('After'), Date.now())).toThrow(/ENOSPC/);
    expect(readFileSync(file, 'utf8')).toBe(before);
    expect(readdirSync(dir)).toEqual(['schedule-state.json']);
    expect(store.load().lessons.l1?.title).toBe('Before');
  });

  it('ignores a temp file left by a crash before the rename', () => {
    new ScheduleStateStore({ file, logger: logger() }).save(stateWith('Committed'), Date.now());
    // What a process killed between write and rename leaves behind.
    writeFileSync(path.join(dir, '.schedule-state.json.4242.tmp'), '{"version":1,"lessons":{"l1":{"id":');
    const store = new ScheduleStateStore({ file, logger: logger() });
    expect(store.load().lessons.l1?.title).toBe('Committed');
    expect(readdirSync(dir)).toEqual(['schedule-state.json']);
  });

  it('moves a corrupt file aside, logs it and starts clean', () => {
    writeFileSync(file, '{"version":1,"lessons":{"l1":');
    const store = new ScheduleStateStore({ file, logger: logger() });
    expect(store.load()).toEqual(emptyState());
    expect(existsSync(file)).toBe(false);
    const aside = readdirSync(dir).filter((n) => n.startsWith('schedule-state.json.corrupt-'));
    expect(aside).toHaveLength(1);
    expect(readFileSync(path.join(dir, aside[0]!), 'utf8')).toBe('{"version":1,"lessons":{"l1":');
    const line = logLines.find((l) => l.msg === 'schedule state file unreadable; starting clean');
    expect(line).toMatchObject({ level: 50, component: 'schedule-state' });
  });

  it('treats well-formed JSON of the wrong shape as corrupt too', () => {
    writeFileSync(file, JSON.stringify({ version: 7, lessons: [] }));
    const store = new ScheduleStateStore({ file, logger: logger() });
    expect(store.load()).toEqual(emptyState());
    expect(readdirSync(dir).some((n) => n.startsWith('schedule-state.json.corrupt-'))).toBe(true);
  });

  it('forgets lessons older than 30 days when saving', () => {
    const store = new ScheduleStateStore({ file, logger: logger() });
    const state = stateWith('Old');
    store.save(state, Date.now() + 31 * 24 * 3600_000);
    expect(store.load().lessons).toEqual({});
  });
});
