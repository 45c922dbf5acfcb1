import { describe, expect, it } from 'vitest';
import { shureAsciiCodec as codec, gainToRaw, rawToGain } from '../../devices/micarray/shure-ascii/codec.ts';
import type { DeviceCommand, DeviceMessage, FramerOutput } from '../../devices/micarray/types.ts';

const text = (b: Buffer) => b.toString('latin1');
const frames = (outs: FramerOutput[]) => outs.flatMap((o) => ('frame' in o ? [text(o.frame)] : []));
const garbage = (outs: FramerOutput[]) => outs.flatMap((o) => ('garbage' in o ? [text(o.garbage)] : []));
const decode = (s: string) => codec.decodeMessage(Buffer.from(s, 'latin1'));

describe('shure-ascii codec: commands', () => {
  const cases: [DeviceCommand, string][] = [
    [{ kind: 'getGain', channel: 1 }, '< GET 01 AUDIO_GAIN_HI_RES >'],
    [{ kind: 'setGain', channel: 3, gainDb: 0 }, '< SET 03 AUDIO_GAIN_HI_RES 1100 >'],
    [{ kind: 'setGain', channel: 12, gainDb: -110 }, '< SET 12 AUDIO_GAIN_HI_RES 0000 >'],
    [{ kind: 'setGain', channel: 2, gainDb: 6.5 }, '< SET 02 AUDIO_GAIN_HI_RES 1165 >'],
    [{ kind: 'getMute', channel: 4 }, '< GET 04 AUDIO_MUTE >'],
    [{ kind: 'setMute', channel: 4, muted: true }, '< SET 04 AUDIO_MUTE ON >'],
    [{ kind: 'setMute', channel: 4, muted: false }, '< SET 04 AUDIO_MUTE OFF >'],
    [{ kind: 'getDeviceMute' }, '< GET DEVICE_AUDIO_MUTE >'],
    [{ kind: 'setDeviceMute', muted: true }, '< SET DEVICE_AUDIO_MUTE ON >'],
    [{ kind: 'setMeterRate', ms: 100 }, '< SET METER_RATE 00100 >'],
    [{ kind: 'setMeterRate', ms: 0 }, '< SET METER_RATE 00000 >'],
    [{ kind: 'getTalkers' }, '< GET 00 AUTOMIX_GATE_OUT_EXT_SIG >'],
  ];
  it.each(cases)('encodes %o and decodes it back', (command, wire) => {
    expect(text(codec.encodeCommand(command))).toBe(wire);
    expect(codec.decodeCommand(Buffer.from(wire))).toEqual(command);
  });

  it('maps gain as dB×10 + 1100 within 0…1400', () => {
    expect(gainToRaw(30)).toBe(1400);
    expect(rawToGain(1000)).toBe(-10);
    expect(() => gainToRaw(30.1)).toThrow(TypeError);
    expect(() => gainToRaw(-111)).toThrow(TypeError);
  });

  it('rejects bad arguments with TypeError', () => {
    expect(() => codec.encodeCommand({ kind: 'getGain', channel: 0 })).toThrow(TypeError);
    expect(() => codec.encodeCommand({ kind: 'setMeterRate', ms: 50 })).toThrow(TypeError);
  });
});

