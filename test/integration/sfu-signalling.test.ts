import { readFileSync } from 'node:fs';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import path from 'node:path';
import { Device, ortc, type types } from 'mediasoup-client';
import { Chrome111 } from 'mediasoup-client/handlers/Chrome111';
import pino from 'pino';
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { WebSocket } from 'ws';
import { sfuSchema } from '../../config/schema/sfu.ts';
import { JoinTokens } from '../../daemon/auth/join-tokens.ts';
import { PublisherHub } from '../../daemon/publish/publisher-hub.ts';
import { RemoteRoom } from '../../daemon/publish/remote-room.ts';
import { chromiumRecvCapabilities, nativeRtpCapabilities } from '../../daemon/signalling/browser-capabilities.ts';
import { CLOSE_JOIN_DEADLINE, type JoinTiming } from '../../daemon/signalling/member-session.ts';
import { MemberSignalling } from '../../daemon/signalling/member-signalling.ts';
import { SocketRouter } from '../../daemon/ws/socket-router.ts';
import { defaultLayers } from '../../pipeline/media/targets.ts';
import type { IngestPlan } from '../../pipeline/sfu/codecs.ts';
import { Sfu } from '../../pipeline/sfu/sfu.ts';

const logger = pino({ level: 'silent' });
const SECRET = 'a-join-token-secret-of-enough-length-for-hmac';
const PUBLISHER_TOKEN = 'publisher-token-0123456789abcdef';
const plan: IngestPlan = { videoPayloadType: 102, layers: defaultLayers(640, 360, 800), audioPayloadType: 100, audioSsrc: 0x1111 };

interface Frame {
  id?: number | null;
  ok?: boolean;
  data?: Record<string, unknown>;
  error?: { code: string; message: string };
  notification?: string;
}

/** A `ws` client speaking the request/answer protocol, collecting every frame it gets. */
class Client {
  readonly frames: Frame[] = [];
  #nextId = 1;
  private constructor(readonly socket: WebSocket) {
    socket.on('message', (raw) => this.frames.push(JSON.parse(raw.toString()) as Frame));
  }

  static async open(url: string, headers: Record<string, string> = {}): Promise<Client> {
    const socket = new WebSocket(url, { headers });
    await new Promise<void>((resolve, reject) => {
      socket.once('open', () => resolve());
      socket.once('error', reject);
    });
    return new Client(socket);
  }

  async raw(data: string | Buffer, id?: number): Promise<Frame> {
    const before = this.frames.length;
    this.socket.send(data);
    return this.#waitFrame((f, i) => i >= before && (id === undefined || f.id === id));
  }

  request(method: string, data: unknown = {}): Promise<Frame> {
    const id = this.#nextId++;
    return this.raw(JSON.stringify({ id, method, data }), id);
  }

  notification(name: string): Promise<Frame> {
    return this.#waitFrame((f) => f.notification === name);
  }

  async #waitFrame(match: (f: Frame, index: number) => boolean): Promise<Frame> {
    const deadline = Date.now() + 10_000;
    for (;;) {
      const found = this.frames.find((f, i) => match(f, i));
      if (found) return found;
      if (Date.now() > deadline) throw new Error(`no matching frame; got ${JSON.stringify(this.frames)}`);
      await new Promise((r) => setTimeout(r, 20));
    }
  }
}

