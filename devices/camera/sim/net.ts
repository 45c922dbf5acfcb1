import { createSocket } from 'node:dgram';
import { createConnection, createServer } from 'node:net';
import { ClasscastError } from '../../../config/foundation/errors.ts';

/** A TCP port that was free a moment ago (bound on port 0, read back, released). */
export function freeTcpPort(host = '127.0.0.1'): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = createServer();
    server.once('error', reject);
    server.listen(0, host, () => {
      const address = server.address();
      const port = typeof address === 'object' && address ? address.port : 0;
      server.close(() => resolve(port));
    });
  });
}

function udpFree(host: string, port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const socket = createSocket('udp4');
    socket.once('error', () => {
      socket.close();
      resolve(false);
    });
    socket.bind(port, host, () => socket.close(() => resolve(true)));
  });
}

// Below the kernel's ephemeral range (32768–60999 on Linux), so no client socket takes them
// while the relay is not using them yet.
const RTP_LOW = 10_000;
const RTP_HIGH = 32_000;
/** rtsp-server-perl hands out two ports per SETUP (publisher and every viewer), upwards. */
export const RTP_BLOCK = 64;
let cursor = RTP_LOW + 2 * Math.floor((Math.random() * (RTP_HIGH - RTP_LOW - RTP_BLOCK)) / 2);

/**
 * An even UDP start port for the relay's RTP range. Processes running in parallel start at
 * random places; inside one process consecutive blocks are used. The first ports of the block
 * are checked free, which is what the first publisher and viewers take.
 */
export async function pickRtpStartPort(host = '127.0.0.1'): Promise<number> {
  for (let tries = 0; tries < 50; tries += 1) {
    const start = cursor;
    cursor += RTP_BLOCK;
    if (cursor + RTP_BLOCK > RTP_HIGH) cursor = RTP_LOW;
    let free = true;
    for (let port = start; port < start + 8 && free; port += 1) free = await udpFree(host, port);
    if (free) return start;
  }
  throw new ClasscastError('INTERNAL', 'no free UDP port block for RTP');
}

/** Resolves once a TCP connect to host:port succeeds; rejects at the deadline. */
export async function waitForTcp(host: string, port: number, timeoutMs: number): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const ok = await new Promise<boolean>((resolve) => {
      const socket = createConnection({ host, port });
      socket.once('connect', () => {
        socket.destroy();
        resolve(true);
      });
      socket.once('error', () => resolve(false));
    });
    if (ok) return;
    if (Date.now() > deadline) throw new ClasscastError('TIMEOUT', `nothing listening on ${host}:${port} after ${timeoutMs} ms`);
    await new Promise((r) => setTimeout(r, 50));
  }
}
