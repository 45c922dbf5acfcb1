import type { DeviceCommand, DeviceMessage, Framer, FramerOutput, ProtocolCodec } from '../types.ts';
import { replyMatcher } from '../reply.ts';

/**
 * The framed binary protocol of cheap classroom arrays and DSPs: `FF 55 LEN CMD PAYLOAD… SUM`,
 * LEN = bytes in CMD+PAYLOAD, SUM = (LEN + CMD + ΣPAYLOAD) mod 256. See PROTOCOL.md beside this file.
 */

export const SYNC = [0xff, 0x55] as const;
export const MAX_LEN = 64;

export const Cmd = {
  GET_GAIN: 0x01,
  SET_GAIN: 0x02,
  GET_MUTE: 0x03,
  SET_MUTE: 0x04,
  SET_METER_RATE: 0x05,
  GET_TALKER: 0x06,
  GAIN: 0x81,
  MUTE: 0x83,
  METER_RATE: 0x85,
  TALKER: 0x86,
  LEVELS: 0x87,
  NAK: 0xee,
} as const;

/** Channel 0 in GET_MUTE/SET_MUTE/MUTE addresses the whole device (master mute). */
const DEVICE = 0;

export function checksum(bytes: ArrayLike<number>): number {
  let sum = 0;
  for (let i = 0; i < bytes.length; i += 1) sum = (sum + (bytes[i] ?? 0)) & 0xff;
  return sum;
}

export function encodeFrame(cmd: number, payload: readonly number[] = []): Buffer {
  const len = 1 + payload.length;
  if (len > MAX_LEN) throw new TypeError(`frame too long (${len})`);
  const body = [len, cmd, ...payload];
  return Buffer.from([...SYNC, ...body, checksum(body)]);
}

class BinaryFramer implements Framer {
  #pending: Buffer = Buffer.alloc(0);

  push(chunk: Buffer): FramerOutput[] {
    const out: FramerOutput[] = [];
    let buf = this.#pending.length > 0 ? Buffer.concat([this.#pending, chunk]) : chunk;
    let garbageFrom = -1;
    let i = 0;
    const flushGarbage = (to: number) => {
      if (garbageFrom >= 0 && to > garbageFrom) out.push({ garbage: Buffer.from(buf.subarray(garbageFrom, to)) });
      garbageFrom = -1;
    };
    while (i < buf.length) {
      if (buf[i] !== SYNC[0]) {
        if (garbageFrom < 0) garbageFrom = i;
        i += 1;
        continue;
      }
      if (i + 1 >= buf.length) break; // maybe a sync split across reads
      const len = buf[i + 2];
      if (buf[i + 1] !== SYNC[1] || (len !== undefined && (len === 0 || len > MAX_LEN))) {
        if (garbageFrom < 0) garbageFrom = i;
        i += 1;
        continue;
      }
      if (len === undefined || i + 4 + len > buf.length) break; // half a frame: wait for the rest
      const body = buf.subarray(i + 2, i + 3 + len);
      if (checksum(body) !== buf[i + 3 + len]) {
        // A false sync inside noise or a corrupted frame: skip one byte only, so a real frame
        // that starts inside the bad one is still found.
        if (garbageFrom < 0) garbageFrom = i;
        i += 1;
        continue;
      }
      flushGarbage(i);
      out.push({ frame: Buffer.from(buf.subarray(i, i + 4 + len)) });
      i += 4 + len;
    }
    if (garbageFrom >= 0) {
      flushGarbage(i);
    }
    buf = buf.subarray(i);
    this.#pending = Buffer.from(buf);
    return out;
  }

  reset(): void {
    this.#pending = Buffer.alloc(0);
  }
}

/** [cmd, ...payload] of a complete, checked frame. */
function parts(frame: Buffer): { cmd: number; payload: Buffer } | undefined {
  if (frame.length < 5 || frame[0] !== SYNC[0] || frame[1] !== SYNC[1]) return undefined;
  const len = frame[2] ?? 0;
  if (frame.length !== len + 4 || checksum(frame.subarray(2, 3 + len)) !== frame[3 + len]) return undefined;
  return { cmd: frame[3] ?? 0, payload: frame.subarray(4, 3 + len) };
}

function chByte(channel: number): number {
  if (!Number.isInteger(channel) || channel < 1 || channel > 254) throw new TypeError(`bad channel ${channel}`);
  return channel;
}

function gainBytes(gainDb: number): number[] {
  const v = Math.round(gainDb * 10);
  if (!Number.isFinite(v) || v < -1100 || v > 300) throw new TypeError(`gain ${gainDb} dB outside −110…+30 dB`);
  const u = v & 0xffff;
  return [u >> 8, u & 0xff];
}

function readGain(payload: Buffer, offset: number): number {
  return payload.readInt16BE(offset) / 10;
}

