// Checks a freshly built mediasoup worker before it enters the cache: it starts, makes
// routers with the codecs classcast uses, WebRTC (DTLS, so OpenSSL) and plain transports,
// and carries RTP through an SRTP-encrypted PipeTransport between two workers, which
// exercises the libsrtp compatibility header (shims/libsrtp2/include/srtp.h). Two workers,
// because a piped producer keeps its id and ids must be unique within a worker.
//
//   MEDIASOUP_WORKER_BIN=/path/to/mediasoup-worker node scripts/mediasoup/verify-worker.mjs
import dgram from 'node:dgram';
import { once } from 'node:events';
import * as mediasoup from 'mediasoup';

const DEADLINE_MS = 10_000;
const SSRC = 0x1111;
const mediaCodecs = [
  { kind: 'audio', mimeType: 'audio/opus', clockRate: 48000, channels: 2 },
  {
    kind: 'video',
    mimeType: 'video/H264',
    clockRate: 90000,
    parameters: { 'packetization-mode': 1, 'profile-level-id': '42e01f', 'level-asymmetry-allowed': 1 },
  },
];
const listenInfo = { protocol: 'udp', ip: '127.0.0.1' };

function rtpPacket(seq, payload) {
  const header = Buffer.alloc(12);
  header[0] = 0x80;
  header[1] = 100; // payload type of the producer below
  header.writeUInt16BE(seq & 0xffff, 2);
  header.writeUInt32BE((seq * 960) >>> 0, 4);
  header.writeUInt32BE(SSRC, 8);
  return Buffer.concat([header, payload]);
}

const workers = [];
const sockets = [];
let timer;
try {
  for (let i = 0; i < 2; i++) workers.push(await mediasoup.createWorker({ logLevel: 'warn' }));
  const [workerA, workerB] = workers;
  if (!(workerA.pid > 0)) throw new Error('worker has no pid');

  const routerA = await workerA.createRouter({ mediaCodecs });
  const routerB = await workerB.createRouter({ mediaCodecs });
  const codecs = routerA.rtpCapabilities.codecs?.map((c) => c.mimeType) ?? [];
  for (const mime of ['audio/opus', 'video/H264']) {
    if (!codecs.includes(mime)) throw new Error(`router lacks ${mime}`);
  }

  const webRtc = await routerA.createWebRtcTransport({ listenInfos: [listenInfo] });
  if (!webRtc.dtlsParameters.fingerprints.length || !webRtc.iceCandidates.length) {
    throw new Error('WebRtcTransport has no DTLS fingerprint or ICE candidate');
  }

  const plainIn = await routerA.createPlainTransport({ listenInfo, comedia: true, rtcpMux: true });
  const producer = await plainIn.produce({
    kind: 'audio',
    rtpParameters: {
      codecs: [{ mimeType: 'audio/opus', payloadType: 100, clockRate: 48000, channels: 2 }],
      encodings: [{ ssrc: SSRC }],
    },
  });
  await routerA.pipeToRouter({ producerId: producer.id, router: routerB, enableSrtp: true });

  const receiver = dgram.createSocket('udp4');
  const sender = dgram.createSocket('udp4');
  sockets.push(receiver, sender);
  receiver.bind(0, '127.0.0.1');
  await once(receiver, 'listening');
  const plainOut = await routerB.createPlainTransport({ listenInfo, rtcpMux: true });
  await plainOut.connect({ ip: '127.0.0.1', port: receiver.address().port });
  await plainOut.consume({ producerId: producer.id, rtpCapabilities: routerB.rtpCapabilities });

  const payload = Buffer.from('classcast-srtp-check-'.repeat(4));
  const received = new Promise((resolve, reject) => {
    receiver.on('message', (msg) => {
      // Only RTP carrying our bytes counts (RFC 5761: a second byte of 192-223 is RTCP).
      if (msg.length > 12 && msg[0] >> 6 === 2 && (msg[1] < 192 || msg[1] > 223) && msg.includes(payload)) {
        resolve(msg);
      }
    });
    timer = setTimeout(() => reject(new Error('no RTP came through the SRTP PipeTransport')), DEADLINE_MS);
  });
  let seq = 1;
  const { localIp, localPort } = plainIn.tuple;
  const pump = setInterval(() => sender.send(rtpPacket(seq++, payload), localPort, localIp), 20);
  try {
    await received;
  } finally {
    clearInterval(pump);
  }
  console.log(`mediasoup worker ${mediasoup.version} OK (pid ${workerA.pid}): opus+H264 routers, WebRTC, plain, SRTP pipe`);
} finally {
  clearTimeout(timer);
  for (const s of sockets) s.close();
  for (const w of workers) w.close();
}
