import { ClasscastError } from '../../../config/foundation/errors.ts';
import type { DeviceCommand, DeviceMessage, Framer, FramerOutput, ProtocolCodec } from '../types.ts';
import { replyMatcher } from '../reply.ts';

/**
 * Shure-style command strings (MXA910/MXA920/P300 command-string documents): every frame is
 * `< … >` in printable ASCII, tokens separated by single spaces. See PROTOCOL.md beside this file.
 */

const OPEN = 0x3c; // '<'
const CLOSE = 0x3e; // '>'
/** No documented string comes near this; a longer "frame" is line noise without its `>`. */
const MAX_FRAME = 512;

/** AUDIO_GAIN_HI_RES carries dB×10 + 1100 in 0…1400 (−110.0 … +30.0 dB). */
const GAIN_OFFSET = 1100;
const GAIN_MAX_RAW = 1400;
/** SAMPLE values 000…060 stand for −60…0 dBFS. */
const METER_FLOOR_DB = -60;

class ShureFramer implements Framer {
  #pending: Buffer = Buffer.alloc(0);

  push(chunk: Buffer): FramerOutput[] {
    const out: FramerOutput[] = [];
    let buf = this.#pending.length > 0 ? Buffer.concat([this.#pending, chunk]) : chunk;
    for (;;) {
      const start = buf.indexOf(OPEN);
      if (start < 0) {
        if (buf.length > 0) out.push({ garbage: Buffer.from(buf) });
        buf = Buffer.alloc(0);
        break;
      }
      if (start > 0) out.push({ garbage: Buffer.from(buf.subarray(0, start)) });
      buf = buf.subarray(start);
      // A second '<' before the '>' means the first frame was cut short (a reset or line
      // noise): drop the half frame and resync on the newer '<'.
      let end = -1;
      let restart = -1;
      for (let i = 1; i < buf.length; i += 1) {
        if (buf[i] === CLOSE) {
          end = i;
          break;
        }
        if (buf[i] === OPEN) {
          restart = i;
          break;
        }
      }
      if (restart > 0) {
        out.push({ garbage: Buffer.from(buf.subarray(0, restart)) });
        buf = buf.subarray(restart);
        continue;
      }
      if (end < 0) {
        if (buf.length > MAX_FRAME) {
          out.push({ garbage: Buffer.from(buf) });
          buf = Buffer.alloc(0);
        }
        break;
      }
      out.push({ frame: Buffer.from(buf.subarray(0, end + 1)) });
      buf = buf.subarray(end + 1);
    }
    this.#pending = Buffer.from(buf);
    return out;
  }

  reset(): void {
    this.#pending = Buffer.alloc(0);
  }
}

function tokens(frame: Buffer): string[] | undefined {
  const text = frame.toString('latin1');
  if (!text.startsWith('<') || !text.endsWith('>')) return undefined;
  if (/[^\x20-\x7e]/.test(text)) return undefined;
  return text.slice(1, -1).trim().split(/\s+/).filter((t) => t.length > 0);
}

function frame(...parts: string[]): Buffer {
  return Buffer.from(`< ${parts.join(' ')} >`, 'latin1');
}

function ch(channel: number): string {
  if (!Number.isInteger(channel) || channel < 1 || channel > 99) throw new TypeError(`bad channel ${channel}`);
  return String(channel).padStart(2, '0');
}

function parseChannel(token: string | undefined): number | undefined {
  if (token === undefined || !/^\d{2}$/.test(token)) return undefined;
  const n = Number(token);
  return n >= 1 ? n : undefined;
}

function onOff(token: string | undefined): boolean | undefined {
  if (token === 'ON') return true;
  if (token === 'OFF') return false;
  return undefined;
}

export function gainToRaw(gainDb: number): number {
  const raw = Math.round(gainDb * 10) + GAIN_OFFSET;
  if (!Number.isFinite(raw) || raw < 0 || raw > GAIN_MAX_RAW) {
    throw new TypeError(`gain ${gainDb} dB outside −110…+30 dB`);
  }
  return raw;
}

export function rawToGain(raw: number): number {
  return (raw - GAIN_OFFSET) / 10;
}

function parseGain(token: string | undefined): number | undefined {
  if (token === undefined || !/^\d{1,4}$/.test(token)) return undefined;
  const raw = Number(token);
  return raw <= GAIN_MAX_RAW ? rawToGain(raw) : undefined;
}

function encodeCommand(command: DeviceCommand): Buffer {
  switch (command.kind) {
    case 'getGain':
      return frame('GET', ch(command.channel), 'AUDIO_GAIN_HI_RES');
    case 'setGain':
      return frame('SET', ch(command.channel), 'AUDIO_GAIN_HI_RES', String(gainToRaw(command.gainDb)).padStart(4, '0'));
    case 'getMute':
      return frame('GET', ch(command.channel), 'AUDIO_MUTE');
    case 'setMute':
      return frame('SET', ch(command.channel), 'AUDIO_MUTE', command.muted ? 'ON' : 'OFF');
    case 'getDeviceMute':
      return frame('GET', 'DEVICE_AUDIO_MUTE');
    case 'setDeviceMute':
      return frame('SET', 'DEVICE_AUDIO_MUTE', command.muted ? 'ON' : 'OFF');
    case 'setMeterRate':
      // 0 turns metering off; otherwise the documented minimum is 100 ms.
      if (command.ms !== 0 && (command.ms < 100 || command.ms > 99999)) throw new TypeError(`bad meter rate ${command.ms}`);
      return frame('SET', 'METER_RATE', String(Math.round(command.ms)).padStart(5, '0'));
    case 'getTalkers':
      // Channel 00 addresses every channel: the device answers one REP per channel.
      return frame('GET', '00', 'AUTOMIX_GATE_OUT_EXT_SIG');
  }
}

