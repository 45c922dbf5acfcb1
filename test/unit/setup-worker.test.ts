import pino from 'pino';
import { afterEach, describe, expect, it } from 'vitest';
import { ROUTER_CODECS } from '../../pipeline/sfu/codecs.ts';
import { WorkerPool } from '../../pipeline/sfu/worker-pool.ts';

// scripts/setup.sh builds the worker from source and installs it where mediasoup's Node
// layer looks by default; this checks that binary without MEDIASOUP_WORKER_BIN, through the
// pool the daemon uses.
describe('mediasoup worker installed by scripts/setup.sh', () => {
  let pool: WorkerPool | undefined;

  afterEach(async () => {
    await pool?.close();
    pool = undefined;
  });

  it('is found without configuration, routes opus and H264, and is replaced after it dies', async () => {
    expect(process.env['MEDIASOUP_WORKER_BIN']).toBeUndefined();
    pool = new WorkerPool({ workers: 1, logLevel: 'warn', logger: pino({ level: 'silent' }) });
    await pool.start();
    const worker = pool.worker(0)!;
    expect(worker.pid).toBeGreaterThan(0);

    const router = await worker.createRouter({ mediaCodecs: ROUTER_CODECS });
    const mimeTypes = router.rtpCapabilities.codecs?.map((c) => c.mimeType);
    expect(mimeTypes).toContain('audio/opus');
    expect(mimeTypes).toContain('video/H264');

    const died = pool.next('workerdied', 10_000);
    const replaced = pool.next('workerready', 10_000);
    process.kill(worker.pid, 'SIGKILL');
    const [index, error] = await died;
    expect(index).toBe(0);
    expect(error).toBeInstanceOf(Error);
    expect(router.closed).toBe(true);
    const [, fresh] = await replaced;
    expect(fresh.pid).not.toBe(worker.pid);
    expect(pool.liveIndexes()).toEqual([0]);
  });
});
