import { createCipheriv, createHmac, randomBytes, timingSafeEqual } from 'node:crypto';

/**
 * SRTP and SRTCP with AES_CM_128_HMAC_SHA1_80 (RFC 3711), the suite mediasoup's PlainTransport
 * speaks: what the box sends to the SFU's ingest is encrypted and authenticated with a key
 * the SFU made for this publisher and this session, so the transport drops anything else
 * before it even locks onto a sender (its `comedia`). One context per direction and key.
 */
export const SRTP_SUITE = 'AES_CM_128_HMAC_SHA1_80';

const KEY_BYTES = 16;
const SALT_BYTES = 14;
const TAG_BYTES = 10;

/** A fresh master key and salt, base64 (mediasoup's `srtpParameters.keyBase64`). */
export function newSrtpKey(): string {
  return randomBytes(KEY_BYTES + SALT_BYTES).toString('base64');
}

interface SessionKeys {
  cipher: Buffer;
  salt: Buffer;
  auth: Buffer;
}

/** RFC 3711 §4.3: session keys from the master key and salt, key derivation rate 0. */
export function deriveKeys(masterKey: Buffer, masterSalt: Buffer, labels: { cipher: number; auth: number; salt: number }): SessionKeys {
  const prf = (label: number, length: number) => {
    const x = Buffer.alloc(16);
    masterSalt.copy(x, 0);
    x[7] = x[7]! ^ label;
    const cipher = createCipheriv('aes-128-ctr', masterKey, x);
    return Buffer.concat([cipher.update(Buffer.alloc(length)), cipher.final()]);
  };
  return { cipher: prf(labels.cipher, KEY_BYTES), auth: prf(labels.auth, 20), salt: prf(labels.salt, SALT_BYTES) };
}

/** AES-CM keystream applied to `data` in place: IV = salt·2^16 ⊕ SSRC·2^64 ⊕ index·2^16. */
function applyKeystream(keys: SessionKeys, ssrc: number, index: number, data: Buffer): void {
  const iv = Buffer.alloc(16);
  keys.salt.copy(iv, 0);
  iv.writeUInt32BE((iv.readUInt32BE(4) ^ ssrc) >>> 0, 4);
  // The 48-bit index sits in bytes 8–13.
  const high = Math.floor(index / 2 ** 32);
  const low = index >>> 0;
  iv.writeUInt16BE((iv.readUInt16BE(8) ^ high) & 0xffff, 8);
  iv.writeUInt32BE((iv.readUInt32BE(10) ^ low) >>> 0, 10);
  const cipher = createCipheriv('aes-128-ctr', keys.cipher, iv);
  const stream = cipher.update(data);
  stream.copy(data);
}

function tag(keys: SessionKeys, ...parts: Buffer[]): Buffer {
  const hmac = createHmac('sha1', keys.auth);
  for (const part of parts) hmac.update(part);
  return hmac.digest().subarray(0, TAG_BYTES);
}

/** Where an RTP packet's payload starts (after CSRCs and a header extension). */
function rtpHeaderLength(packet: Buffer): number {
  let length = 12 + (packet[0]! & 0x0f) * 4;
  if (packet[0]! & 0x10 && packet.length >= length + 4) length += 4 + packet.readUInt16BE(length + 2) * 4;
  return Math.min(length, packet.length);
}

/**
 * One direction of an SRTP session: `protect*` for what the box sends, `unprotectRtcp` for the
 * feedback it reads (keyframe requests). Keeps each stream's rollover counter and the SRTCP
 * index.
 */
export class SrtpContext {
  readonly #rtp: SessionKeys;
  readonly #rtcp: SessionKeys;
  readonly #streams = new Map<number, { roc: number; lastSeq: number }>();
  #rtcpIndex = 0;

  constructor(keyBase64: string) {
    const master = Buffer.from(keyBase64, 'base64');
    if (master.length !== KEY_BYTES + SALT_BYTES) throw new TypeError(`an ${SRTP_SUITE} key is ${KEY_BYTES + SALT_BYTES} bytes`);
    const key = master.subarray(0, KEY_BYTES);
    const salt = master.subarray(KEY_BYTES);
    this.#rtp = deriveKeys(key, salt, { cipher: 0, auth: 1, salt: 2 });
    this.#rtcp = deriveKeys(key, salt, { cipher: 3, auth: 4, salt: 5 });
  }

  /** An RTP packet as SRTP (a new buffer; the packet is left as it is). */
  protectRtp(packet: Buffer): Buffer {
    const ssrc = packet.readUInt32BE(8);
    const seq = packet.readUInt16BE(2);
    let stream = this.#streams.get(ssrc);
    if (!stream) {
      stream = { roc: 0, lastSeq: seq };
      this.#streams.set(ssrc, stream);
    } else if (seq < stream.lastSeq && stream.lastSeq - seq > 0x8000) {
      stream.roc = (stream.roc + 1) >>> 0;
    }
    if (seq > stream.lastSeq || stream.lastSeq - seq > 0x8000) stream.lastSeq = seq;
    const out = Buffer.alloc(packet.length + TAG_BYTES);
    packet.copy(out);
    const header = rtpHeaderLength(packet);
    applyKeystream(this.#rtp, ssrc, stream.roc * 0x10000 + seq, out.subarray(header, packet.length));
    const roc = Buffer.alloc(4);
    roc.writeUInt32BE(stream.roc);
    tag(this.#rtp, out.subarray(0, packet.length), roc).copy(out, packet.length);
    return out;
  }

  /** An RTCP packet (compound) as SRTCP: encrypted after the first 8 bytes, E-flag and index, tag. */
  protectRtcp(packet: Buffer): Buffer {
    const index = this.#rtcpIndex;
    this.#rtcpIndex = (this.#rtcpIndex + 1) & 0x7fff_ffff;
    const out = Buffer.alloc(packet.length + 4 + TAG_BYTES);
    packet.copy(out);
    applyKeystream(this.#rtcp, packet.readUInt32BE(4), index, out.subarray(8, packet.length));
    out.writeUInt32BE((0x8000_0000 | index) >>> 0, packet.length);
    tag(this.#rtcp, out.subarray(0, packet.length + 4)).copy(out, packet.length + 4);
    return out;
  }

  /** An SRTCP packet decrypted, or undefined when it is too short or its tag does not match. */
  unprotectRtcp(packet: Buffer): Buffer | undefined {
    if (packet.length < 8 + 4 + TAG_BYTES) return undefined;
    const end = packet.length - TAG_BYTES - 4;
    const expected = tag(this.#rtcp, packet.subarray(0, end + 4));
    if (!timingSafeEqual(expected, packet.subarray(end + 4))) return undefined;
    const trailer = packet.readUInt32BE(end);
    const out = Buffer.from(packet.subarray(0, end));
    if (trailer & 0x8000_0000) applyKeystream(this.#rtcp, out.readUInt32BE(4), trailer & 0x7fff_ffff, out.subarray(8));
    return out;
  }
}
