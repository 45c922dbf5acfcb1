import { describe, expect, it } from 'vitest';
import { binaryCodec as codec, checksum, Cmd, encodeFrame } from '../../devices/micarray/binary/codec.ts';
import type { DeviceCommand, DeviceMessage, FramerOutput } from '../../devices/micarray/types.ts';

const hex = (b: Buffer) => b.toString('hex').replace(/(..)/g, '$1 ').trim();
const bytes = (s: string) => Buffer.from(s.replace(/\s+/g, ''), 'hex');
const frames = (outs: FramerOutput[]) => outs.flatMap((o) => ('frame' in o ? [hex(o.frame)] : []));
const garbageBytes = (outs: FramerOutput[]) => outs.reduce((n, o) => n + ('garbage' in o ? o.garbage.length : 0), 0);

describe('binary codec: frame layout', () => {
  it('frames as FF 55 LEN CMD PAYLOAD SUM with an additive checksum', () => {
    // LEN = 2 (cmd + 1 payload byte); SUM = 02 + 01 + 03 = 06
    expect(hex(encodeFrame(Cmd.GET_GAIN, [3]))).toBe('ff 55 02 01 03 06');
    expect(checksum([0xff, 0x02])).toBe(0x01);
  });
});

describe('binary codec: commands', () => {
  const cases: [DeviceCommand, string][] = [
    [{ kind: 'getGain', channel: 1 }, 'ff 55 02 01 01 04'],
    [{ kind: 'setGain', channel: 2, gainDb: -6 }, 'ff 55 04 02 02 ff c4 cb'],
    [{ kind: 'setGain', channel: 1, gainDb: 12.5 }, 'ff 55 04 02 01 00 7d 84'],
    [{ kind: 'getMute', channel: 4 }, 'ff 55 02 03 04 09'],
    [{ kind: 'setMute', channel: 4, muted: true }, 'ff 55 03 04 04 01 0c'],
    [{ kind: 'getDeviceMute' }, 'ff 55 02 03 00 05'],
    [{ kind: 'setDeviceMute', muted: false }, 'ff 55 03 04 00 00 07'],
    [{ kind: 'setMeterRate', ms: 300 }, 'ff 55 03 05 01 2c 35'],
    [{ kind: 'getTalkers' }, 'ff 55 01 06 07'],
  ];
  it.each(cases)('encodes %o and decodes it back', (command, wire) => {
    expect(hex(codec.encodeCommand(command))).toBe(wire);
    expect(codec.decodeCommand(bytes(wire))).toEqual(command);
  });

  it('rejects bad arguments with TypeError', () => {
    expect(() => codec.encodeCommand({ kind: 'setGain', channel: 1, gainDb: 40 })).toThrow(TypeError);
    expect(() => codec.encodeCommand({ kind: 'getMute', channel: 0 })).toThrow(TypeError);
  });
});

describe('binary codec: reports', () => {
  const cases: [DeviceMessage, string][] = [
    [{ kind: 'gain', channel: 2, gainDb: -6 }, 'ff 55 04 81 02 ff c4 4a'],
    [{ kind: 'mute', channel: 3, muted: true }, 'ff 55 03 83 03 01 8a'],
    [{ kind: 'deviceMute', muted: true }, 'ff 55 03 83 00 01 87'],
    [{ kind: 'meterRate', ms: 200 }, 'ff 55 03 85 00 c8 50'],
    [{ kind: 'talkerZone', zone: 3 }, 'ff 55 02 86 03 8b'],
    [{ kind: 'talkerZone', zone: 0 }, 'ff 55 02 86 00 88'],
    [{ kind: 'meters', levels: [0, -15, -60] }, 'ff 55 05 87 03 00 0f 3c da'],
  ];
  it.each(cases)('encodes %o and decodes it back', (message, wire) => {
    expect(hex(codec.encodeMessage(message))).toBe(wire);
    expect(codec.decodeMessage(bytes(wire))).toEqual(message);
  });

  it('decodes a NAK as an error', () => {
    expect(codec.decodeMessage(encodeFrame(Cmd.NAK, [0x02, 0x01]))).toMatchObject({ kind: 'error' });
  });

  it('ignores unknown commands, wrong payload lengths and bad checksums', () => {
    expect(codec.decodeMessage(encodeFrame(0x99, [1]))).toBeUndefined();
    expect(codec.decodeMessage(encodeFrame(Cmd.GAIN, [1]))).toBeUndefined();
    expect(codec.decodeMessage(encodeFrame(Cmd.LEVELS, [3, 0]))).toBeUndefined();
    expect(codec.decodeMessage(bytes('ff 55 02 86 03 00'))).toBeUndefined();
  });

  it('pairs replies with the command they answer', () => {
    expect(codec.isReply({ kind: 'getGain', channel: 1 }, { kind: 'gain', channel: 1, gainDb: 0 })).toBe(true);
    expect(codec.isReply({ kind: 'getMute', channel: 1 }, { kind: 'mute', channel: 2, muted: true })).toBe(false);
    expect(codec.isReply({ kind: 'getTalkers' }, { kind: 'talkerZone', zone: 0 })).toBe(true);
    expect(codec.isReply({ kind: 'getDeviceMute' }, { kind: 'mute', channel: 1, muted: true })).toBe(false);
  });
});

describe('binary framer', () => {
  const a = 'ff 55 02 86 03 8b';
  const b = 'ff 55 03 83 03 01 8a';

  it('joins a frame split across reads, byte by byte', () => {
    const framer = codec.createFramer();
    const got: string[] = [];
    for (const byte of bytes(a)) got.push(...frames(framer.push(Buffer.from([byte]))));
    expect(got).toEqual([a]);
  });

  it('splits merged frames and keeps the tail', () => {
    const framer = codec.createFramer();
    const all = Buffer.concat([bytes(a), bytes(b), bytes(a).subarray(0, 3)]);
    expect(frames(framer.push(all))).toEqual([a, b]);
    expect(frames(framer.push(bytes(a).subarray(3)))).toEqual([a]);
  });

  it('throws away garbage, false syncs and bad lengths', () => {
    const framer = codec.createFramer();
    const noise = bytes('00 13 ff 00 ff 55 00 ff 55 ff');
    const out = framer.push(Buffer.concat([noise, bytes(a)]));
    expect(frames(out)).toEqual([a]);
    expect(garbageBytes(out)).toBe(noise.length);
  });

  it('skips a frame with a bad checksum but finds a frame starting inside it', () => {
    const framer = codec.createFramer();
    // A false header claiming 4 bytes swallows the start of a real frame.
    const out = framer.push(Buffer.concat([bytes('ff 55 04 99'), bytes(a)]));
    expect(frames(out)).toEqual([a]);
    expect(garbageBytes(out)).toBe(4);
  });

  it('resyncs after a half frame followed by a whole one', () => {
    const framer = codec.createFramer();
    const half = bytes(b).subarray(0, 4);
    const out = [...framer.push(half), ...framer.push(bytes(a)), ...framer.push(bytes(a))];
    expect(frames(out)).toContain(a);
    expect(frames(out).filter((f) => f === b)).toEqual([]);
  });

  it('forgets a partial frame on reset', () => {
    const framer = codec.createFramer();
    framer.push(bytes(a).subarray(0, 4));
    framer.reset();
    expect(frames(framer.push(bytes(a).subarray(4)))).toEqual([]);
  });
});
