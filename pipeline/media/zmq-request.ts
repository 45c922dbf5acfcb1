import { connect, type Socket } from 'node:net';
import { ClasscastError } from '../../config/foundation/errors.ts';

/**
 * A minimal ZeroMQ REQ client, enough to talk to ffmpeg's `zmq`/`azmq` filters (which bind a
 * REP socket). ZMTP 3.0 (https://rfc.zeromq.org/spec/23/): a 64-byte greeting with the NULL
 * mechanism, a READY command carrying `Socket-Type`, then frames: flags byte (bit 0 MORE,
 * bit 1 LONG size, bit 2 COMMAND), size (1 or 8 bytes), body. A REQ message starts with an
 * empty delimiter frame; the REP answer comes back behind one too.
 *
 * One connection per request: commands are rare (a technician's click), and a fresh
 * connection never carries state over an ffmpeg restart.
 */
export async function zmqRequest(endpoint: ZmqEndpoint, message: string, timeoutMs = 2000): Promise<string> {
  return new Promise<string>((resolve, reject) => {
    const socket: Socket = 'path' in endpoint ? connect(endpoint.path) : connect(endpoint.port, endpoint.host);
    let buffer = Buffer.alloc(0);
    let stage: 'greeting' | 'ready' | 'reply' = 'greeting';
    const reply: Buffer[] = [];
    const fail = (error: Error) => {
      clearTimeout(timer);
      socket.destroy();
      reject(error);
    };
    const timer = setTimeout(() => fail(new ClasscastError('TIMEOUT', `zmq request timed out after ${timeoutMs} ms`)), timeoutMs);
    socket.on('error', (error) => fail(new ClasscastError('FFMPEG_EXITED', 'zmq control socket failed', { cause: error })));
    socket.on('connect', () => socket.write(greeting()));
    socket.on('data', (data) => {
      buffer = Buffer.concat([buffer, data]);
      if (stage === 'greeting') {
        if (buffer.length < 64) return;
        if (buffer[0] !== 0xff || buffer[10] !== 3) return fail(new ClasscastError('INTERNAL', 'peer does not speak ZMTP 3'));
        buffer = buffer.subarray(64);
        socket.write(frame(readyCommand('REQ'), FLAG_COMMAND));
        stage = 'ready';
      }
      for (;;) {
        const parsed = parseFrame(buffer);
        if (!parsed) return;
        buffer = buffer.subarray(parsed.consumed);
        if (stage === 'ready') {
          if (!(parsed.flags & FLAG_COMMAND)) return fail(new ClasscastError('INTERNAL', 'expected READY from zmq peer'));
          if (parsed.body.subarray(1, 1 + parsed.body[0]!).toString() === 'ERROR') {
            return fail(new ClasscastError('INTERNAL', 'zmq peer refused the handshake'));
          }
          stage = 'reply';
          socket.write(Buffer.concat([frame(Buffer.alloc(0), FLAG_MORE), frame(Buffer.from(message, 'utf8'), 0)]));
          continue;
        }
        if (parsed.flags & FLAG_COMMAND) continue; // e.g. PING; not used by libzmq 4 at defaults
        reply.push(parsed.body);
        if (!(parsed.flags & FLAG_MORE)) {
          clearTimeout(timer);
          socket.end();
          // The first frame of a REP answer is the empty delimiter.
          resolve(Buffer.concat(reply.filter((b) => b.length > 0)).toString('utf8'));
          return;
        }
      }
    });
  });
}

export type ZmqEndpoint = { path: string } | { host: string; port: number };

/** `ipc:///x` or `tcp://h:p` as ffmpeg's filter wants it, from an endpoint. */
export function zmqAddress(endpoint: ZmqEndpoint): string {
  return 'path' in endpoint ? `ipc://${endpoint.path}` : `tcp://${endpoint.host}:${endpoint.port}`;
}

const FLAG_MORE = 0x01;
const FLAG_LONG = 0x02;
const FLAG_COMMAND = 0x04;

function greeting(): Buffer {
  const g = Buffer.alloc(64);
  g[0] = 0xff;
  g[9] = 0x7f;
  g[10] = 3; // major
  g[11] = 0; // minor
  g.write('NULL', 12, 'ascii'); // mechanism, zero-padded to 20 bytes
  g[32] = 0; // as-server: we are the client
  return g;
}

function readyCommand(socketType: string): Buffer {
  const name = Buffer.from('READY');
  const key = Buffer.from('Socket-Type');
  const value = Buffer.from(socketType);
  const valueSize = Buffer.alloc(4);
  valueSize.writeUInt32BE(value.length);
  return Buffer.concat([Buffer.from([name.length]), name, Buffer.from([key.length]), key, valueSize, value]);
}

function frame(body: Buffer, flags: number): Buffer {
  if (body.length <= 255) return Buffer.concat([Buffer.from([flags, body.length]), body]);
  const head = Buffer.alloc(9);
  head[0] = flags | FLAG_LONG;
  head.writeBigUInt64BE(BigInt(body.length), 1);
  return Buffer.concat([head, body]);
}

function parseFrame(buffer: Buffer): { flags: number; body: Buffer; consumed: number } | undefined {
  if (buffer.length < 2) return undefined;
  const flags = buffer[0]!;
  let size: number;
  let head: number;
  if (flags & FLAG_LONG) {
    if (buffer.length < 9) return undefined;
    size = Number(buffer.readBigUInt64BE(1));
    head = 9;
  } else {
    size = buffer[1]!;
    head = 2;
  }
  if (buffer.length < head + size) return undefined;
  return { flags, body: buffer.subarray(head, head + size), consumed: head + size };
}
