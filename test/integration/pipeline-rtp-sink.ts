import { spawn, type ChildProcess } from 'node:child_process';
import { createSocket, type Socket } from 'node:dgram';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { Logger } from 'pino';
import { pipelineSchema } from '../../config/schema/pipeline.ts';
import { MediaPipeline } from '../../pipeline/media/media-pipeline.ts';
import { freeEvenUdpPort } from '../../pipeline/media/loopback-sdp.ts';
import { defaultLayers } from '../../pipeline/media/targets.ts';

interface DecodeOptions {
  ssrc: number;
  kind: 'video' | 'audio';
  payloadType: number;
  width?: number;
  height?: number;
  count?: number;
  seconds?: number;
  timeoutMs?: number;
  /** Called as each frame arrives (e.g. to timestamp it). */
  onFrame?: (frame: Buffer) => void;
}

/**
 * Stands in for the SFU in tests: one UDP socket (like a comedia PlainTransport) that counts
 * RTP per SSRC, records the source tuples, and can hand one SSRC to a real ffmpeg decoder
 * through an SDP file, which yields raw frames or samples.
 */
export class RtpSink {
  readonly socket: Socket;
  readonly packets = new Map<number, number>();
  readonly sources = new Set<string>();
  /** Largest forward step of the RTP sequence number seen per SSRC (1 = no gap, no jump). */
  readonly maxSeqStep = new Map<number, number>();
  readonly #lastSeq = new Map<number, number>();
  readonly #routes = new Map<number, (msg: Buffer) => void>();
  readonly #children = new Set<ChildProcess>();
  readonly #dirs: string[] = [];

  private constructor(socket: Socket) {
    this.socket = socket;
    socket.on('message', (msg, rinfo) => {
      if (msg.length < 12) return;
      this.sources.add(`${rinfo.address}:${rinfo.port}`);
      const pt = msg[1]!;
      if (pt >= 192 && pt <= 223) return; // RTCP
      const ssrc = msg.readUInt32BE(8);
      this.packets.set(ssrc, (this.packets.get(ssrc) ?? 0) + 1);
      const seq = msg.readUInt16BE(2);
      const last = this.#lastSeq.get(ssrc);
      if (last !== undefined) this.maxSeqStep.set(ssrc, Math.max(this.maxSeqStep.get(ssrc) ?? 0, (seq - last + 65536) % 65536));
      this.#lastSeq.set(ssrc, seq);
      this.#routes.get(ssrc)?.(msg);
    });
  }

  static async open(): Promise<RtpSink> {
    const socket = createSocket('udp4');
    await new Promise<void>((resolve) => socket.bind(0, '127.0.0.1', () => resolve()));
    return new RtpSink(socket);
  }

  get endpoint(): { ip: string; port: number } {
    return { ip: '127.0.0.1', port: this.socket.address().port };
  }

  /** Calls `onPacket` with every RTP packet of `ssrc` from now on. */
  route(ssrc: number, onPacket: (msg: Buffer) => void): () => void {
    this.#routes.set(ssrc, onPacket);
    return () => this.#routes.delete(ssrc);
  }

  /** Resolves with the ms until the first packet of an H.264 IDR (or SPS) of `ssrc` arrives. */
  timeToKeyframe(ssrc: number, timeoutMs = 10_000): Promise<number> {
    const t0 = performance.now();
    return new Promise((resolve, reject) => {
      const timer = setTimeout(() => reject(new Error('no keyframe')), timeoutMs);
      this.route(ssrc, (msg) => {
        if (!startsKeyframe(msg)) return;
        clearTimeout(timer);
        this.#routes.delete(ssrc);
        resolve(performance.now() - t0);
      });
    });
  }