function encodeCommand(command: DeviceCommand): Buffer {
  switch (command.kind) {
    case 'getGain':
      return encodeFrame(Cmd.GET_GAIN, [chByte(command.channel)]);
    case 'setGain':
      return encodeFrame(Cmd.SET_GAIN, [chByte(command.channel), ...gainBytes(command.gainDb)]);
    case 'getMute':
      return encodeFrame(Cmd.GET_MUTE, [chByte(command.channel)]);
    case 'setMute':
      return encodeFrame(Cmd.SET_MUTE, [chByte(command.channel), command.muted ? 1 : 0]);
    case 'getDeviceMute':
      return encodeFrame(Cmd.GET_MUTE, [DEVICE]);
    case 'setDeviceMute':
      return encodeFrame(Cmd.SET_MUTE, [DEVICE, command.muted ? 1 : 0]);
    case 'setMeterRate':
      if (!Number.isInteger(command.ms) || command.ms < 0 || command.ms > 0xffff) throw new TypeError(`bad meter rate ${command.ms}`);
      return encodeFrame(Cmd.SET_METER_RATE, [command.ms >> 8, command.ms & 0xff]);
    case 'getTalkers':
      return encodeFrame(Cmd.GET_TALKER);
  }
}

function decodeMessage(frame: Buffer): DeviceMessage | undefined {
  const p = parts(frame);
  if (!p) return undefined;
  const { cmd, payload } = p;
  const b0 = payload[0];
  switch (cmd) {
    case Cmd.GAIN:
      return payload.length === 3 && b0 ? { kind: 'gain', channel: b0, gainDb: readGain(payload, 1) } : undefined;
    case Cmd.MUTE:
      if (payload.length !== 2 || b0 === undefined) return undefined;
      return b0 === DEVICE ? { kind: 'deviceMute', muted: payload[1] === 1 } : { kind: 'mute', channel: b0, muted: payload[1] === 1 };
    case Cmd.METER_RATE:
      return payload.length === 2 ? { kind: 'meterRate', ms: payload.readUInt16BE(0) } : undefined;
    case Cmd.TALKER:
      return payload.length === 1 && b0 !== undefined ? { kind: 'talkerZone', zone: b0 } : undefined;
    case Cmd.LEVELS: {
      if (b0 === undefined || payload.length !== 1 + b0) return undefined;
      return { kind: 'meters', levels: [...payload.subarray(1)].map((v) => (v === 0 ? 0 : -v)) };
    }
    case Cmd.NAK:
      return { kind: 'error', detail: `NAK cmd 0x${(b0 ?? 0).toString(16)} reason ${payload[1] ?? 0}` };
    default:
      return undefined;
  }
}

function decodeCommand(frame: Buffer): DeviceCommand | undefined {
  const p = parts(frame);
  if (!p) return undefined;
  const { cmd, payload } = p;
  const b0 = payload[0];
  switch (cmd) {
    case Cmd.GET_GAIN:
      return payload.length === 1 && b0 ? { kind: 'getGain', channel: b0 } : undefined;
    case Cmd.SET_GAIN:
      return payload.length === 3 && b0 ? { kind: 'setGain', channel: b0, gainDb: readGain(payload, 1) } : undefined;
    case Cmd.GET_MUTE:
      if (payload.length !== 1 || b0 === undefined) return undefined;
      return b0 === DEVICE ? { kind: 'getDeviceMute' } : { kind: 'getMute', channel: b0 };
    case Cmd.SET_MUTE:
      if (payload.length !== 2 || b0 === undefined) return undefined;
      return b0 === DEVICE
        ? { kind: 'setDeviceMute', muted: payload[1] === 1 }
        : { kind: 'setMute', channel: b0, muted: payload[1] === 1 };
    case Cmd.SET_METER_RATE:
      return payload.length === 2 ? { kind: 'setMeterRate', ms: payload.readUInt16BE(0) } : undefined;
    case Cmd.GET_TALKER:
      return payload.length === 0 ? { kind: 'getTalkers' } : undefined;
    default:
      return undefined;
  }
}

function encodeMessage(message: DeviceMessage): Buffer {
  switch (message.kind) {
    case 'gain':
      return encodeFrame(Cmd.GAIN, [chByte(message.channel), ...gainBytes(message.gainDb)]);
    case 'mute':
      return encodeFrame(Cmd.MUTE, [chByte(message.channel), message.muted ? 1 : 0]);
    case 'deviceMute':
      return encodeFrame(Cmd.MUTE, [DEVICE, message.muted ? 1 : 0]);
    case 'meterRate':
      return encodeFrame(Cmd.METER_RATE, [message.ms >> 8, message.ms & 0xff]);
    case 'meters':
      return encodeFrame(Cmd.LEVELS, [
        message.levels.length,
        ...message.levels.map((db) => Math.max(0, Math.min(120, Math.round(-db)))),
      ]);
    case 'talkerZone':
      return encodeFrame(Cmd.TALKER, [message.zone & 0xff]);
    case 'talker':
      // Zone-style devices report the one open zone; a closing gate is "nobody".
      return encodeFrame(Cmd.TALKER, [message.active ? chByte(message.channel) : 0]);
    case 'error':
      return encodeFrame(Cmd.NAK, [0, 1]);
  }
}


export const binaryCodec: ProtocolCodec = Object.freeze({
  name: 'binary' as const,
  gainRangeDb: [-110, 30] as const,
  createFramer: () => new BinaryFramer(),
  encodeCommand,
  decodeMessage,
  decodeCommand,
  encodeMessage,
  isReply: replyMatcher('talkerZone'),
});
