import { createSocket, type Socket } from 'node:dgram';
import { mkdir, mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { pino } from 'pino';
import { afterEach, describe, expect, it } from 'vitest';
import { recordingSchema } from '../../config/schema/recording.ts';
import { Recorder } from '../../pipeline/media/recorder.ts';
import { readPlaylist } from '../../pipeline/media/recording-catalogue.ts';
import { isRtcp, packetSsrc, RtpForwarder } from '../../pipeline/media/rtp-forwarder.ts';
import { newSrtpKey, SrtpContext } from '../../pipeline/media/srtp.ts';
import { defaultLayers, type PublishTargets } from '../../pipeline/media/targets.ts';

const logger = pino({ level: 'silent' });

async function udp(): Promise<Socket> {
  const socket = createSocket('udp4');
  await new Promise<void>((resolve) => socket.bind(0, '127.0.0.1', () => resolve()));
  return socket;
}

function rtp(ssrc: number, seq: number, ts = 0): Buffer {
  const b = Buffer.alloc(20);
  b[0] = 0x80;
  b[1] = 102;
  b.writeUInt16BE(seq, 2);
  b.writeUInt32BE(ts, 4);
  b.writeUInt32BE(ssrc, 8);
  return b;
}

function senderReport(ssrc: number, ts: number): Buffer {
  const b = Buffer.alloc(28);
  b[0] = 0x80;
  b[1] = 200;
  b.writeUInt16BE(6, 2);
  b.writeUInt32BE(ssrc, 4);
  b.writeUInt32BE(ts, 16);
  return b;
}

function pli(mediaSsrc: number): Buffer {
  const b = Buffer.alloc(12);
  b[0] = 0x81; // V=2, FMT=1
  b[1] = 206;
  b.writeUInt16BE(2, 2);
  b.writeUInt32BE(1, 4);
  b.writeUInt32BE(mediaSsrc, 8);
  return b;
}

function collect(socket: Socket, count: number): Promise<{ msg: Buffer; from: string }[]> {
  const got: { msg: Buffer; from: string }[] = [];
  return new Promise((resolve) => {
    socket.on('message', (msg, rinfo) => {
      got.push({ msg, from: `${rinfo.address}:${rinfo.port}` });
      if (got.length === count) resolve(got);
    });
  });
}

describe('RtpForwarder', () => {
  const open: { close(): void }[] = [];
  afterEach(() => {
    for (const o of open.splice(0)) o.close();
  });

  it('sends packets of several senders on from one source tuple, taps by SSRC, and sees PLIs', async () => {
    const sfuVideo = await udp();
    const sfuAudio = await udp();
    const tap = await udp();
    const layerA = await udp();
    const layerB = await udp();
    open.push(sfuVideo, sfuAudio, tap, layerA, layerB);
    const layers = defaultLayers(320, 180, 500);
    const targets: PublishTargets = {
      video: { ip: '127.0.0.1', port: sfuVideo.address().port },
      videoPayloadType: 102,
      layers,
      audio: { ip: '127.0.0.1', port: sfuAudio.address().port },
      audioPayloadType: 100,
      audioSsrc: 1111,
    };
    const forwarder = new RtpForwarder(targets, logger);
    open.push(forwarder);
    const ports = await forwarder.start();
    forwarder.addTap({ kind: 'video', endpoint: { ip: '127.0.0.1', port: tap.address().port }, ssrcs: [layers[0]!.ssrc] });

    const atSfu = collect(sfuVideo, 4);
    const atTap = collect(tap, 2);
    for (let i = 0; i < 2; i++) {
      layerA.send(rtp(layers[0]!.ssrc, i), ports.video, '127.0.0.1');
      layerB.send(rtp(layers[1]!.ssrc, i), ports.video, '127.0.0.1');
    }
    const received = await atSfu;
    expect(new Set(received.map((r) => r.from)).size).toBe(1);
    expect(new Set(received.map((r) => packetSsrc(r.msg)))).toEqual(new Set([layers[0]!.ssrc, layers[1]!.ssrc]));
    expect((await atTap).every((r) => packetSsrc(r.msg) === layers[0]!.ssrc)).toBe(true);
    expect(forwarder.stats().find((s) => s.ssrc === layers[1]!.ssrc)?.packets).toBe(2);

    // The SFU answers to the tuple it locked onto: our egress socket.
    const [host, port] = received[0]!.from.split(':');
    const request = forwarder.next('keyframeRequest', 2000);
    // A stranger's PLI, sent first, is dropped; the SFU's, sent after it, is the one heard.
    const stranger = await udp();
    await new Promise<void>((resolve) => stranger.send(pli(layers[0]!.ssrc), Number(port), '127.0.0.1', () => resolve()));
    stranger.close();
    sfuVideo.send(pli(layers[1]!.ssrc), Number(port), host === '0.0.0.0' ? '127.0.0.1' : host);
    expect(await request).toEqual([layers[1]!.ssrc]);
    expect(forwarder.strangerPackets).toBe(1);
  });

  it('seals what goes to the SFU with the session key, keeps the taps plain, and hears only sealed feedback', async () => {
    const sfu = await udp();
    const tap = await udp();
    const sender = await udp();
    open.push(sfu, tap, sender);
    const keys = { send: newSrtpKey(), receive: newSrtpKey() };
    const endpoint = { ip: '127.0.0.1', port: sfu.address().port, srtp: keys };
    const forwarder = new RtpForwarder({ video: endpoint, videoPayloadType: 102, layers: [], audio: { ip: '127.0.0.1', port: 9 }, audioPayloadType: 100, audioSsrc: 7 }, logger);
    open.push(forwarder);
    const ports = await forwarder.start();
    forwarder.addTap({ kind: 'video', endpoint: { ip: '127.0.0.1', port: tap.address().port } });
    const atSfu = collect(sfu, 2);
    const atTap = collect(tap, 1);
    sender.send(rtp(0x2222_0001, 1), ports.video, '127.0.0.1');
    sender.send(senderReport(0x2222_0001, 100), ports.video, '127.0.0.1');
    const [sealedRtp, sealedReport] = await atSfu;
    const [plain] = await atTap;
    // RTP: header in the clear, payload encrypted, a 10-byte tag; RTCP: the SRTCP trailer too.
    expect(sealedRtp!.msg.length).toBe(plain!.msg.length + 10);
    expect(sealedRtp!.msg.subarray(0, 12)).toEqual(plain!.msg.subarray(0, 12));
    expect(sealedRtp!.msg.subarray(12, plain!.msg.length)).not.toEqual(plain!.msg.subarray(12));
    expect(new SrtpContext(keys.send).unprotectRtcp(sealedReport!.msg)?.readUInt32BE(16)).toBe(100);
    // Feedback from the SFU's port: a plain PLI is dropped, a sealed one is heard.
    const [, port] = sealedRtp!.from.split(':');
    const request = forwarder.next('keyframeRequest', 2000);
    await new Promise<void>((resolve) => sfu.send(pli(0x2222_0001), Number(port), '127.0.0.1', () => resolve()));
    sfu.send(new SrtpContext(keys.receive).protectRtcp(pli(0x2222_0002)), Number(port), '127.0.0.1');
    expect(await request).toEqual([0x2222_0002]);
    expect(forwarder.strangerPackets).toBe(1);
  });

  it('continues sequence numbers and timestamps across an encoder restart', async () => {
    const sfu = await udp();
    const sender = await udp();
    open.push(sfu, sender);
    const endpoint = { ip: '127.0.0.1', port: sfu.address().port };
    const forwarder = new RtpForwarder({ video: endpoint, videoPayloadType: 102, layers: [], audio: endpoint, audioPayloadType: 100, audioSsrc: 7 }, logger, { audioPacingMs: 0 });
    open.push(forwarder);
    const ports = await forwarder.start();
    const first = collect(sfu, 2);
    sender.send(rtp(7, 65535, 4_294_967_000), ports.audio, '127.0.0.1');
    sender.send(senderReport(7, 4_294_967_000), ports.audio, '127.0.0.1');
    const [p1, sr1] = await first;
    expect(p1!.msg.readUInt16BE(2)).toBe(65535);
    expect(sr1!.msg.readUInt32BE(16)).toBe(4_294_967_000);

    forwarder.rebase();
    const second = collect(sfu, 3);
    // A new ffmpeg: random numbering. Its early sender report is held back until RTP rebased.
    sender.send(senderReport(7, 123), ports.audio, '127.0.0.1');
    await new Promise<void>((resolve) => sender.send(rtp(7, 1000, 50_000), ports.audio, '127.0.0.1', () => resolve()));
    sender.send(rtp(7, 1001, 50_960), ports.audio, '127.0.0.1');
    sender.send(senderReport(7, 50_960), ports.audio, '127.0.0.1');
    const [p2, p3, sr2] = await second;
    expect(isRtcp(p2!.msg)).toBe(false);
    expect(p2!.msg.readUInt16BE(2)).toBe(0); // 65535 + 1, wrapped
    expect(p3!.msg.readUInt16BE(2)).toBe(1);
    const ts2 = p2!.msg.readUInt32BE(4);
    // Continues from the old timestamp (wrapping at 2^32) plus the time that passed.
    expect((ts2 - 4_294_967_000 + 2 ** 32) % 2 ** 32).toBeLessThan(48_000);
    expect((p3!.msg.readUInt32BE(4) - ts2 + 2 ** 32) % 2 ** 32).toBe(960);
    expect(sr2!.msg.readUInt32BE(16)).toBe(p3!.msg.readUInt32BE(4));
  });

  it('tells RTCP from RTP by the payload type byte', () => {
    expect(isRtcp(pli(5))).toBe(true);
    expect(isRtcp(rtp(5, 1))).toBe(false);
    expect(packetSsrc(pli(5))).toBe(1);
    expect(packetSsrc(rtp(5, 1))).toBe(5);
  });
});

describe('Recorder files', () => {
  let dir = '';
  afterEach(async () => {
    if (dir) await rm(dir, { recursive: true, force: true });
  });

  it('reads HLS playlists, complete or cut short', async () => {
    dir = await mkdtemp(join(tmpdir(), 'rec-unit-'));
    await writeFile(join(dir, 'a.m3u8'), '#EXTM3U\n#EXT-X-MAP:URI="init.mp4"\n#EXTINF:4.000000,\nseg-00000.m4s\n#EXTINF:3.5,\nseg-00001.m4s\n#EXT-X-ENDLIST\n');
    await writeFile(join(dir, 'b.m3u8'), '#EXTM3U\n#EXTINF:4.0,\nseg-00000.m4s\n');
    expect(await readPlaylist(join(dir, 'a.m3u8'))).toMatchObject({ duration: 7.5, ended: true, segments: [{ uri: 'seg-00000.m4s' }, { uri: 'seg-00001.m4s' }] });
    expect(await readPlaylist(join(dir, 'b.m3u8'))).toMatchObject({ duration: 4, ended: false });
    expect(await readPlaylist(join(dir, 'missing.m3u8'))).toMatchObject({ duration: 0, segments: [] });
  });

  it('prunes lessons older than the retention and keeps the rest', async () => {
    dir = await mkdtemp(join(tmpdir(), 'rec-unit-'));
    const now = Date.parse('2026-11-22T12:00:00Z');
    for (const [lessonId, daysAgo] of [['old', 40], ['new', 2]] as const) {
      await mkdir(join(dir, lessonId), { recursive: true });
      const updatedAt = new Date(now - daysAgo * 86_400_000).toISOString();
      await writeFile(join(dir, lessonId, 'index.json'), JSON.stringify({ lessonId, updatedAt, parts: [] }));
    }
    const forwarder = new RtpForwarder(
      { video: { ip: '127.0.0.1', port: 9 }, videoPayloadType: 102, layers: defaultLayers(320, 180, 500), audio: { ip: '127.0.0.1', port: 9 }, audioPayloadType: 100, audioSsrc: 1 },
      logger,
    );
    const recorder = new Recorder({ config: recordingSchema.parse({ retentionDays: 30 }), dir, forwarder, targets: { video: { ip: '127.0.0.1', port: 9 }, videoPayloadType: 102, layers: [], audio: { ip: '127.0.0.1', port: 9 }, audioPayloadType: 100, audioSsrc: 1 }, logger });
    expect(await recorder.prune(now)).toEqual(['old']);
    expect((await recorder.listRecordings()).map((r) => r.lessonId)).toEqual(['new']);
    await expect(recorder.startRecording({ lessonId: '../escape' })).rejects.toThrow(TypeError);
    await recorder.close();
    forwarder.close();
  });
});

describe('RtpForwarder audio delay (lip sync)', () => {
  it('holds audio packets back by audioDelayMs, in order, and sends video at once', async () => {
    const sfuVideo = await udp();
    const sfuAudio = await udp();
    const sender = await udp();
    const targets: PublishTargets = {
      video: { ip: '127.0.0.1', port: sfuVideo.address().port },
      videoPayloadType: 102,
      layers: defaultLayers(320, 180, 500),
      audio: { ip: '127.0.0.1', port: sfuAudio.address().port },
      audioPayloadType: 100,
      audioSsrc: 1111,
    };
    const forwarder = new RtpForwarder(targets, logger, { audioDelayMs: 300 });
    try {
      const ports = await forwarder.start();
      const audioAt: number[] = [];
      const audioSeq: number[] = [];
      const audioDone = new Promise<void>((resolve) =>
        sfuAudio.on('message', (msg) => {
          audioAt.push(performance.now());
          audioSeq.push(msg.readUInt16BE(2));
          if (audioSeq.length === 3) resolve();
        }),
      );
      const videoDone = new Promise<number>((resolve) => sfuVideo.once('message', () => resolve(performance.now())));
      const t0 = performance.now();
      for (let i = 0; i < 3; i++) sender.send(rtp(1111, 10 + i), ports.audio, '127.0.0.1');
      sender.send(rtp(2222, 1), ports.video, '127.0.0.1');
      expect((await videoDone) - t0).toBeLessThan(150);
      await audioDone;
      expect(Math.min(...audioAt) - t0).toBeGreaterThanOrEqual(295);
      expect(audioSeq).toEqual([10, 11, 12]);
    } finally {
      forwarder.close();
      sfuVideo.close();
      sfuAudio.close();
      sender.close();
    }
  });
});

describe('playout-delay extension', () => {
  it('adds the one-byte extension with min 0 to a plain RTP packet and keeps the payload', async () => {
    const { withPlayoutDelay } = await import('../../pipeline/media/rtp-forwarder.ts');
    const { PLAYOUT_DELAY } = await import('../../pipeline/media/targets.ts');
    const packet = Buffer.from([0x80, 102, 0x12, 0x34, 0, 0, 0x10, 0, 0xde, 0xad, 0xbe, 0xef, 0x65, 0x88, 0x99]);
    const out = withPlayoutDelay(packet);
    expect(out[0]! & 0x10).toBe(0x10);
    expect(out.subarray(1, 12)).toEqual(packet.subarray(1, 12));
    expect(out.readUInt16BE(12)).toBe(0xbede);
    expect(out.readUInt16BE(14)).toBe(1);
    expect(out[16]! >> 4).toBe(PLAYOUT_DELAY.id);
    expect(out[16]! & 0x0f).toBe(2);
    const value = out.readUIntBE(17, 3);
    expect(value >> 12).toBe(PLAYOUT_DELAY.minMs / 10);
    expect(value & 0xfff).toBe(PLAYOUT_DELAY.maxMs / 10);
    expect(out.subarray(20)).toEqual(packet.subarray(12));
    // A packet that has extensions already is left alone.
    expect(withPlayoutDelay(out)).toBe(out);
  });
});
