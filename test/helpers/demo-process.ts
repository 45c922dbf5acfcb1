import { spawn, type ChildProcess } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { createInterface } from 'node:readline';
import type { DemoInfo } from '../../daemon/demo/demo.ts';
import { descendants } from './processes.ts';

export type { DemoInfo };

export interface DemoProcess {
  child: ChildProcess;
  info: DemoInfo;
  dir: string;
  stderr: string[];
  /** What it printed (its URLs, the kiosk's command line). */
  stdout: string[];
  /** Resolves with the exit code/signal. */
  exited: Promise<{ code: number | null; signal: NodeJS.Signals | null }>;
  cleanup: () => void;
}

const ROOT = path.resolve(import.meta.dirname, '../..');

/**
 * Runs `classcast demo` as users do (the CLI entry), on free ports, in a scratch data dir; or,
 * to start it again after a crash, on a given port and directory (`again`).
 */
export async function startDemoProcess(timeoutMs = 90_000, again?: { port: number; dir: string }): Promise<DemoProcess> {
  const dir = again?.dir ?? mkdtempSync(path.join(tmpdir(), 'classcast-demo-'));
  const infoFile = path.join(dir, 'info.json');
  const child = spawn(
    process.execPath,
    [path.join(ROOT, 'daemon/bin/classcast.mjs'), 'demo', '--port', String(again?.port ?? 0), '--info-file', infoFile, '--data-dir', path.join(dir, 'data'), '--log-level', 'info'],
    { cwd: ROOT, stdio: ['ignore', 'pipe', 'pipe'] },
  );
  const stderr: string[] = [];
  const stdout: string[] = [];
  createInterface({ input: child.stderr! }).on('line', (line) => {
    stderr.push(line);
    if (stderr.length > 400) stderr.shift();
  });
  const exited = new Promise<{ code: number | null; signal: NodeJS.Signals | null }>((resolve) =>
    child.once('exit', (code, signal) => resolve({ code, signal })),
  );
  // The demo prints its URLs once everything is up; the info file is written just before.
  await new Promise<void>((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`demo did not start in ${timeoutMs} ms:\n${stderr.slice(-30).join('\n')}`)), timeoutMs);
    createInterface({ input: child.stdout! }).on('line', (line) => {
      stdout.push(line);
      if (line.includes('classcast demo is running')) {
        clearTimeout(timer);
        resolve();
      }
    });
    void exited.then(({ code, signal }) => {
      clearTimeout(timer);
      reject(new Error(`demo exited early (${code ?? signal}):\n${stderr.slice(-30).join('\n')}`));
    });
  });
  const info = JSON.parse(readFileSync(infoFile, 'utf8')) as DemoInfo;
  return {
    child,
    info,
    dir,
    stderr,
    stdout,
    exited,
    cleanup: () => {
      if (child.exitCode === null && child.signalCode === null) child.kill('SIGKILL');
      rmSync(dir, { recursive: true, force: true });
    },
  };
}

/** A figure from the demo's /metrics: the first group of `pattern`, or undefined. */
export async function metric(demo: DemoProcess, pattern: RegExp): Promise<number | undefined> {
  try {
    const text = await (await fetch(`${demo.info.apiBase}/metrics`)).text();
    const match = pattern.exec(text);
    return match ? Number(match[1]) : undefined;
  } catch {
    return undefined;
  }
}

/** The pid of the demo's descendant whose command and command line `match`. */
export function processOf(demo: DemoProcess, match: (command: string, cmdline: string) => boolean): number {
  for (const p of descendants(demo.child.pid!)) {
    let cmdline = '';
    try {
      cmdline = readFileSync(`/proc/${p.pid}/cmdline`, 'utf8');
    } catch {
      continue;
    }
    if (match(p.command, cmdline)) return p.pid;
  }
  throw new Error('no such process under the demo');
}

/**
 * The pid of one of the demo's two filter graphs: the compositor (pictures, x264) or the mixer
 * (sound, Opus only).
 */
export function mediaProcessOf(demo: DemoProcess, which: 'compositor' | 'mixer'): number {
  const encodes = (cmdline: string) => (which === 'compositor' ? cmdline.includes('libx264') : cmdline.includes('libopus') && !cmdline.includes('libx264'));
  return processOf(demo, (command, cmdline) => command === 'ffmpeg' && cmdline.includes('filter_complex') && encodes(cmdline));
}
