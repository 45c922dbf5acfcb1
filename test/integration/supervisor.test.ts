import { execFileSync } from 'node:child_process';
import pino from 'pino';
import { afterEach, describe, expect, it } from 'vitest';
import { Supervisor } from '../../config/foundation/process/supervisor.ts';

const logger = pino({ level: 'silent' });
const supervisors: Supervisor[] = [];

function make(options: Partial<ConstructorParameters<typeof Supervisor>[0]> = {}): Supervisor {
  const s = new Supervisor({
    name: 'test',
    command: process.execPath,
    args: ['-e', 'console.error("ready"); setInterval(() => {}, 1000)'],
    logger,
    readyWhen: (line) => line === 'ready',
    backoff: { initialMs: 20, maxMs: 100 },
    ...options,
  });
  supervisors.push(s);
  return s;
}

function alive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch {
    return false;
  }
}

afterEach(async () => {
  await Promise.all(supervisors.splice(0).map((s) => s.stop()));
});

describe('Supervisor', () => {
  it('resolves start when the ready line appears', async () => {
    const s = make();
    await s.start();
    expect(s.state).toBe('running');
    expect(s.pid).toBeGreaterThan(0);
  });

  it('restarts a child that dies and reports the exit as unexpected', async () => {
    const s = make();
    await s.start();
    const firstPid = s.pid!;
    const exited = s.next('exit', 10_000);
    const readyAgain = s.next('ready', 10_000);
    process.kill(firstPid, 'SIGKILL');
    const [, signal, expected] = await exited;
    expect(signal).toBe('SIGKILL');
    expect(expected).toBe(false);
    await readyAgain;
    expect(s.pid).not.toBe(firstPid);
    expect(s.restarts).toBe(1);
  });

  it('rejects start when the child exits before ready, and stop is idempotent', async () => {
    const s = make({ args: ['-e', 'process.exit(3)'], restart: false });
    await expect(s.start()).rejects.toMatchObject({ code: 'FFMPEG_EXITED' });
    await s.stop();
    await s.stop();
    expect(s.state).toBe('stopped');
    await expect(s.start()).rejects.toMatchObject({ code: 'INVALID_STATE' });
  });

  it('kills with SIGKILL a child that ignores the polite signal', async () => {
    const s = make({
      args: ['-e', 'process.on("SIGTERM", () => {}); console.error("ready"); setInterval(() => {}, 1000)'],
      stopTimeoutMs: 200,
    });
    await s.start();
    const pid = s.pid!;
    const exit = s.next('exit', 10_000);
    await s.stop();
    const [, signal, expected] = await exit;
    expect(signal).toBe('SIGKILL');
    expect(expected).toBe(true);
    expect(alive(pid)).toBe(false);
  });

  it('children die with their parent even when the parent is SIGKILLed', () => {
    // A parent node process supervises a sleeping child and prints its pid; we SIGKILL the
    // parent and the kernel's PDEATHSIG must take the child down.
    const script = `
      import pino from 'pino';
      import { Supervisor } from './config/foundation/process/supervisor.ts';
      const s = new Supervisor({ name: 'c', command: 'sleep', args: ['300'], logger: pino({ level: 'silent' }) });
      await s.start();
      console.log(s.pid);
      process.kill(process.pid, 'SIGKILL');
    `;
    let out = '';
    try {
      out = execFileSync(process.execPath, ['--import', 'tsx', '--input-type=module', '-e', script], {
        cwd: process.cwd(),
        encoding: 'utf8',
      });
    } catch (error) {
      out = String((error as { stdout?: string }).stdout ?? '');
    }
    const pid = Number(out.trim().split('\n').pop());
    expect(pid).toBeGreaterThan(0);
    const deadline = Date.now() + 5_000;
    while (alive(pid) && Date.now() < deadline) execFileSync('sleep', ['0.05']);
    expect(alive(pid)).toBe(false);
  });

  it('after a restart whose new child dies before it is ready, runs exactly one child', async () => {
    let spawns = 0;
    const pids: number[] = [];
    const s = make({
      // The second child dies at once; every other one comes up.
      args: () => (++spawns === 2 ? ['-e', 'process.exit(3)'] : ['-e', 'console.error("ready"); setInterval(() => {}, 1000)']),
      backoff: { initialMs: 20, maxMs: 40 },
    });
    s.on('spawn', (child) => pids.push(child.pid!));
    await s.start();
    const running = s.next('ready', 10_000);
    await s.restart();
    await running;
    // A second scheduled restart would come within the backoff's maximum (40 ms); give it ten times that.
    await new Promise((resolve) => setTimeout(resolve, 400));
    expect(spawns).toBe(3);
    await s.stop();
    expect(pids.filter(alive)).toEqual([]);
  });

  it('does not stay starting when the process cannot be spawned at all, and retries', async () => {
    // A working directory that does not exist: spawn itself fails (ENOENT), with no exit event.
    const s = make({ cwd: '/nonexistent/classcast-test-dir', restart: false });
    await expect(s.start()).rejects.toThrow(/failed to spawn/);
    expect(s.state).toBe('stopped');
    const retrying = make({ cwd: '/nonexistent/classcast-test-dir' });
    const states: string[] = [];
    retrying.on('state', (state) => states.push(state));
    await expect(retrying.start()).rejects.toThrow(/failed to spawn/);
    await expect.poll(() => states.filter((state) => state === 'backoff').length).toBeGreaterThanOrEqual(2);
  });

  it('restarts a child that goes silent for stallAfterMs, and keeps one that shows it is alive', async () => {
    // This one prints a line every 50 ms, and each line is its sign of life.
    const talker = make({ args: ['-e', 'console.error("ready"); setInterval(() => console.error("tick"), 50)'], stallAfterMs: 1_000 });
    talker.on('line', (_stream, line) => {
      if (line === 'tick') talker.alive();
    });
    const stalls: number[] = [];
    talker.on('stall', (silentMs) => stalls.push(silentMs));
    // This one says it is ready and then nothing: alive but silent.
    const mute = make({ stallAfterMs: 400 });
    const stalled = new Promise<number>((resolve) => mute.once('stall', resolve));
    await Promise.all([talker.start(), mute.start()]);
    const startedAt = performance.now();
    const [talkerPid, mutePid] = [talker.pid!, mute.pid!];
    expect(await stalled).toBeGreaterThan(400);
    await new Promise<void>((resolve) => mute.once('ready', resolve));
    expect(mute.pid).not.toBe(mutePid);
    expect(alive(mutePid)).toBe(false);
    // Running for well over its own stallAfterMs, the talker was never taken for stalled.
    await new Promise((resolve) => setTimeout(resolve, Math.max(0, 1_600 - (performance.now() - startedAt))));
    expect(stalls).toEqual([]);
    expect(talker.pid).toBe(talkerPid);
    expect(talker.restarts).toBe(0);
  });

  describe('stdoutInto', () => {
    // Writes 1 MiB of a known pattern to stdout, then says it is ready and stays.
    const WRITER = 'const b = Buffer.alloc(1 << 20); for (let i = 0; i < b.length; i += 1) b[i] = i % 251; process.stdout.write(b, () => { console.error("ready"); setInterval(() => {}, 1000); });';
    const pattern = (bytes: number) => Buffer.from(Array.from({ length: bytes }, (_, i) => (i % (1 << 20)) % 251));

    it('reads a child output whole and in order into one reused buffer, again after a restart', async () => {
      const chunks: Buffer[] = [];
      const buffers = new Set<ArrayBufferLike>();
      const s = make({
        args: ['-e', WRITER],
        stdoutInto: {
          bytes: 4096,
          onData: (chunk) => {
            buffers.add(chunk.buffer);
            chunks.push(Buffer.from(chunk));
          },
        },
      });
      await s.start();
      expect(s.child?.stdout).toBeNull();
      await expect.poll(() => chunks.reduce((n, c) => n + c.length, 0), { timeout: 10_000 }).toBe(1 << 20);
      const readyAgain = s.next('ready', 10_000);
      process.kill(s.pid!, 'SIGKILL');
      await readyAgain;
      await expect.poll(() => chunks.reduce((n, c) => n + c.length, 0), { timeout: 10_000 }).toBe(2 << 20);
      expect(Buffer.concat(chunks).equals(pattern(2 << 20))).toBe(true);
      // Hundreds of reads, every one into the same memory: no buffer per read.
      expect(chunks.length).toBeGreaterThanOrEqual(512);
      expect(buffers.size).toBe(1);
    });

    it('spawns nothing when stopped while the pipe is being made', async () => {
      const s = make({ args: ['-e', WRITER], stdoutInto: { bytes: 4096, onData: () => {} } });
      const spawned: number[] = [];
      s.on('spawn', (child) => spawned.push(child.pid ?? -1));
      const started = s.start();
      await s.stop();
      await expect(started).rejects.toThrow(/is stopped/);
      expect(s.state).toBe('stopped');
      expect(s.child).toBeUndefined();
      expect(spawned).toEqual([]);
    });

    it('fails a start whose pipe cannot be made, and retries until it can', async () => {
      // os.tmpdir() follows TMPDIR: a directory that does not exist, until it is put back.
      const tmpdir = process.env.TMPDIR;
      const putBack = () => {
        if (tmpdir === undefined) delete process.env.TMPDIR;
        else process.env.TMPDIR = tmpdir;
      };
      process.env.TMPDIR = '/nonexistent/classcast-test';
      try {
        const s = make({ args: ['-e', WRITER], stdoutInto: { bytes: 4096, onData: () => {} } });
        const states: string[] = [];
        s.on('state', (state) => states.push(state));
        await expect(s.start()).rejects.toMatchObject({ code: 'FFMPEG_START_FAILED', message: expect.stringMatching(/no pipe for its output/) });
        expect(states).toContain('backoff');
        expect(s.child).toBeUndefined();
        const ready = s.next('ready', 10_000);
        putBack();
        await ready;
        expect(s.state).toBe('running');
      } finally {
        putBack();
      }
    });
  });
});
