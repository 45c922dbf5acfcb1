import { createServer } from 'node:net';

/**
 * A TCP port that was free a moment ago (bind to 0, read it back, release it). Only for tests
 * that must restart a server on the same port, e.g. so a page can reconnect to it.
 */
export function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = createServer();
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => {
      const address = server.address();
      const port = typeof address === 'object' && address ? address.port : 0;
      server.close(() => resolve(port));
    });
  });
}
