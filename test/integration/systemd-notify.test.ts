import { spawn, type ChildProcess } from 'node:child_process';
import { existsSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import pino from 'pino';
import { afterEach, describe, expect, it } from 'vitest';
import { SystemdNotifier, systemdEnvFrom } from '../../daemon/systemd/notifier.ts';
import { waitFor } from '../helpers/browser.ts';

/** A stand-in for systemd's notify socket: socat receiving datagrams on a unix socket. */
function notifySocket(dir: string): { socket: string; received: () => string; child: ChildProcess } {
  const socket = path.join(dir, 'notify.sock');
  const child = spawn('socat', ['-u', `UNIX-RECV:${socket}`, 'STDOUT'], { stdio: ['ignore', 'pipe', 'ignore'] });
  let text = '';
  child.stdout!.on('data', (chunk: Buffer) => (text += chunk.toString()));
  return { socket, received: () => text, child };
}

describe('SystemdNotifier over a real notify socket', () => {
  let dir: string | undefined;
  let child: ChildProcess | undefined;
  let notifier: SystemdNotifier | undefined;

  afterEach(() => {
    notifier?.close();
    child?.kill('SIGKILL');
    if (dir) rmSync(dir, { recursive: true, force: true });
  });

  it('reads only the systemd variables it needs', () => {
    expect(systemdEnvFrom({ NOTIFY_SOCKET: '/run/x', WATCHDOG_USEC: '30000000', WATCHDOG_PID: '42', HOME: '/root' })).toEqual({
      notifySocket: '/run/x',
      watchdogUsec: 30_000_000,
      watchdogPid: 42,
    });
    expect(systemdEnvFrom({ WATCHDOG_USEC: 'soon' })).toEqual({});
  });

  it('sends READY, pings the watchdog at a third of WatchdogSec while healthy, and STOPPING', async () => {
    dir = mkdtempSync(path.join(tmpdir(), 'classcast-sd-'));
    const sock = notifySocket(dir);
    child = sock.child;
    await waitFor(async () => existsSync(sock.socket), Boolean, 5000, 'notify socket');
    let healthy = true;
    notifier = new SystemdNotifier({
      env: { notifySocket: sock.socket, watchdogUsec: 1_500_000, watchdogPid: process.pid },
      logger: pino({ level: 'silent' }),
      healthy: () => healthy,
    });
    expect(notifier.watchdogIntervalMs).toBe(500);
    await notifier.ready('serving on :8080');
    expect(sock.received()).toContain('READY=1');
    expect(sock.received()).toContain('STATUS=serving on :8080');
    expect(sock.received()).toContain(`MAINPID=${process.pid}`);
    await waitFor(async () => sock.received().split('WATCHDOG=1').length - 1, (n) => n >= 2, 5000, 'two watchdog pings');

    // Unhealthy: the pings stop, so systemd would restart the service.
    healthy = false;
    const start = Date.now();
    await waitFor(async () => Date.now() - start, (ms) => ms > 600, 2000, 'a ping interval');
    const frozen = sock.received().split('WATCHDOG=1').length;
    await waitFor(async () => Date.now() - start, (ms) => ms > 1700, 3000, 'two more ping intervals');
    expect(sock.received().split('WATCHDOG=1').length).toBe(frozen);

    await notifier.stopping();
    expect(sock.received()).toContain('STOPPING=1');
  });

  it('does nothing outside systemd and ignores a watchdog meant for another process', async () => {
    const outside = new SystemdNotifier({ env: {}, logger: pino({ level: 'silent' }), command: '/bin/false' });
    expect(outside.enabled).toBe(false);
    expect(outside.watchdogIntervalMs).toBeUndefined();
    await outside.ready();
    outside.close();
    const other = new SystemdNotifier({ env: { notifySocket: '/nowhere', watchdogUsec: 3_000_000, watchdogPid: process.pid + 1 }, logger: pino({ level: 'silent' }) });
    expect(other.watchdogIntervalMs).toBeUndefined();
    other.close();
  });
});