describe('shure-ascii codec: reports', () => {
  const cases: [string, DeviceMessage][] = [
    ['< REP 01 AUDIO_GAIN_HI_RES 1100 >', { kind: 'gain', channel: 1, gainDb: 0 }],
    ['< REP 08 AUDIO_GAIN_HI_RES 1040 >', { kind: 'gain', channel: 8, gainDb: -6 }],
    ['< REP 02 AUDIO_MUTE ON >', { kind: 'mute', channel: 2, muted: true }],
    ['< REP 02 AUDIO_MUTE OFF >', { kind: 'mute', channel: 2, muted: false }],
    ['< REP DEVICE_AUDIO_MUTE ON >', { kind: 'deviceMute', muted: true }],
    ['< REP METER_RATE 00250 >', { kind: 'meterRate', ms: 250 }],
    ['< SAMPLE 060 045 000 >', { kind: 'meters', levels: [0, -15, -60] }],
    ['< REP 03 AUTOMIX_GATE_OUT_EXT_SIG ON >', { kind: 'talker', channel: 3, active: true }],
    ['< REP 03 AUTOMIX_GATE_OUT_EXT_SIG OFF >', { kind: 'talker', channel: 3, active: false }],
    ['< REP ERR >', { kind: 'error', detail: 'ERR' }],
  ];
  it.each(cases)('decodes %s and encodes it back', (wire, message) => {
    expect(decode(wire)).toEqual(message);
    expect(text(codec.encodeMessage(message))).toBe(wire);
  });

  it('ignores well-formed strings it does not know and malformed values', () => {
    expect(decode('< REP 01 CHAN_NAME {Lectern} >')).toBeUndefined();
    expect(decode('< REP 01 AUDIO_MUTE MAYBE >')).toBeUndefined();
    expect(decode('< REP 01 AUDIO_GAIN_HI_RES 9999 >')).toBeUndefined();
    expect(decode('< SAMPLE 01 >')).toBeUndefined();
    expect(decode('< REP 0x AUDIO_MUTE ON >')).toBeUndefined();
    expect(decode('< REP 01 AUDIO_MUTE \u0001ON >')).toBeUndefined();
  });

  it('pairs replies with the command they answer', () => {
    expect(codec.isReply({ kind: 'setGain', channel: 2, gainDb: 0 }, { kind: 'gain', channel: 2, gainDb: 0 })).toBe(true);
    expect(codec.isReply({ kind: 'setGain', channel: 2, gainDb: 0 }, { kind: 'gain', channel: 3, gainDb: 0 })).toBe(false);
    expect(codec.isReply({ kind: 'getMute', channel: 1 }, { kind: 'gain', channel: 1, gainDb: 0 })).toBe(false);
    expect(codec.isReply({ kind: 'setDeviceMute', muted: true }, { kind: 'deviceMute', muted: true })).toBe(true);
    expect(codec.isReply({ kind: 'setMeterRate', ms: 100 }, { kind: 'meterRate', ms: 100 })).toBe(true);
    expect(codec.isReply({ kind: 'getTalkers' }, { kind: 'talker', channel: 1, active: false })).toBe(true);
  });
});

describe('shure-ascii framer', () => {
  it('joins a frame split across reads, byte by byte', () => {
    const framer = codec.createFramer();
    const wire = '< REP 01 AUDIO_MUTE ON >';
    const got: string[] = [];
    for (const c of wire) got.push(...frames(framer.push(Buffer.from(c))));
    expect(got).toEqual([wire]);
  });

  it('splits merged frames from one read', () => {
    const framer = codec.createFramer();
    const out = framer.push(Buffer.from('< SAMPLE 010 020 >< REP 01 AUDIO_MUTE ON >< REP DEV'));
    expect(frames(out)).toEqual(['< SAMPLE 010 020 >', '< REP 01 AUDIO_MUTE ON >']);
    expect(frames(framer.push(Buffer.from('ICE_AUDIO_MUTE OFF >')))).toEqual(['< REP DEVICE_AUDIO_MUTE OFF >']);
  });

  it('throws away garbage between frames and reports it', () => {
    const framer = codec.createFramer();
    const out = framer.push(Buffer.from('\r\n\x00noise< REP 01 AUDIO_MUTE ON >xx'));
    expect(frames(out)).toEqual(['< REP 01 AUDIO_MUTE ON >']);
    expect(garbage(out).join('')).toBe('\r\n\x00noisexx');
  });

  it('resyncs on a new "<" after a half frame', () => {
    const framer = codec.createFramer();
    const first = framer.push(Buffer.from('< REP 01 AUDIO_GA'));
    expect(frames(first)).toEqual([]);
    const out = framer.push(Buffer.from('< REP 02 AUDIO_MUTE OFF >'));
    expect(frames(out)).toEqual(['< REP 02 AUDIO_MUTE OFF >']);
    expect(garbage(out)).toEqual(['< REP 01 AUDIO_GA']);
  });

  it('drops an endless frame and recovers', () => {
    const framer = codec.createFramer();
    const out = framer.push(Buffer.from(`<${'x'.repeat(600)}`));
    expect(garbage(out).join('').length).toBe(601);
    expect(frames(framer.push(Buffer.from('< REP METER_RATE 00100 >')))).toEqual(['< REP METER_RATE 00100 >']);
  });

  it('forgets a partial frame on reset', () => {
    const framer = codec.createFramer();
    framer.push(Buffer.from('< REP 01 AUD'));
    framer.reset();
    expect(frames(framer.push(Buffer.from('IO_MUTE ON >')))).toEqual([]);
  });
});