describe('/ws/sfu and /ws/publish over a real socket', () => {
  let server: Server;
  let sockets: SocketRouter;
  let sfu: Sfu;
  let signalling: MemberSignalling;
  let hub: PublisherHub;
  const publisherSockets: WebSocket[] = [];
  let base: string;
  const tokens = new JoinTokens(SECRET);
  const clients: Client[] = [];
  /** Broadcast states set by a test directly (else the publisher hub's). */
  const states = new Map<string, { state: 'idle' | 'live' }>();
  const publish = async (state: 'idle' | 'live') => {
    states.set('room-a', { state });
  };

  beforeEach(async () => {
    sfu = new Sfu({
      workers: 1,
      logLevel: 'warn',
      // 127.0.0.2 stands for the public address: it must reach ICE candidates and ingest.
      network: {
        listenIp: '127.0.0.1',
        announcedAddress: '127.0.0.2',
        rtcMinPort: 20000,
        rtcMaxPort: 29999,
        ingestIp: '127.0.0.1',
        ingestAnnouncedAddress: '127.0.0.2',
      },
      logger,
    });
    await sfu.start();
    hub = new PublisherHub({
      sfu,
      publishers: sfuSchema.parse({ publishers: [{ name: 'room-a encoder', room: 'room-a', token: PUBLISHER_TOKEN }] }).publishers,
      broadcastChanged: (roomId, info) => signalling.broadcastChanged(roomId, info),
      logger,
    });
    states.clear();
    signalling = new MemberSignalling({ sfu, joinTokens: tokens, broadcastInfo: (roomId) => states.get(roomId) ?? hub.info(roomId), logger, joinDeadlineMs: 1_500 });
    server = createServer();
    sockets = new SocketRouter(server);
    sockets.add('/ws/sfu', { onConnection: (socket) => signalling.accept(socket) });
    sockets.add('/ws/publish', {
      accept: (request) => hub.refuse(request),
      onConnection: (socket, request) => {
        publisherSockets.push(socket);
        hub.accept(socket, request);
      },
    });
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    base = `ws://127.0.0.1:${(server.address() as AddressInfo).port}`;
  });

  afterEach(async () => {
    for (const c of clients.splice(0)) c.socket.terminate();
    publisherSockets.length = 0;
    sockets.close();
    signalling.close();
    hub.close();
    await new Promise((resolve) => server.close(resolve));
    await sfu.close();
  });

  const member = async () => {
    const c = await Client.open(`${base}/ws/sfu`);
    clients.push(c);
    return c;
  };

  it('gives nothing to a missing, forged, expired or other-broadcast token', async () => {
    await (await sfu.openRoom('room-a', plan)).publish();
    const c = await member();
    expect((await c.request('createTransport')).error?.code).toBe('UNAUTHORIZED');

    const valid = tokens.issue('school-1', 'room-a', 10).token;
    const forged = `${valid.split('.')[0]}.${'A'.repeat(43)}`;
    expect((await c.request('join', { token: forged })).error?.code).toBe('UNAUTHORIZED');
    const otherSecret = new JoinTokens('another-secret-of-enough-length-for-hmac-x').issue('school-1', 'room-a', 10).token;
    expect((await c.request('join', { token: otherSecret })).error?.code).toBe('UNAUTHORIZED');
    const expired = new JoinTokens(SECRET, () => Date.now() - 3_600_000).issue('school-1', 'room-a', 5).token;
    expect((await c.request('join', { token: expired })).error?.code).toBe('FORBIDDEN');
    // None of those joined: still nothing.
    expect((await c.request('createTransport')).error?.code).toBe('UNAUTHORIZED');
    expect((await c.request('consume', { rtpCapabilities: {} })).error?.code).toBe('UNAUTHORIZED');
    expect(sfu.room('room-a')!.viewerCount).toBe(0);

    // A valid token for another broadcast reaches only that broadcast (which is not on).
    const other = await member();
    expect((await other.request('join', { token: tokens.issue('school-2', 'room-b', 10).token })).ok).toBe(true);
    expect((await other.request('createTransport')).error?.code).toBe('SFU_NO_BROADCAST');
    expect(sfu.room('room-a')!.viewerCount).toBe(0);
  });

  it('answers malformed frames with error frames and keeps the connection', async () => {
    await (await sfu.openRoom('room-a', plan)).publish();
    const c = await member();
    expect((await c.raw('not json')).error?.code).toBe('BAD_REQUEST');
    expect((await c.raw(Buffer.from([1, 2, 3]))).error?.code).toBe('BAD_REQUEST');
    expect((await c.raw(JSON.stringify({ id: 7, method: 'explode', data: {} }), 7)).error?.code).toBe('BAD_REQUEST');
    expect((await c.raw(JSON.stringify({ id: 8, method: 'join', data: { token: 42 } }), 8)).error?.code).toBe('BAD_REQUEST');
    expect((await c.raw(JSON.stringify({ id: 9, method: 'resume' }), 9)).error?.code).toBe('BAD_REQUEST');
    expect((await c.raw(JSON.stringify([1, 2]))).error?.code).toBe('BAD_REQUEST');
    expect(c.socket.readyState).toBe(WebSocket.OPEN);
    expect((await c.request('ping')).ok).toBe(true);

    // And after all that a valid join still works, with the announced address in ICE.
    const join = await c.request('join', { token: tokens.issue('school-1', 'room-a', 10).token });
    expect(join.ok).toBe(true);
    expect(join.data).toMatchObject({ classroom: 'school-1', broadcast: 'room-a', available: true });
    const transport = await c.request('createTransport');
    expect(transport.ok).toBe(true);
    const candidates = transport.data!.iceCandidates as { address: string; protocol: string }[];
    expect(candidates.length).toBeGreaterThanOrEqual(2);
    expect(candidates.every((cand) => cand.address === '127.0.0.2')).toBe(true);
    const tcpOnly = await c.request('createTransport', { forceTcp: true });
    expect((tcpOnly.data!.iceCandidates as { protocol: string }[]).every((cand) => cand.protocol === 'tcp')).toBe(true);
  });

  it('brings the transport and paused consumers in the join answer when the page sends its capabilities', async () => {
    const room = await sfu.openRoom('room-a', plan);
    await room.publish();
    await publish('live');
    // Each answered join is reported (the metrics time the box's part of a classroom's join).
    const joined: JoinTiming[] = [];
    signalling.on('joined', (join) => joined.push(join));
    const c = await member();
    const forged = new JoinTokens('another-secret-of-enough-length-for-hmac-x').issue('school-1', 'room-a', 10).token;
    expect((await c.request('join', { token: forged, media: { rtpCapabilities: room.rtpCapabilities() } })).error?.code).toBe('UNAUTHORIZED');
    // Before joining there is no picture to have shown.
    expect((await c.request('shown')).error?.code).toBe('UNAUTHORIZED');
    const join = await c.request('join', { token: tokens.issue('school-1', 'room-a', 10).token, media: { rtpCapabilities: room.rtpCapabilities() } });
    expect(join.ok).toBe(true);
    const media = join.data!.media as { transport: { id: string; iceCandidates: unknown[] }; consumers: { id: string; kind: string }[] };
    expect(media.transport.iceCandidates.length).toBeGreaterThan(0);
    expect(media.consumers.map((k) => k.kind).sort()).toEqual(['audio', 'video']);
    expect(room.viewerCount).toBe(1);
    expect((await c.request('resume', { consumerIds: media.consumers.map((k) => k.id) })).ok).toBe(true);
    expect((await c.request('resume', { consumerId: media.consumers[0]!.id, consumerIds: [media.consumers[0]!.id] })).error?.code).toBe('BAD_REQUEST');
    expect((await c.request('resume', { consumerIds: ['nobody'] })).error?.code).toBe('NOT_FOUND');
    // The page's first picture lets its video move up from the low layer; saying so twice is fine.
    expect((await c.request('shown')).ok).toBe(true);
    expect((await c.request('shown')).ok).toBe(true);
    // No talk-back desk behind this room: a raised hand is refused, the join said so already.
    expect(join.data!.talkback).toBe(false);
    expect((await c.request('raiseHand')).error?.code).toBe('FORBIDDEN');
    expect((await c.request('lowerHand')).ok).toBe(true);
    // Joining again (a page that reconnects on the same socket) replaces the transport.
    await c.request('join', { token: tokens.issue('school-1', 'room-a', 10).token, media: { rtpCapabilities: room.rtpCapabilities() } });
    expect(room.viewerCount).toBe(1);

    // With the DTLS parameters of the page's certificate, the transport comes connected and
    // the picture started: the page neither connects nor resumes it.
    const fingerprint = { algorithm: 'sha-256', value: Array.from({ length: 32 }, (_, i) => (i + 16).toString(16).toUpperCase()).join(':') };
    const early = await c.request('join', {
      token: tokens.issue('school-1', 'room-a', 10).token,
      media: { rtpCapabilities: room.rtpCapabilities(), dtlsParameters: { role: 'client', fingerprints: [fingerprint] } },
    });
    const started = early.data!.media as { connected: boolean; consumers: { kind: string; paused: boolean }[] };
    expect(started.connected).toBe(true);
    expect(started.consumers.map((k) => [k.kind, k.paused]).sort()).toEqual([
      ['audio', true],
      ['video', false],
    ]);
    expect((await c.request('connectTransport', { dtlsParameters: { role: 'client', fingerprints: [fingerprint] } })).ok).toBe(false);
    // Without them, as before: paused consumers on a transport the page connects.
    expect((join.data!.media as { connected: boolean }).connected).toBe(false);
    expect((join.data!.media as { consumers: { paused: boolean }[] }).consumers.every((k) => k.paused)).toBe(true);
    // DTLS parameters mediasoup refuses: the join stands, without media (the page goes step by step).
    const refused = await c.request('join', {
      token: tokens.issue('school-1', 'room-a', 10).token,
      media: { rtpCapabilities: room.rtpCapabilities(), dtlsParameters: { role: 'client', fingerprints: [{ algorithm: 'md5', value: 'AB' }] } },
    });
    expect(refused.ok).toBe(true);
    expect(refused.data!.media).toBeUndefined();

    // While the broadcast is not live, the join answers without media.
    await publish('idle');
    const later = await member();
    const idle = await later.request('join', { token: tokens.issue('school-2', 'room-a', 10).token, media: { rtpCapabilities: room.rtpCapabilities() } });
    expect(idle.ok).toBe(true);
    expect(idle.data!.media).toBeUndefined();
    // Five answered joins, in order (the forged one was refused): which set the picture up, and
    // each took its time in the box, request in before answer out.
    expect(joined.map((j) => [j.classroom, j.media])).toEqual([
      ['school-1', true],
      ['school-1', true],
      ['school-1', true],
      ['school-1', false],
      ['school-2', false],
    ]);
    for (const j of joined) expect(j.answeredAt).toBeGreaterThan(j.receivedAt);
  });

  it("works a Chromium page's capabilities out of its native offer, as its device does, for the join its HTML sends", async () => {
    const room = await sfu.openRoom('room-a', plan);
    await room.publish();
    await publish('live');
    const offer = readFileSync(path.join(import.meta.dirname, '../fixtures/whep-offer-chromium.sdp'), 'utf8');
    // mediasoup-client's own Device.load over the same native offer and router capabilities.
    const device = new Device({
      handlerFactory: {
        name: 'Chrome111',
        factory: () => {
          throw new Error('no browser here');
        },
        getNativeRtpCapabilities: async () => nativeRtpCapabilities(offer),
      },
    });
    await device.load({ routerRtpCapabilities: room.rtpCapabilities() as never });
    const worked = chromiumRecvCapabilities(offer, room.rtpCapabilities());
    expect(worked).toEqual(device.rtpCapabilities);
    expect(worked.codecs!.map((c) => c.mimeType)).toEqual(expect.arrayContaining(['audio/opus', 'video/H264']));

    const c = await member();
    const token = tokens.issue('school-1', 'room-a', 10).token;
    const join = await c.request('join', { token, media: { nativeOffer: offer } });
    const media = join.data!.media as { consumers: { kind: string; rtpParameters: unknown }[] };
    expect(media.consumers.map((k) => k.kind).sort()).toEqual(['audio', 'video']);
    // What comes back is what that device takes.
    for (const consumer of media.consumers) expect(ortc.canReceive(consumer.rtpParameters as never, device.rtpCapabilities)).toBe(true);
    // Without DTLS parameters, no offer: the page's script sets its receivers up itself.
    expect((join.data!.media as { offer?: string }).offer).toBeUndefined();

    // The join the HTML sends (with its certificate's fingerprint) brings the transport's SDP
    // offer: the very one mediasoup-client's Chrome111 handler sets when its transport consumes
    // these consumers (captured from its peer connection here, as no browser runs).
    const fingerprint = { algorithm: 'sha-256', value: Array.from({ length: 32 }, (_, i) => (i + 16).toString(16).toUpperCase()).join(':') };
    const early = await c.request('join', { token, media: { nativeOffer: offer, dtlsParameters: { role: 'client', fingerprints: [fingerprint] } } });
    const started = early.data!.media as { transport: { id: string; iceParameters: unknown; iceCandidates: unknown; dtlsParameters: unknown }; consumers: { id: string; producerId: string; kind: 'audio' | 'video'; rtpParameters: unknown }[]; offer: string };
    expect(started.offer).toMatch(/^v=0/);
    const handlerSets: string[] = [];
    vi.stubGlobal(
      'RTCPeerConnection',
      class {
        connectionState = 'new';
        addEventListener() {}
        removeEventListener() {}
        close() {}
        async setRemoteDescription(description: { sdp: string }) {
          handlerSets.push(description.sdp);
          throw new Error('captured');
        }
      },
    );
    vi.stubGlobal('MediaStream', class {});
    try {
      const pageDevice = new Device({ handlerFactory: { ...Chrome111.createFactory({}), getNativeRtpCapabilities: async () => nativeRtpCapabilities(offer) } });
      await pageDevice.load({ routerRtpCapabilities: room.rtpCapabilities() as never });
      const transport = pageDevice.createRecvTransport({
        id: started.transport.id,
        iceParameters: started.transport.iceParameters as types.IceParameters,
        iceCandidates: started.transport.iceCandidates as types.IceCandidate[],
        dtlsParameters: started.transport.dtlsParameters as types.DtlsParameters,
      });
      transport.on('connect', (_parameters, callback) => callback());
      await Promise.allSettled(started.consumers.map((k) => transport.consume({ ...k, rtpParameters: k.rtpParameters as types.RtpParameters })));
    } finally {
      vi.unstubAllGlobals();
    }
    expect(handlerSets[0]).toBe(started.offer);

    // An offer that cannot be read: the join stands, without media.
    const unreadable = await c.request('join', { token, media: { nativeOffer: 'v=0\r\nnot an offer' } });
    expect(unreadable.ok).toBe(true);
    expect(unreadable.data!.media).toBeUndefined();
    // Capabilities both ways at once, or neither: a bad request, and the connection stays.
    expect((await c.request('join', { token, media: { nativeOffer: offer, rtpCapabilities: room.rtpCapabilities() } })).error?.code).toBe('BAD_REQUEST');
    expect((await c.request('join', { token, media: {} })).error?.code).toBe('BAD_REQUEST');
    expect((await c.request('ping')).ok).toBe(true);
  });

  it('bounds what one member link holds: sessions per token, one transport per session, a join deadline', async () => {
    await (await sfu.openRoom('room-a', plan)).publish();
    const token = tokens.issue('school-1', 'room-a', 10).token;
    // Five sockets on one link, each firing twenty createTransports at once.
    const sessions = await Promise.all([0, 1, 2, 3, 4].map(() => member()));
    const joins = await Promise.all(sessions.map((c) => c.request('join', { token })));
    expect(joins.filter((j) => j.ok)).toHaveLength(4);
    expect(joins.filter((j) => j.error?.code === 'RATE_LIMITED')).toHaveLength(1);
    const joined = sessions.filter((_, i) => joins[i]!.ok);
    const answers = (await Promise.all(joined.map((c) => Promise.allSettled(Array.from({ length: 20 }, () => c.request('createTransport'))))))
      .flat()
      .map((a) => (a.status === 'fulfilled' ? a.value : undefined));
    // Eight wait their turn per socket, the rest are refused at once; none leaks a transport.
    expect(answers.some((a) => a?.ok)).toBe(true);
    expect(answers.some((a) => a?.error?.code === 'RATE_LIMITED')).toBe(true);
    await expect.poll(() => sfu.room('room-a')!.viewerCount).toBe(joined.length);
    for (const c of joined) {
      const consume = await c.request('consume', { rtpCapabilities: sfu.room('room-a')!.rtpCapabilities() });
      expect(consume.ok).toBe(true);
    }
    // Once one closes, the link may open another session.
    joined[0]!.socket.close();
    await expect.poll(() => sfu.room('room-a')!.viewerCount).toBe(joined.length - 1);
    const again = await member();
    expect((await again.request('join', { token })).ok).toBe(true);

    // A socket that never joins is closed when the deadline passes, with the deadline's code.
    const idle = await member();
    const code = await new Promise<number>((resolve) => idle.socket.once('close', (closeCode) => resolve(closeCode)));
    expect(code).toBe(CLOSE_JOIN_DEADLINE);
  });

  it('lets only a known publisher open its own room, and pushes its state to members', async () => {
    // No token or a wrong one: the upgrade itself is refused.
    await expect(Client.open(`${base}/ws/publish`)).rejects.toThrow(/401/);
    await expect(Client.open(`${base}/ws/publish`, { authorization: 'Bearer wrong-token-0123456789' })).rejects.toThrow(/401/);

    const pub = await Client.open(`${base}/ws/publish`, { authorization: `Bearer ${PUBLISHER_TOKEN}` });
    clients.push(pub);
    expect((await pub.request('state', { state: 'live' })).error?.code).toBe('INVALID_STATE');
    expect((await pub.request('open', { room: 'room-b', plan })).error?.code).toBe('FORBIDDEN');
    expect((await pub.request('open', { room: 'room-a', plan: { ...plan, layers: [] } })).error?.code).toBe('BAD_REQUEST');
    // Between lessons the room is open but not published: no ingest port listens.
    const opened = await pub.request('open', { room: 'room-a', plan });
    expect(opened.ok).toBe(true);
    expect(opened.data!.ingest).toBeNull();
    expect(sfu.room('room-a')!.ingest).toBeUndefined();

    const c = await member();
    const join = await c.request('join', { token: tokens.issue('school-1', 'room-a', 10).token });
    expect(join.data).toMatchObject({ state: 'idle' });
    // A lesson starts: the ingest opens and is pushed to the publisher.
    const pushed = pub.notification('ingest');
    expect((await pub.request('state', { state: 'live', lesson: { id: 'l1', title: 'Physics' } })).ok).toBe(true);
    const ingest = (await pushed).data as { video: { ip: string; port: number }; audio: { ip: string; port: number } };
    expect(ingest.video.ip).toBe('127.0.0.2');
    expect(ingest.video.port).toBe(sfu.room('room-a')!.ingest!.video.port);
    const state = await c.notification('state');
    expect(state.data).toMatchObject({ state: 'live', lesson: { title: 'Physics' } });

    // The room rebuilt after its worker died: the publisher is told the new ports.
    const before = ingest.video.port;
    const pid = sfu.pool.worker(0)!.pid;
    process.kill(pid, 'SIGKILL');
    const pushes = () => pub.frames.filter((f) => f.notification === 'ingest');
    await expect.poll(() => pushes().length, { timeout: 20_000 }).toBe(2);
    const moved = pushes()[1]!;
    expect((moved.data as typeof ingest).video.port).not.toBe(before);
    expect((moved.data as typeof ingest).video.ip).toBe('127.0.0.2');

    // The lesson ends: the ingest ports close; the room stays for its member classrooms.
    expect((await pub.request('state', { state: 'idle' })).ok).toBe(true);
    expect(sfu.room('room-a')!.ingest).toBeUndefined();
    expect(sfu.room('room-a')!.producerIds).toEqual([]);
  });

  it('a remote classroom reopens its room after the link drops, re-reports its state and follows rebuilds', async () => {
    const remote = new RemoteRoom({ url: base.replace('ws:', 'http:'), token: PUBLISHER_TOKEN, room: 'room-a', plan, logger });
    try {
      remote.reportState({ state: 'live', lesson: { id: 'l1', title: 'Chemistry' } });
      remote.start();
      const first = await remote.ready(10_000);
      expect(first.video.ip).toBe('127.0.0.2');
      await expect.poll(() => hub.info('room-a').state, { timeout: 10_000 }).toBe('live');
      expect(remote.linkState).toBe('online');

      // The SFU side drops every socket (a restart, a network cut): the link comes back by
      // itself, reopens the same room (same ports) and says again that the lesson is live.
      const degraded = remote.next('state', 10_000);
      hub.close();
      hub = new PublisherHub({
        sfu,
        publishers: sfuSchema.parse({ publishers: [{ name: 'room-a encoder', room: 'room-a', token: PUBLISHER_TOKEN }] }).publishers,
        broadcastChanged: () => undefined,
        logger,
      });
      for (const socket of publisherSockets.splice(0)) socket.terminate();
      expect((await degraded)[0]).toBe('degraded');
      await expect.poll(() => remote.linkState, { timeout: 15_000 }).toBe('online');
      await expect.poll(() => hub.info('room-a').state, { timeout: 10_000 }).toBe('live');
      expect(remote.ingest).toEqual(first);

      // The origin worker dies: the room rebuilds and the remote classroom gets the new ports.
      const moved = remote.next('ingest', 20_000);
      process.kill(sfu.pool.worker(0)!.pid, 'SIGKILL');
      const [after] = await moved;
      expect(after.video.port).not.toBe(first.video.port);
      expect(remote.ingest).toEqual(after);
    } finally {
      remote.close();
    }
  });
});
