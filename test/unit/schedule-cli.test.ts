import { copyFileSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { PassThrough } from 'node:stream';
import { fileURLToPath } from 'node:url';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { scheduleCommand } from '../../daemon/cli/commands/schedule.ts';

const FIXTURES = path.join(path.dirname(fileURLToPath(import.meta.url)), '..', 'fixtures');
let dir: string;

beforeEach(() => {
  dir = mkdtempSync(path.join(os.tmpdir(), 'classcast-schedule-cli-'));
  copyFileSync(path.join(FIXTURES, 'schedule-lessons.ics'), path.join(dir, 'lessons.ics'));
});

afterEach(() => {
  rmSync(dir, { recursive: true, force: true });
});

async function run(args: string[]): Promise<{ code: number; stdout: string; stderr: string }> {
  const stdout = new PassThrough();
  const stderr = new PassThrough();
  let out = '';
  let err = '';
  stdout.on('data', (c) => (out += String(c)));
  stderr.on('data', (c) => (err += String(c)));
  const code = await scheduleCommand.run(args, { stdout, stderr, stopSignal: new Promise(() => {}) });
  return { code, stdout: out, stderr: err };
}

const CONFIG = `
schedule:
  enabled: true
  periods:
    - { id: p1, start: "08:00", end: "08:45" }
    - { id: night, start: "23:30", end: "00:30" }
  weekly:
    monday:
      - { period: p1, title: Mathematics, subject: math, teacher: Ms Li, classrooms: [school-a, school-b] }
    friday:
      - { period: p1, title: Chinese }
      - { period: night, title: Astronomy }
  holidays:
    - { date: "2026-11-25", name: Sports day }
  makeupDays:
    - { date: "2026-11-28", follows: monday }
  ical:
    - { file: lessons.ics }
`;

describe('classcast schedule', () => {
  it('prints the coming week as a readable table', async () => {
    writeFileSync(path.join(dir, 'classcast.yaml'), CONFIG);
    const result = await run(['--config', path.join(dir, 'classcast.yaml'), '--from', '2026-11-23']);
    expect(result.code).toBe(0);
    const lines = result.stdout.split('\n');
    expect(lines[0]).toMatch(/^Timetable \(Asia\/Shanghai\), 2026-11-23 to 2026-11-29; pre-roll 120 s, post-roll 60 s$/);
    expect(result.stdout).toContain('Mon 2026-11-23  school day');
    expect(lines.some((l) => /^ {2}08:00-08:45 {2}Mathematics {2}Ms Li {2}school-a,school-b {2}20261123-0800-math$/.test(l))).toBe(true);
    expect(lines.some((l) => l.includes('10:00-10:45') && l.includes('Physics'))).toBe(true);
    expect(result.stdout).toContain('Wed 2026-11-25  holiday (Sports day)\n  no lessons');
    expect(result.stdout).toContain('Sat 2026-11-28  make-up day, follows monday');
    expect(lines.some((l) => l.includes('23:30-00:30+1') && l.includes('Astronomy'))).toBe(true);
  });

  it('prints JSON with --json', async () => {
    writeFileSync(path.join(dir, 'classcast.yaml'), CONFIG);
    const result = await run(['--config', path.join(dir, 'classcast.yaml'), '--from', '2026-11-23', '--days', '6', '--json']);
    expect(result.code).toBe(0);
    const body = JSON.parse(result.stdout);
    expect(body.days).toHaveLength(6);
    const saturday = body.days[5];
    expect(saturday).toMatchObject({ date: '2026-11-28', kind: 'makeup', follows: 'monday' });
    expect(saturday.lessons.map((l: { title: string; start: string }) => [l.title, l.start])).toEqual([
      ['Mathematics', '2026-11-28T08:00:00+08:00'],
    ]);
    expect(body.days[2]).toMatchObject({ kind: 'holiday', lessons: [] });
  });

  it('answers bad arguments with usage and exit code 2, and a bad config with its paths and 1', async () => {
    expect((await run([])).code).toBe(2);
    expect((await run(['--config', 'x.yaml', '--days', 'many'])).code).toBe(2);
    const unknown = await run(['--config', 'x.yaml', '--colour']);
    expect(unknown.code).toBe(2);
    expect(unknown.stderr).toContain('usage: classcast schedule');

    writeFileSync(path.join(dir, 'bad.yaml'), 'schedule:\n  weekly:\n    monday:\n      - { period: p7, title: X }\n');
    const bad = await run(['--config', path.join(dir, 'bad.yaml')]);
    expect(bad.code).toBe(1);
    expect(bad.stderr).toContain('schedule.weekly.monday.0.period: no bell period "p7"');

    writeFileSync(path.join(dir, 'noics.yaml'), 'schedule:\n  ical:\n    - { file: missing.ics }\n');
    const noIcs = await run(['--config', path.join(dir, 'noics.yaml')]);
    expect(noIcs.code).toBe(1);
    expect(noIcs.stderr).toMatch(/^SCHEDULE_INVALID: cannot read iCalendar file .*missing\.ics/);
  });
});