function decodeMessage(buf: Buffer): DeviceMessage | undefined {
  const t = tokens(buf);
  if (!t || t.length === 0) return undefined;
  if (t[0] === 'SAMPLE') {
    const levels: number[] = [];
    for (const v of t.slice(1)) {
      if (!/^\d{3}$/.test(v)) return undefined;
      levels.push(Math.min(0, METER_FLOOR_DB + Number(v)));
    }
    return { kind: 'meters', levels };
  }
  if (t[0] !== 'REP') return undefined;
  if (t[1] === 'ERR') return { kind: 'error', detail: t.slice(1).join(' ') };
  if (t[1] === 'DEVICE_AUDIO_MUTE') {
    const muted = onOff(t[2]);
    return muted === undefined ? undefined : { kind: 'deviceMute', muted };
  }
  if (t[1] === 'METER_RATE') {
    return t[2] !== undefined && /^\d{1,5}$/.test(t[2]) ? { kind: 'meterRate', ms: Number(t[2]) } : undefined;
  }
  const channel = parseChannel(t[1]);
  if (channel === undefined) return undefined;
  switch (t[2]) {
    case 'AUDIO_GAIN_HI_RES': {
      const gainDb = parseGain(t[3]);
      return gainDb === undefined ? undefined : { kind: 'gain', channel, gainDb };
    }
    case 'AUDIO_MUTE': {
      const muted = onOff(t[3]);
      return muted === undefined ? undefined : { kind: 'mute', channel, muted };
    }
    case 'AUTOMIX_GATE_OUT_EXT_SIG': {
      const active = onOff(t[3]);
      return active === undefined ? undefined : { kind: 'talker', channel, active };
    }
    default:
      return undefined;
  }
}

function decodeCommand(buf: Buffer): DeviceCommand | undefined {
  const t = tokens(buf);
  if (!t || (t[0] !== 'GET' && t[0] !== 'SET')) return undefined;
  const set = t[0] === 'SET';
  if (t[1] === 'DEVICE_AUDIO_MUTE') {
    if (!set) return { kind: 'getDeviceMute' };
    const muted = onOff(t[2]);
    return muted === undefined ? undefined : { kind: 'setDeviceMute', muted };
  }
  if (t[1] === 'METER_RATE') {
    return set && t[2] !== undefined && /^\d{1,5}$/.test(t[2]) ? { kind: 'setMeterRate', ms: Number(t[2]) } : undefined;
  }
  if (t[1] === '00' && t[2] === 'AUTOMIX_GATE_OUT_EXT_SIG' && !set) return { kind: 'getTalkers' };
  const channel = parseChannel(t[1]);
  if (channel === undefined) return undefined;
  if (t[2] === 'AUDIO_GAIN_HI_RES') {
    if (!set) return { kind: 'getGain', channel };
    const gainDb = parseGain(t[3]);
    return gainDb === undefined ? undefined : { kind: 'setGain', channel, gainDb };
  }
  if (t[2] === 'AUDIO_MUTE') {
    if (!set) return { kind: 'getMute', channel };
    const muted = onOff(t[3]);
    return muted === undefined ? undefined : { kind: 'setMute', channel, muted };
  }
  return undefined;
}

function level(db: number): string {
  const v = Math.max(0, Math.min(60, Math.round(db - METER_FLOOR_DB)));
  return String(v).padStart(3, '0');
}

function encodeMessage(message: DeviceMessage): Buffer {
  switch (message.kind) {
    case 'gain':
      return frame('REP', ch(message.channel), 'AUDIO_GAIN_HI_RES', String(gainToRaw(message.gainDb)).padStart(4, '0'));
    case 'mute':
      return frame('REP', ch(message.channel), 'AUDIO_MUTE', message.muted ? 'ON' : 'OFF');
    case 'deviceMute':
      return frame('REP', 'DEVICE_AUDIO_MUTE', message.muted ? 'ON' : 'OFF');
    case 'meterRate':
      return frame('REP', 'METER_RATE', String(message.ms).padStart(5, '0'));
    case 'meters':
      return frame('SAMPLE', ...message.levels.map(level));
    case 'talker':
      return frame('REP', ch(message.channel), 'AUTOMIX_GATE_OUT_EXT_SIG', message.active ? 'ON' : 'OFF');
    case 'talkerZone':
      throw new ClasscastError('SERIAL_PROTOCOL', 'shure-ascii reports talkers per channel, not as a zone');
    case 'error':
      return frame('REP', 'ERR');
  }
}


export const shureAsciiCodec: ProtocolCodec = Object.freeze({
  name: 'shure-ascii' as const,
  gainRangeDb: [-110, 30] as const,
  createFramer: () => new ShureFramer(),
  encodeCommand,
  decodeMessage,
  decodeCommand,
  encodeMessage,
  isReply: replyMatcher('talker'),
});
