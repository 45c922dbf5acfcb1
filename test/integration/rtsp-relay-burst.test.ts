import { createSocket } from 'node:dgram';
import { readdir, readFile, readlink } from 'node:fs/promises';
import pino from 'pino';
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import { RtspRelay } from '../../devices/camera/sim/rtsp-relay.ts';
import type { Supervisor } from '../../config/foundation/process/supervisor.ts';
import { startRtspPush } from '../helpers/rtsp-source.ts';

const logger = pino({ level: 'silent' });

interface UdpSocketState {
  port: number;
  /** Bytes waiting to be read. */
  queued: number;
  /** Datagrams the kernel dropped for want of room. */
  drops: number;
}

/** The UDP sockets process `pid` holds, as /proc/net/udp shows them. */
async function udpSocketsOf(pid: number): Promise<UdpSocketState[]> {
  const inodes = new Set<string>();
  for (const fd of await readdir(`/proc/${pid}/fd`)) {
    const target = await readlink(`/proc/${pid}/fd/${fd}`).catch(() => '');
    const inode = /^socket:\[(\d+)\]$/.exec(target)?.[1];
    if (inode) inodes.add(inode);
  }
  const table = await readFile(`/proc/${pid}/net/udp`, 'utf8');
  return table
    .split('\n')
    .slice(1)
    .map((line) => line.trim().split(/\s+/))
    .filter((cols) => cols.length >= 13 && inodes.has(cols[9]!))
    .map((cols) => ({
      port: Number.parseInt(cols[1]!.split(':')[1]!, 16),
      queued: Number.parseInt(cols[4]!.split(':')[1]!, 16),
      drops: Number(cols[12]),
    }));
}

function send(port: number, packets: number, size: number): Promise<void> {
  const socket = createSocket('udp4');
  const payload = Buffer.alloc(size, 0x80);
  return new Promise((resolve, reject) => {
    let left = packets;
    const next = (): void => {
      if (left === 0) {
        socket.close();
        resolve();
        return;
      }
      left -= 1;
      socket.send(payload, port, '127.0.0.1', (error) => (error ? reject(error) : next()));
    };
    next();
  });
}

describe('the camera simulator\'s RTSP relay', () => {
  let relay: RtspRelay;
  let source: Supervisor;

  beforeAll(async () => {
    relay = new RtspRelay({ name: 'burst', host: '127.0.0.1', logger });
    await relay.start();
    source = await startRtspPush({
      relay,
      path: 'cam',
      graph: 'testsrc2=size=160x90:rate=5',
      encode: ['-c:v', 'libx264', '-preset', 'ultrafast', '-tune', 'zerolatency', '-g', '5'],
      logger,
    });
  });

  afterAll(async () => {
    await source?.stop();
    await relay?.close();
  });

  it('holds a keyframe-sized burst that arrives while it is not scheduled, instead of dropping it', async () => {
    const pid = relay.pid!;
    // Its sockets for the pushed stream (RTP and RTCP), made as the source sets up its recording.
    const sockets = await vi.waitFor(
      async () => {
        const found = await udpSocketsOf(pid);
        expect(found.length).toBeGreaterThanOrEqual(2);
        return found;
      },
      { timeout: 10_000, interval: 50 },
    );
    const before = new Map(sockets.map((s) => [s.port, s.drops]));
    // 600 KB, three times the kernel's default receive buffer, while the relay cannot read:
    // a 720p keyframe's burst on a machine whose cores are busy elsewhere.
    const burst = { packets: 500, size: 1200 };
    process.kill(pid, 'SIGSTOP');
    try {
      for (const s of sockets) await send(s.port, burst.packets, burst.size);
      const held = await udpSocketsOf(pid);
      for (const s of held) {
        expect(s.drops, `drops on port ${s.port}`).toBe(before.get(s.port));
        expect(s.queued).toBeGreaterThanOrEqual(burst.packets * burst.size);
      }
    } finally {
      process.kill(pid, 'SIGCONT');
    }
  });
});
