import { createSocket, type Socket } from 'node:dgram';
import pino from 'pino';
import { afterEach, describe, expect, it } from 'vitest';
import { SrtpContext } from '../../pipeline/media/srtp.ts';
import { defaultLayers } from '../../pipeline/media/targets.ts';
import type { IngestPlan } from '../../pipeline/sfu/codecs.ts';
import { pipeFeed } from '../../pipeline/sfu/pipe-feed.ts';
import type { PipeEnd, PipeOut } from '../../pipeline/sfu/pipe-out.ts';
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

/** An audio-sized RTP packet whose payload says who sent it (the program's sound stream by default). */
function packet(seq: number, words: string, ssrc = plan.audioSsrc, payloadType = plan.audioPayloadType): Buffer {
  const rtp = Buffer.alloc(12 + 40);
  rtp[0] = 0x80;
  rtp[1] = payloadType;
  rtp.writeUInt16BE(seq, 2);
  rtp.writeUInt32BE(seq * 480, 4);
  rtp.writeUInt32BE(ssrc, 8);
  rtp.write(words, 12, 'latin1');
  return rtp;
}

const sockets: Socket[] = [];
/** A UDP socket on loopback (a classroom's sink, a publisher, a stranger), closed after the test. */
async function socket(): Promise<Socket> {
  const sock = createSocket('udp4');
  await new Promise<void>((resolve) => sock.bind(0, '127.0.0.1', resolve));
  sockets.push(sock);
  return sock;
}
function closeSockets(): void {
  for (const sock of sockets.splice(0)) sock.close();
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
    await room.publish();
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

  it("makes a classroom's consumers at once, numbered in the producers' order, or none when it cannot receive one", async () => {
    const s = makeSfu(1);
    await s.start();
    const room = await s.openRoom('demo', plan);
    await room.publish();
    const viewer = await room.createViewer('a');
    const caps = room.rtpCapabilities();
    // Sound first: a client without video refused for the picture gets no consumer at all.
    const order = [...room.producerIds].reverse();
    const soundOnly = { ...caps, codecs: caps.codecs!.filter((c) => c.kind === 'audio') };
    await expect(viewer.consume(order, soundOnly)).rejects.toMatchObject({ code: 'BAD_REQUEST' });
    expect(viewer.consumerCount).toBe(0);
    const consumers = await viewer.consume(order, caps, { startPicture: true });
    expect(consumers.map((c) => c.producerId)).toEqual(order);
    expect(consumers.map((c) => c.rtpParameters.mid)).toEqual(['0', '1']);
    // The picture started; the sound waits for the page.
    expect(consumers.map((c) => [c.kind, c.paused])).toEqual([
      ['audio', true],
      ['video', false],
    ]);
    // Asked again: nothing new.
    expect(await viewer.consume(room.producerIds, caps)).toEqual([]);
    expect(viewer.consumerCount).toBe(2);
  });

  it('rebuilds on a live worker with new ingest ports when the origin worker dies', async () => {
    const s = makeSfu(2);
    await s.start();
    const room = await s.openRoom('demo', plan);
    const before = await room.publish();
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
    await room.publish();
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

  it('takes only the publisher\'s sealed packets: a stranger who sends first reaches no classroom and locks nobody out', async () => {
    const s = makeSfu(1);
    await s.start();
    const room = await s.openRoom('demo', plan);
    const ingest = await room.publish();
    try {
      // A classroom: a browser-less consumer whose packets land here.
      const sink = await socket();
      const heard: string[] = [];
      // What each RTP packet carries (after whatever header extensions the SFU adds).
      sink.on('message', (msg) => {
        const text = msg.toString('latin1');
        if (msg[1]! < 192 || msg[1]! > 223) heard.push(['PUBLISHER', 'STRANGER'].find((w) => text.includes(w)) ?? 'other');
      });
      await room.createPlainViewer('classroom', { ip: '127.0.0.1', port: sink.address().port });
      // The stranger knows the port and the SSRC, and sends first, in the clear.
      const stranger = await socket();
      const publisher = await socket();
      const seal = new SrtpContext(ingest.audio.srtp.send);
      for (let seq = 1; seq <= 20; seq += 1) stranger.send(packet(seq, 'STRANGER'), ingest.audio.port, ingest.audio.ip);
      // Then both, interleaved: only the publisher's sealed packets are taken.
      const publisherPackets = () => heard.filter((h) => h.startsWith('PUBLISHER')).length;
      for (let seq = 21; seq <= 120 && publisherPackets() === 0; seq += 1) {
        stranger.send(packet(seq, 'STRANGER'), ingest.audio.port, ingest.audio.ip);
        publisher.send(seal.protectRtp(packet(seq, 'PUBLISHER')), ingest.audio.port, ingest.audio.ip);
        await new Promise((resolve) => setTimeout(resolve, 10));
      }
      for (let seq = 121; seq <= 140; seq += 1) publisher.send(seal.protectRtp(packet(seq, 'PUBLISHER')), ingest.audio.port, ingest.audio.ip);
      const deadline = Date.now() + 5_000;
      while (publisherPackets() < 20 && Date.now() < deadline) await new Promise((resolve) => setTimeout(resolve, 20));
      expect(publisherPackets()).toBeGreaterThanOrEqual(20);
      expect(heard.filter((h) => h.startsWith('STRANGER'))).toEqual([]);
      // Each transport has keys of its own, and the SFU's feedback is sealed with another.
      expect(new Set([ingest.audio.srtp.send, ingest.video.srtp.send, ingest.audio.srtp.receive]).size).toBe(3);
    } finally {
      closeSockets();
    }
  });

  it('listens for a publisher only while the lesson is published, with new keys each time', async () => {
    const s = makeSfu(1);
    await s.start();
    const room = await s.openRoom('demo', plan);
    // Open, but not published: no ingest port, no producer, nobody joins.
    expect(room.ingest).toBeUndefined();
    expect(room.producerIds).toEqual([]);
    await expect(room.createViewer('early')).rejects.toMatchObject({ code: 'SFU_NO_BROADCAST' });
    const first = await room.publish();
    expect(await room.publish()).toBe(first);
    const viewer = await room.createViewer('a');
    await viewer.consume(room.producerIds, room.rtpCapabilities());
    expect(viewer.consumerCount).toBe(2);
    const closedConsumers = viewer.next('consumerclosed', 5_000);
    room.unpublish();
    expect(room.ingest).toBeUndefined();
    expect(room.producerIds).toEqual([]);
    await closedConsumers;
    // The ports are really closed: anyone may bind them now.
    for (const port of [first.video.port, first.audio.port]) {
      const sock = createSocket('udp4');
      await new Promise<void>((resolve, reject) => {
        sock.once('error', reject);
        sock.bind(port, '127.0.0.1', () => resolve());
      });
      sock.close();
    }
    const second = await room.publish();
    expect(second.audio.srtp.send).not.toBe(first.audio.srtp.send);
    expect(room.producerIds).toHaveLength(2);
  });

  it('feeds an edge SFU through one sealed pipe that takes nothing from strangers, and closes it with the feed', async () => {
    const origin = makeSfu(1);
    await origin.start();
    const edgeSfu = new Sfu({ workers: 1, logLevel: 'warn', network: { listenIp: '127.0.0.1', rtcMinPort: 30000, rtcMaxPort: 34999, ingestIp: '127.0.0.1' }, logger });
    try {
      await edgeSfu.start();
      const room = await origin.openRoom('demo', plan);
      const ingest = await room.publish();
      let pipe: PipeOut | undefined;
      let edgeEnd: PipeEnd | undefined;
      let released = 0;
      const edgeRoom = await edgeSfu.openRoom(
        'demo',
        pipeFeed({
          net: edgeSfu.network,
          pull: async (end) => {
            edgeEnd = end;
            pipe = await room.pipeOut(end);
            return pipe.offer;
          },
          released: () => (released += 1),
        }),
      );
      await edgeRoom.pull();
      // The edge has the origin's producers, under the same ids, and the pipe is sealed both ways.
      expect(edgeRoom.producerIds).toEqual(room.producerIds);
      expect(pipe!.offer.srtp.keyBase64).not.toBe(edgeEnd!.srtp.keyBase64);
      expect(room.pipes()).toHaveLength(1);

      const sink = await socket();
      const heard: string[] = [];
      sink.on('message', (msg) => {
        const text = msg.toString('latin1');
        if (msg[1]! < 192 || msg[1]! > 223) heard.push(['PUBLISHER', 'STRANGER'].find((w) => text.includes(w)) ?? 'other');
      });
      await edgeRoom.createPlainViewer('classroom at the edge', { ip: '127.0.0.1', port: sink.address().port });
      // What the pipe carries of the audio producer: its SSRC and payload type on the pipe.
      const piped = pipe!.offer.producers.find((p) => p.kind === 'audio' && !p.minus)!;
      const pipedSsrc = piped.rtpParameters.encodings![0]!.ssrc!;
      const pipedPt = piped.rtpParameters.codecs[0]!.payloadType;
      const stranger = await socket();
      const publisher = await socket();
      const seal = new SrtpContext(ingest.audio.srtp.send);
      const count = (word: string) => heard.filter((h) => h === word).length;
      for (let seq = 1; seq <= 400 && count('PUBLISHER') < 20; seq += 1) {
        // A stranger who knows the edge's end of the pipe sends the piped stream in the clear.
        stranger.send(packet(seq, 'STRANGER', pipedSsrc, pipedPt), edgeEnd!.port, edgeEnd!.ip);
        publisher.send(seal.protectRtp(packet(seq, 'PUBLISHER')), ingest.audio.port, ingest.audio.ip);
        await new Promise((resolve) => setTimeout(resolve, 10));
      }
      expect(count('PUBLISHER')).toBeGreaterThanOrEqual(20);
      expect(count('STRANGER')).toBe(0);

      // The lesson ends at the origin: the pipe closes with its feed; the edge lets go of its end.
      const closed = pipe!.next('closed', 5_000);
      room.unpublish();
      await closed;
      expect(room.pipes()).toHaveLength(0);
      edgeRoom.unpublish();
      expect(released).toBe(1);
      expect(edgeRoom.producerIds).toEqual([]);
    } finally {
      closeSockets();
      await edgeSfu.close();
    }
  });
});
