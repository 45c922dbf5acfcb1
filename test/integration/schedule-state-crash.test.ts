import { type ChildProcess, spawn } from 'node:child_process';
import { mkdtempSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import pino from 'pino';
import { afterEach, describe, expect, it } from 'vitest';
import { ScheduleStateStore } from '../../daemon/schedule/state-store.ts';

const ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..', '..');
const children: ChildProcess[] = [];
const dirs: string[] = [];

afterEach(() => {
  for (const child of children.splice(0)) if (child.exitCode === null) child.kill('SIGKILL');
  for (const dir of dirs.splice(0)) rmSync(dir, { recursive: true, force: true });
});

/** A writer that saves a growing state as fast as it can and prints each committed generation. */
function writerScript(file: string): string {
  return `
import { ScheduleStateStore, emptyState } from ${JSON.stringify(path.join(ROOT, 'daemon/schedule/state-store.ts'))};
// The script lives outside the repository, so it cannot resolve 'pino'; a silent stand-in does.
const quiet = { child: () => quiet, error() {}, warn() {}, info() {} };
const store = new ScheduleStateStore({ file: ${JSON.stringify(file)}, logger: quiet });
const state = emptyState();
const now = Date.now();
for (let generation = 1; ; generation++) {
  for (let i = 0; i < 50; i++) {
    const id = 'l' + ((generation * 50 + i) % 400);
    state.lessons[id] = { id, title: 'generation ' + generation + ' ' + 'x'.repeat(200), start: now, end: now + 1,
      manual: false, status: 'live', parts: [{ part: generation, startedAt: now }], failures: [] };
  }
  state.current = { lessonId: 'l0', part: generation };
  store.save(state, now);
  process.stdout.write(generation + '\\n');
}
`;
}

function waitForGenerations(child: ChildProcess, count: number, timeoutMs: number): Promise<number> {
  return new Promise((resolve, reject) => {
    let last = 0;
    let buffer = '';
    const timer = setTimeout(() => reject(new Error(`writer reached only generation ${last}`)), timeoutMs);
    child.stdout?.on('data', (chunk: Buffer) => {
      buffer += chunk.toString();
      const lines = buffer.split('\n');
      buffer = lines.pop() ?? '';
      for (const line of lines) last = Number(line);
      if (last >= count) {
        clearTimeout(timer);
        resolve(last);
      }
    });
    child.once('exit', (code) => {
      clearTimeout(timer);
      reject(new Error(`writer exited with ${code}`));
    });
  });
}

describe('schedule state file under kill -9', () => {
  it('is always a complete, valid state after the writer is killed mid-write', async () => {
    const dir = mkdtempSync(path.join(os.tmpdir(), 'classcast-crash-'));
    dirs.push(dir);
    const file = path.join(dir, 'schedule-state.json');
    const script = path.join(dir, 'writer.mts');
    writeFileSync(script, writerScript(file));
    for (let round = 1; round <= 2; round++) {
      const child = spawn(process.execPath, ['--import', 'tsx', script], { cwd: ROOT, stdio: ['ignore', 'pipe', 'inherit'] });
      children.push(child);
      const seen = await waitForGenerations(child, 20 * round, 30_000);
      const exited = new Promise((resolve) => child.once('exit', resolve));
      child.kill('SIGKILL');
      await exited;
      const store = new ScheduleStateStore({ file, logger: pino({ level: 'silent' }) });
      const state = store.load();
      // Never set aside as corrupt, and at least as new as the last generation reported.
      expect(readdirSync(dir).filter((n) => n.includes('.corrupt-'))).toEqual([]);
      expect(state.current?.part).toBeGreaterThanOrEqual(seen);
      expect(Object.keys(state.lessons).length).toBeGreaterThan(0);
      // The load removed whatever temp file the kill left behind.
      expect(readdirSync(dir).filter((n) => n.endsWith('.tmp'))).toEqual([]);
    }
  });
});
