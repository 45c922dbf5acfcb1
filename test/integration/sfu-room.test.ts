import pino from 'pino';
import { afterEach, describe, expect, it } from 'vitest';
import { defaultLayers } from '../../pipeline/media/targets.ts';
import type { IngestPlan } from '../../pipeline/sfu/codecs.ts';
import { Sfu } from '../../pipeline/sfu/sfu.ts';

const logger = pino({ level: 'silent' });
const plan: IngestPlan = { videoPayloadType: 102, layers: defaultLayers(640, 360, 800), audioPayloadType: 100, audioSsrc: 0x1111 };
let sfu: Sfu | undefined;

function makeSfu(workers: number): Sfu {
  sfu = new Sfu({
    workers,
    logLevel: 'warn',
    network: { listenIp: '127.0.0.1', rtcMinPort: 20000, rtcMaxPort: 29999, ingestIp: '127.0.0.1' },
    logger,
  });
  return sfu;
}

afterEach(async () => {
  await sfu?.close();
  sfu = undefined;
});

describe('SFU rooms', () => {
  it('opens a room with simulcast producers and spreads viewers over every worker', async () => {
    const s = makeSfu(2);
    await s.start();
    const room = await s.openRoom('demo', plan);
    expect(room.ingest?.video.port).toBeGreaterThan(0);
    expect(room.ingest?.audio.port).toBeGreaterThan(0);
    expect(room.producerIds).toHaveLength(2);
    const viewers = await Promise.all(['a', 'b', 'c', 'd'].map((n) => room.createViewer(n)));
    expect(new Set(viewers.map((v) => v.workerIndex))).toEqual(new Set([0, 1]));
    expect(room.spread()).toEqual({ 0: 2, 1: 2 });
    // Every viewer offers ICE over TCP as well as UDP.
    for (const v of viewers) expect(new Set(v.transportInfo.iceCandidates.map((c) => c.protocol))).toEqual(new Set(['udp', 'tcp']));
    const tcpOnly = await room.createViewer('behind-firewall', { forceTcp: true });
    expect(tcpOnly.transportInfo.iceCandidates.every((c) => c.protocol === 'tcp')).toBe(true);
  });

  it('rebuilds on a live worker with new ingest ports when the origin worker dies', async () => {
    const s = makeSfu(2);
    await s.start();
    const room = await s.openRoom('demo', plan);
    const before = room.ingest!;
    const oldProducers = room.producerIds;
    const originViewer = await room.createViewer('on-origin');
    const edgeViewer = await room.createViewer('on-edge');
    expect(originViewer.workerIndex).not.toBe(edgeViewer.workerIndex);
    const originClosed = originViewer.next('closed', 20_000);
    const ingestAgain = room.next('ingest', 20_000);
    process.kill(s.pool.worker(originViewer.workerIndex)!.pid, 'SIGKILL');
    const [reason] = await originClosed;
    expect(reason).toMatch(/closed/);
    const [after] = await ingestAgain;
    expect(after.video.port).not.toBe(before.video.port);
    expect(room.producerIds).toHaveLength(2);
    expect(room.producerIds).not.toEqual(oldProducers);
    // Viewers of the old producers were dropped too (their routers were closed with the room).
    expect(edgeViewer.closed).toBe(true);
    const fresh = await room.createViewer('after');
    expect(fresh.closed).toBe(false);
  });

  it('keeps the broadcast when an edge worker dies and re-adds the edge when it is replaced', async () => {
    const s = makeSfu(2);
    await s.start();
    const room = await s.openRoom('demo', plan);
    const producers = room.producerIds;
    const a = await room.createViewer('a');
    const b = await room.createViewer('b');
    const edge = [a, b].find((v) => v.workerIndex !== 0)!;
    const origin = [a, b].find((v) => v.workerIndex === 0)!;
    const closed = edge.next('closed', 20_000);
    const replaced = s.pool.next('workerready', 20_000);
    process.kill(s.pool.worker(edge.workerIndex)!.pid, 'SIGKILL');
    await closed;
    expect(origin.closed).toBe(false);
    expect(room.producerIds).toEqual(producers);
    const [index] = await replaced;
    expect(index).toBe(edge.workerIndex);
    // The replacement gets an edge router again: new viewers spread onto it.
    await expect.poll(() => Object.keys(room.spread()).length, { timeout: 10_000 }).toBe(2);
  });
});
