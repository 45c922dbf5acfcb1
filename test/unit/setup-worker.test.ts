import { once } from 'node:events';
import { afterEach, describe, expect, it } from 'vitest';
import * as mediasoup from 'mediasoup';
import type { types } from 'mediasoup';

// scripts/setup.sh builds the worker from source and installs it where mediasoup's Node
// layer looks by default; this checks that binary without MEDIASOUP_WORKER_BIN.
describe('mediasoup worker installed by scripts/setup.sh', () => {
  let worker: types.Worker | undefined;

  afterEach(() => {
    worker?.close();
    worker = undefined;
  });

  it('is found without configuration, routes opus and H264, and reports its death', async () => {
    expect(process.env['MEDIASOUP_WORKER_BIN']).toBeUndefined();
    worker = await mediasoup.createWorker({ logLevel: 'warn' });
    expect(worker.pid).toBeGreaterThan(0);

    const router = await worker.createRouter({
      mediaCodecs: [
        { kind: 'audio', mimeType: 'audio/opus', clockRate: 48000, channels: 2 },
        { kind: 'video', mimeType: 'video/H264', clockRate: 90000, parameters: { 'packetization-mode': 1 } },
      ],
    });
    const mimeTypes = router.rtpCapabilities.codecs?.map((c) => c.mimeType);
    expect(mimeTypes).toContain('audio/opus');
    expect(mimeTypes).toContain('video/H264');

    const died = once(worker, 'died', { signal: AbortSignal.timeout(10_000) });
    process.kill(worker.pid, 'SIGKILL');
    const [error] = (await died) as [Error];
    expect(error).toBeInstanceOf(Error);
    expect(worker.died).toBe(true);
    expect(router.closed).toBe(true);
  });
});