  /**
   * Decodes `ssrc` with ffmpeg from an SDP and resolves with `count` raw frames (rgb24 of
   * width×height for video; for audio, one buffer of f32le mono samples at 48 kHz, `count`
   * seconds' worth in 20 ms chunks counted as frames).
   */
  async decode(options: { ssrc: number; kind: 'video'; payloadType: number; width: number; height: number; count: number; timeoutMs?: number; onFrame?: (frame: Buffer) => void }): Promise<Buffer[]>;
  async decode(options: { ssrc: number; kind: 'audio'; payloadType: number; seconds: number; timeoutMs?: number }): Promise<Buffer[]>;
  async decode(options: DecodeOptions): Promise<Buffer[]> {
    const dir = await mkdtemp(join(tmpdir(), 'rtp-sink-'));
    this.#dirs.push(dir);
    // The decoder binds a port picked free a moment before; another process may take it in
    // between (the kernel hands out the same ephemeral ports): then it tries another.
    for (let attempt = 1; ; attempt++) {
      try {
        return await this.#decodeOnce(dir, await freeEvenUdpPort(), options);
      } catch (error) {
        if (attempt >= 5 || !(error instanceof PortTakenError)) throw error;
      }
    }
  }

  async #decodeOnce(
    dir: string,
    port: number,
    options: DecodeOptions,
  ): Promise<Buffer[]> {
    const sdpPath = join(dir, 'in.sdp');
    const media =
      options.kind === 'video'
        ? `m=video ${port} RTP/AVP ${options.payloadType}\r\na=rtpmap:${options.payloadType} H264/90000\r\na=fmtp:${options.payloadType} packetization-mode=1\r\n`
        : `m=audio ${port} RTP/AVP ${options.payloadType}\r\na=rtpmap:${options.payloadType} opus/48000/2\r\n`;
    await writeFile(sdpPath, `v=0\r\no=- 0 0 IN IP4 127.0.0.1\r\ns=sink\r\nc=IN IP4 127.0.0.1\r\nt=0 0\r\n${media}`);
    const frameBytes = options.kind === 'video' ? options.width! * options.height! * 3 : 4 * 960;
    const wanted = options.kind === 'video' ? options.count! : Math.round((options.seconds! * 1000) / 20);
    const out =
      options.kind === 'video'
        ? ['-f', 'rawvideo', '-pix_fmt', 'rgb24', '-s', `${options.width}x${options.height}`]
        : ['-f', 'f32le', '-ac', '1', '-ar', '48000'];
    const child = spawn(
      'ffmpeg',
      ['-hide_banner', '-nostdin', '-loglevel', 'error', '-protocol_whitelist', 'file,udp,rtp', '-fflags', 'nobuffer', '-probesize', '32', '-analyzeduration', '0', '-max_delay', '0', '-reorder_queue_size', '0', '-flags', 'low_delay', '-threads', '1', '-i', sdpPath, '-fps_mode', 'passthrough', ...out, 'pipe:1'],
      { stdio: ['ignore', 'pipe', 'pipe'] },
    );
    this.#children.add(child);
    let stderr = '';
    child.stderr!.on('data', (d: Buffer) => (stderr += d.toString()));
    const forwarder = createSocket('udp4');
    await new Promise<void>((resolve) => forwarder.bind(0, '127.0.0.1', () => resolve()));
    const unroute = this.route(options.ssrc, (msg) => forwarder.send(msg, port, '127.0.0.1'));
    try {
      return await new Promise<Buffer[]>((resolve, reject) => {
        let pending = Buffer.alloc(0);
        const frames: Buffer[] = [];
        const timer = setTimeout(() => reject(new Error(`decoded ${frames.length}/${wanted} frames in time; ${stderr}`)), options.timeoutMs ?? 20_000);
        child.stdout!.on('data', (data: Buffer) => {
          pending = Buffer.concat([pending, data]);
          while (pending.length >= frameBytes && frames.length < wanted) {
            const frame = Buffer.from(pending.subarray(0, frameBytes));
            frames.push(frame);
            options.onFrame?.(frame);
            pending = pending.subarray(frameBytes);
          }
          if (frames.length >= wanted) {
            clearTimeout(timer);
            resolve(frames);
          }
        });
        // 'close', not 'exit': by then stderr has been read to its end.
        child.once('close', (code) => {
          clearTimeout(timer);
          reject(stderr.includes('bind failed') && frames.length === 0 ? new PortTakenError(stderr) : new Error(`decoder exited ${code}: ${stderr}`));
        });
      });
    } finally {
      unroute();
      forwarder.close();
      child.kill('SIGKILL');
      this.#children.delete(child);
    }
  }

  async close(): Promise<void> {
    for (const child of this.#children) child.kill('SIGKILL');
    this.#routes.clear();
    this.socket.close();
    await Promise.all(this.#dirs.map((d) => rm(d, { recursive: true, force: true })));
  }
}

class PortTakenError extends Error {}

/** H.264 RTP payload (RFC 6184) that begins an IDR access unit: SPS, IDR, or their FU-A/STAP-A. */
export function startsKeyframe(msg: Buffer): boolean {
  const cc = msg[0]! & 0x0f;
  const extension = (msg[0]! & 0x10) !== 0;
  let offset = 12 + cc * 4;
  if (extension) offset += 4 + msg.readUInt16BE(offset + 2) * 4;
  const nal = msg[offset]! & 0x1f;
  if (nal === 5 || nal === 7) return true;
  if (nal === 24) return (msg[offset + 3]! & 0x1f) === 7 || (msg[offset + 3]! & 0x1f) === 5;
  if (nal === 28) return (msg[offset + 1]! & 0x80) !== 0 && (msg[offset + 1]! & 0x1f) === 5;
  return false;
}

/** Mean of an RGB region of a rgb24 frame. */
export function regionMean(frame: Buffer, width: number, region: { x: number; y: number; w: number; h: number }): [number, number, number] {
  let r = 0;
  let g = 0;
  let b = 0;
  for (let y = region.y; y < region.y + region.h; y++) {
    for (let x = region.x; x < region.x + region.w; x++) {
      const i = (y * width + x) * 3;
      r += frame[i]!;
      g += frame[i + 1]!;
      b += frame[i + 2]!;
    }
  }
  const n = region.w * region.h;
  return [r / n, g / n, b / n];
}

/** Power of one frequency in f32 samples (Goertzel), relative to the signal's total power, in dB. */
export function tonePowerDb(samples: Float32Array, frequency: number, sampleRate = 48_000): number {
  const k = (2 * Math.PI * frequency) / sampleRate;
  const coeff = 2 * Math.cos(k);
  let s1 = 0;
  let s2 = 0;
  for (const x of samples) {
    const s = x + coeff * s1 - s2;
    s2 = s1;
    s1 = s;
  }
  const power = (s1 * s1 + s2 * s2 - coeff * s1 * s2) / (samples.length * samples.length);
  return 10 * Math.log10(power + 1e-20);
}

export function toFloat32(buffers: Buffer[]): Float32Array {
  const all = Buffer.concat(buffers);
  return new Float32Array(all.buffer.slice(all.byteOffset, all.byteOffset + all.length));
}

/** Polls `condition` every 50 ms until it holds; throws after `timeoutMs`. */
export async function waitUntil(condition: () => boolean | Promise<boolean>, timeoutMs: number, what = 'condition'): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!(await condition())) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
}

/**
 * A small pipeline for the sound tests: a 160x90 test picture in one layer and the given
 * channels, sending to two sinks (video, audio). `config` adds to or overrides the pipeline
 * slice.
 */
export async function startSoundPipeline(options: { audioChannels: unknown[]; audioSsrc: number; config?: Record<string, unknown>; logger: Logger }): Promise<{ pipeline: MediaPipeline; video: RtpSink; audio: RtpSink; close: () => Promise<void> }> {
  const video = await RtpSink.open();
  const audio = await RtpSink.open();
  const config = pipelineSchema.parse({ width: 160, height: 90, fps: 10, videoBitrateKbps: 150, lowLayer: { enabled: false }, audioChannels: options.audioChannels, ...options.config });
  const pipeline = new MediaPipeline({
    config,
    videoInputs: [],
    targets: { video: video.endpoint, videoPayloadType: 102, layers: defaultLayers(160, 90, 150).slice(0, 1), audio: audio.endpoint, audioPayloadType: 100, audioSsrc: options.audioSsrc },
    logger: options.logger,
  });
  await pipeline.start();
  return {
    pipeline,
    video,
    audio,
    close: async () => {
      await pipeline.close();
      await Promise.all([video.close(), audio.close()]);
    },
  };
}
