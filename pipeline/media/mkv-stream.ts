/**
 * A live Matroska stream of raw I420 video: the few EBML elements ffmpeg's demuxer needs to
 * read frames with their own timestamps from a socket. Why Matroska and not `-f rawvideo`: a
 * raw stream carries no timestamps, so ffmpeg stamps frames itself and the compositor has to
 * retime them onto a grid (`fps`). A timestamp chosen here reaches the encoder untouched, and
 * that is what lets one frame carry a flag (an odd millisecond) that turns it into an IDR
 * (`-force_key_frames expr:`; see keyframe-flag.ts). The Segment and each Cluster have unknown
 * sizes, as in any live Matroska stream; a new Cluster starts before the 16-bit relative block
 * time would overflow. Spec: RFC 9559 (Matroska), RFC 8794 (EBML).
 */

const ID = {
  ebml: 0x1a45dfa3,
  ebmlVersion: 0x4286,
  ebmlReadVersion: 0x42f7,
  ebmlMaxIdLength: 0x42f2,
  ebmlMaxSizeLength: 0x42f3,
  docType: 0x4282,
  docTypeVersion: 0x4287,
  docTypeReadVersion: 0x4285,
  segment: 0x18538067,
  info: 0x1549a966,
  timestampScale: 0x2ad7b1,
  muxingApp: 0x4d80,
  writingApp: 0x5741,
  tracks: 0x1654ae6b,
  trackEntry: 0xae,
  trackNumber: 0xd7,
  trackUid: 0x73c5,
  trackType: 0x83,
  codecId: 0x86,
  flagLacing: 0x9c,
  video: 0xe0,
  pixelWidth: 0xb0,
  pixelHeight: 0xba,
  colourSpace: 0x2eb524,
  cluster: 0x1f43b675,
  timestamp: 0xe7,
  simpleBlock: 0xa3,
} as const;

/** Unknown size (all value bits set) in an 8-byte size field. */
const UNKNOWN_SIZE = Buffer.from([0x01, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff]);
/** A block's time is a signed 16-bit offset from its cluster's; start a new cluster well before. */
const MAX_CLUSTER_SPAN_MS = 30_000;

function idBytes(id: number): Buffer {
  const bytes: number[] = [];
  for (let v = id; v > 0; v = Math.floor(v / 256)) bytes.unshift(v & 0xff);
  return Buffer.from(bytes);
}

/** An element size as an 8-byte EBML variable-size integer (simple, and valid for any size). */
function sizeBytes(size: number): Buffer {
  const out = Buffer.alloc(8);
  out[0] = 0x01;
  out.writeUIntBE(Math.floor(size / 2 ** 32), 1, 3);
  out.writeUInt32BE(size >>> 0, 4);
  return out;
}

function element(id: number, payload: Buffer): Buffer {
  return Buffer.concat([idBytes(id), sizeBytes(payload.length), payload]);
}

function uint(id: number, value: number): Buffer {
  const bytes: number[] = [];
  for (let v = value; v > 0; v = Math.floor(v / 256)) bytes.unshift(v & 0xff);
  return element(id, Buffer.from(bytes.length > 0 ? bytes : [0]));
}

function text(id: number, value: string): Buffer {
  return element(id, Buffer.from(value, 'ascii'));
}

/** Everything before the first cluster: EBML header, Segment start, Info and the one track. */
export function mkvHeader(width: number, height: number): Buffer {
  const ebml = element(
    ID.ebml,
    Buffer.concat([
      uint(ID.ebmlVersion, 1),
      uint(ID.ebmlReadVersion, 1),
      uint(ID.ebmlMaxIdLength, 4),
      uint(ID.ebmlMaxSizeLength, 8),
      text(ID.docType, 'matroska'),
      uint(ID.docTypeVersion, 4),
      uint(ID.docTypeReadVersion, 2),
    ]),
  );
  const info = element(
    ID.info,
    Buffer.concat([uint(ID.timestampScale, 1_000_000), text(ID.muxingApp, 'classcast'), text(ID.writingApp, 'classcast')]),
  );
  const video = element(
    ID.video,
    Buffer.concat([uint(ID.pixelWidth, width), uint(ID.pixelHeight, height), element(ID.colourSpace, Buffer.from('I420', 'ascii'))]),
  );
  const track = element(
    ID.trackEntry,
    Buffer.concat([
      uint(ID.trackNumber, 1),
      uint(ID.trackUid, 1),
      uint(ID.trackType, 1),
      text(ID.codecId, 'V_UNCOMPRESSED'),
      uint(ID.flagLacing, 0),
      video,
    ]),
  );
  return Buffer.concat([ebml, idBytes(ID.segment), UNKNOWN_SIZE, info, element(ID.tracks, track)]);
}

/**
 * Frames of one stream, in order. `frame()` returns the bytes to write before a frame's
 * payload (a cluster start when needed, and the SimpleBlock head); the payload itself is
 * written by the caller, so a large frame is never copied.
 */
export class MkvFrameHeads {
  #clusterMs: number | undefined;
  #lastMs = -Infinity;

  /** The head for a keyframe-flagged block of `bytes` payload at `ms` (milliseconds, not decreasing). */
  frame(ms: number, bytes: number): Buffer {
    if (!Number.isInteger(ms) || ms < 0) throw new TypeError(`block time must be a whole, non-negative millisecond, got ${ms}`);
    if (ms < this.#lastMs) throw new TypeError(`block time went back from ${this.#lastMs} to ${ms}`);
    this.#lastMs = ms;
    const parts: Buffer[] = [];
    if (this.#clusterMs === undefined || ms - this.#clusterMs > MAX_CLUSTER_SPAN_MS) {
      this.#clusterMs = ms;
      parts.push(idBytes(ID.cluster), UNKNOWN_SIZE, uint(ID.timestamp, ms));
    }
    // Track number 1 as a 1-byte vint, the relative time, flags: keyframe (every raw frame is).
    const block = Buffer.alloc(4);
    block[0] = 0x81;
    block.writeInt16BE(ms - this.#clusterMs, 1);
    block[3] = 0x80;
    parts.push(idBytes(ID.simpleBlock), sizeBytes(block.length + bytes), block);
    return Buffer.concat(parts);
  }
}
