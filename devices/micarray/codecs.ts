import { binaryCodec } from './binary/codec.ts';
import { shureAsciiCodec } from './shure-ascii/codec.ts';
import type { MicArrayProtocol, ProtocolCodec } from './types.ts';

const CODECS: Readonly<Record<MicArrayProtocol, ProtocolCodec>> = Object.freeze({
  'shure-ascii': shureAsciiCodec,
  binary: binaryCodec,
});

export function codecFor(protocol: MicArrayProtocol): ProtocolCodec {
  const codec = CODECS[protocol];
  if (!codec) throw new TypeError(`unknown mic-array protocol "${String(protocol)}"`);
  return codec;
}
