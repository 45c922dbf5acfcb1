import { createServer, type Server } from 'node:http';
import { connect, type AddressInfo, type Socket } from 'node:net';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { WebSocket } from 'ws';
import { SocketRouter, upgradeTarget } from '../../daemon/ws/socket-router.ts';

/** Opens a raw TCP connection, writes `text`, and collects whatever comes back until close. */
function rawExchange(port: number, text: string): Promise<string> {
  return new Promise((resolve, reject) => {
    const socket = connect(port, '127.0.0.1');
    let answer = '';
    socket.on('data', (data) => (answer += data.toString()));
    socket.on('error', reject);
    socket.on('close', () => resolve(answer));
    // A server that never answers (or died) fails the test here instead of hanging it.
    socket.setTimeout(5_000, () => {
      socket.destroy();
      reject(new Error(`no answer to ${JSON.stringify(text.split('\r\n')[0])}`));
    });
    socket.write(text);
  });
}

const upgradeHeaders = 'Upgrade: websocket\r\nConnection: Upgrade\r\nSec-WebSocket-Version: 13\r\nSec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\n';

describe('socket router: whatever reaches the upgrade path, only that peer is affected', () => {
  let server: Server;
  let router: SocketRouter;
  let port: number;
  const open: WebSocket[] = [];

  beforeEach(async () => {
    server = createServer((_request, response) => response.end('ok'));
    router = new SocketRouter(server, { maxSocketsPerAddress: 3 });
    router.add('/ws/echo', { onConnection: (socket) => socket.on('message', (data) => socket.send(data)) });
    router.add('/ws/locked', { accept: () => 401, onConnection: () => {} });
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    port = (server.address() as AddressInfo).port;
  });

  afterEach(async () => {
    for (const s of open.splice(0)) s.terminate();
    router.close();
    server.closeAllConnections();
    await new Promise((resolve) => server.close(resolve));
  });

  const echoWorks = async () => {
    const socket = new WebSocket(`ws://127.0.0.1:${port}/ws/echo`);
    open.push(socket);
    await new Promise<void>((resolve, reject) => {
      socket.once('open', resolve);
      socket.once('error', reject);
    });
    socket.send('still here');
    const reply = await new Promise<string>((resolve) => socket.once('message', (data) => resolve(String(data))));
    socket.close();
    open.splice(open.indexOf(socket), 1);
    return reply;
  };

  it('parses only origin-form targets', () => {
    expect(upgradeTarget('//x:99999')?.pathname).toBe('//x:99999');
    expect(upgradeTarget('/ws/sfu?token=a')?.searchParams.get('token')).toBe('a');
    expect(upgradeTarget('http://evil/ws/sfu')).toBeUndefined();
    expect(upgradeTarget('*')).toBeUndefined();
    expect(upgradeTarget('')).toBeUndefined();
    expect(upgradeTarget(undefined)).toBeUndefined();
  });

  it('answers an upgrade to a target that is not a valid URL with a 4xx and keeps serving', async () => {
    for (const target of ['//x:99999', '//[::1', 'http://x:99999/ws/echo', '*', '/ws/echo/../%zz']) {
      const answer = await rawExchange(port, `GET ${target} HTTP/1.1\r\nHost: x\r\n${upgradeHeaders}\r\n`);
      expect(answer, target).toMatch(/^HTTP\/1\.1 4\d\d /);
    }
    expect(await echoWorks()).toBe('still here');
  });

  it('survives peers that reset a refused upgrade, before and after our answer', async () => {
    const resets: Promise<void>[] = [];
    for (let i = 0; i < 40; i += 1) {
      resets.push(
        new Promise((resolve) => {
          const socket: Socket = connect(port, '127.0.0.1', () => {
            socket.write(`GET /ws/locked HTTP/1.1\r\nHost: x\r\n${upgradeHeaders}\r\n`);
            // Half of them reset at once (our answer then meets a dead socket), half after
            // the first byte of the answer arrives.
            if (i % 2 === 0) socket.resetAndDestroy();
            else socket.once('data', () => socket.resetAndDestroy());
          });
          socket.on('error', () => {});
          socket.on('close', () => resolve());
        }),
      );
    }
    await Promise.all(resets);
    expect(await echoWorks()).toBe('still here');
  });

  it('refuses a socket past the per-address cap with 429, and admits again once one closes', async () => {
    const sockets = await Promise.all(
      [0, 1, 2].map(
        () =>
          new Promise<WebSocket>((resolve, reject) => {
            const s = new WebSocket(`ws://127.0.0.1:${port}/ws/echo`);
            open.push(s);
            s.once('open', () => resolve(s));
            s.once('error', reject);
          }),
      ),
    );
    expect(router.counts.sockets).toBe(3);
    const answer = await rawExchange(port, `GET /ws/echo HTTP/1.1\r\nHost: x\r\n${upgradeHeaders}\r\n`);
    expect(answer).toMatch(/^HTTP\/1\.1 429 /);
    expect(answer).toContain('"RATE_LIMITED"');
    const closed = new Promise((resolve) => sockets[0]!.once('close', resolve));
    sockets[0]!.close();
    await closed;
    // The server counts the close when its side has seen it.
    await expect.poll(() => router.counts.sockets).toBe(2);
    expect(await echoWorks()).toBe('still here');
  });
});
