import { createSocket } from 'node:dgram';
import { mkdirSync } from 'node:fs';
import { mkdir, readdir, readFile, rename, rm, stat, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import type { Logger } from 'pino';
import { ClasscastError, InvalidStateError } from '../../config/foundation/errors.ts';
import type { RecordingSlice } from '../../config/schema/recording.ts';
import { Supervisor } from '../../config/foundation/process/supervisor.ts';
import { simpleArgs } from './ffmpeg-command.ts';
import type { RtpForwarder } from './rtp-forwarder.ts';
import type { PublishTargets } from './targets.ts';

export interface RecordingRun {
  /** Relative to the lesson's directory, e.g. `part-1/run-1/index.m3u8`. */
  playlist: string;
  startedAt: string;
  endedAt?: string;
  segments: number;
  durationSec: number;
  /** Ended by a stop. False while running, and for a run cut short by a crash (its finished segments are kept). */
  complete: boolean;
}

export interface RecordingInfo {
  lessonId: string;
  /** VOD playlist of all parts and runs in order, relative to the recordings dir. */
  playlist: string;
  parts: { part: number; runs: RecordingRun[] }[];
  bytes: number;
  updatedAt: string;
}

interface LessonIndex {
  lessonId: string;
  updatedAt: string;
  parts: { part: number; runs: { playlist: string; startedAt: string; endedAt?: string; cut?: boolean }[] }[];
}

const LESSON_ID = /^[A-Za-z0-9][A-Za-z0-9._-]{0,127}$/;

/**
 * Records a broadcast without another encoder: the RtpForwarder taps the high video layer and
 * the audio to a recorder ffmpeg (RTP in from an SDP, `-c copy`), which writes HLS with
 * fragmented-MP4 segments. A segment is on disk, and in the playlist, once it is complete, so
 * a crash loses at most the segment in progress. Each ffmpeg (re)start writes a new run
 * directory (a restart never overwrites what an earlier run wrote); the timetable's
 * restarted recordings are parts. `index.json` per lesson lists parts and runs, and
 * `lesson.m3u8` joins them with discontinuities into one playlist a browser (hls.js, Safari)
 * plays.
 */
export class Recorder {
  readonly #config: RecordingSlice;
  readonly #dir: string;
  readonly #forwarder: RtpForwarder;
  readonly #targets: PublishTargets;
  readonly #logger: Logger;
  #active: { lessonId: string; part: number; run: number; supervisor: Supervisor; untap: (() => void)[]; workDir: string } | undefined;
  #pruneTimer: NodeJS.Timeout | undefined;
  #closed = false;

  constructor(options: { config: RecordingSlice; dir: string; forwarder: RtpForwarder; targets: PublishTargets; logger: Logger }) {
    this.#config = options.config;
    this.#dir = options.dir;
    this.#forwarder = options.forwarder;
    this.#targets = options.targets;
    this.#logger = options.logger.child({ component: 'recorder' });
  }

  /** The recorder ffmpeg's pid while recording (tests kill it). */
  get pid(): number | undefined {
    return this.#active?.supervisor.pid;
  }

  get recording(): { lessonId: string; part: number } | undefined {
    return this.#active ? { lessonId: this.#active.lessonId, part: this.#active.part } : undefined;
  }

  /** Seals runs a crash of the daemon left open, prunes old lessons now and then hourly. */
  async start(): Promise<void> {
    await mkdir(this.#dir, { recursive: true });
    for (const entry of await readdir(this.#dir, { withFileTypes: true })) {
      const index = entry.isDirectory() ? await this.#readIndex(entry.name) : undefined;
      for (const run of index?.parts.flatMap((p) => p.runs) ?? []) {
        if (!run.endedAt) await this.#sealRun(index!.lessonId, run.playlist, true);
      }
    }
    await this.prune();
    this.#pruneTimer = setInterval(() => void this.prune().catch(() => {}), 3_600_000);
    this.#pruneTimer.unref();
  }

  async startRecording(options: { lessonId: string; part?: number }): Promise<void> {
    if (this.#closed) throw new InvalidStateError('recorder closed');
    if (!LESSON_ID.test(options.lessonId)) throw new TypeError('lessonId must be 1–128 of letters, digits, ".", "_" or "-"');
    const part = options.part ?? 1;
    if (!Number.isInteger(part) || part < 1) throw new TypeError('part must be a positive integer');
    if (this.#active) {
      if (this.#active.lessonId === options.lessonId && this.#active.part === part) return;
      throw new ClasscastError('CONFLICT', `already recording ${this.#active.lessonId} part ${this.#active.part}`);
    }
    const lessonDir = join(this.#dir, options.lessonId);
    const partDir = join(lessonDir, `part-${part}`);
    await mkdir(partDir, { recursive: true });
    const sdpPath = join(partDir, 'input.sdp');
    const untap = await this.#listen(sdpPath);
    let run = (await existingRuns(partDir)) + 1;
    const state = { lessonId: options.lessonId, part, run, untap, workDir: partDir, supervisor: undefined as unknown as Supervisor };
    const supervisor = new Supervisor({
      name: `ffmpeg-recorder-${options.lessonId}`,
      command: 'ffmpeg',
      args: () => {
        // Every spawn is a new run: a restart appends, it never overwrites.
        state.run = run;
        run += 1;
        const runDir = join(partDir, `run-${state.run}`);
        mkdirSync(runDir, { recursive: true });
        return this.#args(sdpPath, runDir);
      },
      logger: this.#logger,
      readyWhen: (line) => line.startsWith('Output #0'),
      readyTimeoutMs: 20_000,
      backoff: { initialMs: 500, maxMs: 5_000 },
      // ffmpeg writes the last segment and EXT-X-ENDLIST on SIGINT/SIGTERM; give it time.
      stopSignal: 'SIGINT',
      stopTimeoutMs: 5_000,
    });
    state.supervisor = supervisor;
    supervisor.on('exit', (_code, _signal, expected) => {
      if (expected) return;
      // The ports were picked free just before ffmpeg bound them; if another process took one
      // in between, ffmpeg cannot bind it again: the next run gets new ones.
      void this.#listen(sdpPath)
        .then((next) => {
          const stale = this.#active === state ? state.untap.splice(0, Infinity, ...next) : next;
          for (const off of stale) off();
        })
        .catch((error: unknown) => this.#logger.warn({ err: error }, 'new recorder ports failed'));
      const playlist = `part-${part}/run-${state.run}/index.m3u8`;
      void this.#sealRun(options.lessonId, playlist, true).catch((error: unknown) => this.#logger.warn({ err: error }, 'sealing a run failed'));
    });
    supervisor.on('spawn', () => {
      void this.#updateIndex(options.lessonId, (index) => {
        const entry = partOf(index, part);
        entry.runs.push({ playlist: `part-${part}/run-${state.run}/index.m3u8`, startedAt: new Date().toISOString() });
      }).catch((error: unknown) => this.#logger.warn({ err: error }, 'index update failed'));
    });
    this.#active = state;
    this.#logger.info({ lessonId: options.lessonId, part }, 'recording');
    try {
      await supervisor.start();
    } catch (error) {
      // Not ready in time is not fatal: the supervisor keeps retrying while we stay active.
      this.#logger.warn({ err: error }, 'recorder not ready yet; retrying');
    }
  }

  async stopRecording(): Promise<void> {
    const active = this.#active;
    if (!active) return;
    this.#active = undefined;
    await active.supervisor.stop();
    for (const untap of active.untap) untap();
    const playlist = `part-${active.part}/run-${active.run}/index.m3u8`;
    // ffmpeg writes EXT-X-ENDLIST itself on SIGINT; without it, it was killed: a cut run.
    const clean = (await readPlaylist(join(this.#dir, active.lessonId, playlist))).ended;
    await this.#sealRun(active.lessonId, playlist, !clean);
    this.#logger.info({ lessonId: active.lessonId, part: active.part }, 'recording stopped');
  }

  async listRecordings(): Promise<RecordingInfo[]> {
    return listRecordings(this.#dir);
  }

  /** Deletes lessons not touched for `retentionDays` (never the one being recorded). */
  async prune(now = Date.now()): Promise<string[]> {
    if (this.#config.retentionDays === 0) return [];
    const removed: string[] = [];
    const limit = now - this.#config.retentionDays * 86_400_000;
    for (const entry of await readdir(this.#dir, { withFileTypes: true }).catch(() => [])) {
      if (!entry.isDirectory() || entry.name === this.#active?.lessonId) continue;
      const index = await this.#readIndex(entry.name);
      const updated = index ? Date.parse(index.updatedAt) : (await stat(join(this.#dir, entry.name))).mtimeMs;
      if (updated < limit) {
        await rm(join(this.#dir, entry.name), { recursive: true, force: true });
        removed.push(entry.name);
      }
    }
    if (removed.length > 0) this.#logger.info({ removed }, 'old recordings removed');
    return removed;
  }

  async close(): Promise<void> {
    if (this.#closed) return;
    this.#closed = true;
    clearInterval(this.#pruneTimer);
    await this.stopRecording();
  }

  #args(sdpPath: string, runDir: string): string[] {
    const seconds = this.#config.segmentSeconds;
    return simpleArgs(
      // The SDP has no sprop-parameter-sets: ffmpeg finds SPS/PPS in band, so it must probe
      // past one high-layer keyframe interval before it writes the MP4 init segment.
      { url: sdpPath, options: ['-protocol_whitelist', 'file,udp,rtp', '-analyzeduration', '5000000', '-probesize', '5000000', '-reorder_queue_size', '64'] },
      join(runDir, 'index.m3u8'),
      [
        '-map', '0',
        '-c', 'copy',
        '-f', 'hls',
        '-hls_time', String(seconds),
        '-hls_list_size', '0',
        '-hls_playlist_type', 'event',
        '-hls_segment_type', 'fmp4',
        '-hls_fmp4_init_filename', 'init.mp4',
        '-hls_segment_filename', join(runDir, 'seg-%05d.m4s'),
        '-hls_flags', 'independent_segments+temp_file',
      ],
    );
  }

  /** Picks two free ports, writes the SDP that names them and taps the stream into them. */
  async #listen(sdpPath: string): Promise<(() => void)[]> {
    const videoPort = await freeEvenUdpPort();
    const audioPort = await freeEvenUdpPort();
    await writeFile(sdpPath, this.#sdp(videoPort, audioPort));
    return [
      this.#forwarder.addTap({ kind: 'video', endpoint: { ip: '127.0.0.1', port: videoPort }, ssrcs: [this.#targets.layers[0]!.ssrc] }),
      this.#forwarder.addTap({ kind: 'audio', endpoint: { ip: '127.0.0.1', port: audioPort }, ssrcs: [this.#targets.audioSsrc] }),
    ];
  }

  #sdp(videoPort: number, audioPort: number): string {
    const t = this.#targets;
    return [
      'v=0',
      'o=- 0 0 IN IP4 127.0.0.1',
      's=classcast recording',
      'c=IN IP4 127.0.0.1',
      't=0 0',
      `m=video ${videoPort} RTP/AVP ${t.videoPayloadType}`,
      `a=rtpmap:${t.videoPayloadType} H264/90000`,
      `a=fmtp:${t.videoPayloadType} packetization-mode=1`,
      `m=audio ${audioPort} RTP/AVP ${t.audioPayloadType}`,
      `a=rtpmap:${t.audioPayloadType} opus/48000/2`,
      '',
    ].join('\r\n');
  }

  /**
   * Closes a run: EXT-X-ENDLIST in its playlist (a player would otherwise wait for more, as
   * for a live stream) and its end in the index. A crashed run's finished segments stay
   * playable; with `temp_file` the segment in progress never made it into the playlist.
   */
  async #sealRun(lessonId: string, playlist: string, cut: boolean): Promise<void> {
    const path = join(this.#dir, lessonId, playlist);
    const text = await readFile(path, 'utf8').catch(() => undefined);
    if (text !== undefined && !text.includes('#EXT-X-ENDLIST')) {
      await writeFile(`${path}.tmp`, `${text.endsWith('\n') ? text : `${text}\n`}#EXT-X-ENDLIST\n`);
      await rename(`${path}.tmp`, path);
    }
    await this.#updateIndex(lessonId, (index) => {
      for (const run of index.parts.flatMap((p) => p.runs)) {
        if (run.playlist !== playlist || run.endedAt) continue;
        run.endedAt = new Date().toISOString();
        if (cut) run.cut = true;
      }
    });
  }

  #readIndex(lessonId: string): Promise<LessonIndex | undefined> {
    return readIndex(this.#dir, lessonId);
  }

  #indexQueue: Promise<void> = Promise.resolve();

  /** Serialised read-modify-write, written atomically (temp file + rename). */
  #updateIndex(lessonId: string, change: (index: LessonIndex) => void): Promise<void> {
    const next = this.#indexQueue.then(async () => {
      const index = (await this.#readIndex(lessonId)) ?? { lessonId, updatedAt: '', parts: [] };
      change(index);
      index.updatedAt = new Date().toISOString();
      const path = join(this.#dir, lessonId, 'index.json');
      await writeFile(`${path}.tmp`, JSON.stringify(index, null, 2));
      await rename(`${path}.tmp`, path);
      await this.#writeLessonPlaylist(lessonId, index);
    });
    this.#indexQueue = next.catch(() => {});
    return next;
  }

  async #writeLessonPlaylist(lessonId: string, known?: LessonIndex): Promise<void> {
    const index = known ?? (await this.#readIndex(lessonId));
    if (!index) return;
    const lines = ['#EXTM3U', '#EXT-X-VERSION:7', '#EXT-X-PLAYLIST-TYPE:VOD', '#EXT-X-INDEPENDENT-SEGMENTS'];
    let target = 1;
    let first = true;
    const body: string[] = [];
    for (const part of [...index.parts].sort((a, b) => a.part - b.part)) {
      for (const run of part.runs) {
        const base = run.playlist.slice(0, run.playlist.lastIndexOf('/') + 1);
        const parsed = await readPlaylist(join(this.#dir, lessonId, run.playlist));
        if (parsed.segments.length === 0) continue;
        if (!first) body.push('#EXT-X-DISCONTINUITY');
        first = false;
        body.push(`#EXT-X-MAP:URI="${base}init.mp4"`);
        for (const segment of parsed.segments) {
          target = Math.max(target, Math.ceil(segment.duration));
          body.push(`#EXTINF:${segment.duration.toFixed(6)},`, `${base}${segment.uri}`);
        }
      }
    }
    lines.push(`#EXT-X-TARGETDURATION:${target}`, '#EXT-X-MEDIA-SEQUENCE:0', ...body, '#EXT-X-ENDLIST', '');
    const path = join(this.#dir, lessonId, 'lesson.m3u8');
    await writeFile(`${path}.tmp`, lines.join('\n'));
    await rename(`${path}.tmp`, path);
  }
}

function partOf(index: LessonIndex, part: number): LessonIndex['parts'][number] {
  let entry = index.parts.find((p) => p.part === part);
  if (!entry) {
    entry = { part, runs: [] };
    index.parts.push(entry);
  }
  return entry;
}

async function existingRuns(partDir: string): Promise<number> {
  const names = await readdir(partDir).catch(() => [] as string[]);
  return names.reduce((max, name) => Math.max(max, Number(/^run-(\d+)$/.exec(name)?.[1] ?? 0)), 0);
}

export async function readPlaylist(path: string): Promise<{ segments: { uri: string; duration: number }[]; duration: number; ended: boolean }> {
  const text = await readFile(path, 'utf8').catch(() => '');
  const segments: { uri: string; duration: number }[] = [];
  let pending: number | undefined;
  for (const line of text.split('\n').map((l) => l.trim())) {
    if (line.startsWith('#EXTINF:')) pending = Number.parseFloat(line.slice(8));
    else if (line && !line.startsWith('#') && pending !== undefined) {
      segments.push({ uri: line, duration: pending });
      pending = undefined;
    }
  }
  return { segments, duration: segments.reduce((s, x) => s + x.duration, 0), ended: text.includes('#EXT-X-ENDLIST') };
}

/**
 * Every kept lesson under a recordings directory, oldest first. Reads only what recorders
 * wrote (each lesson's index.json and playlists), so it works with no pipeline running.
 */
export async function listRecordings(dir: string): Promise<RecordingInfo[]> {
  const entries = await readdir(dir, { withFileTypes: true }).catch(() => []);
  const result: RecordingInfo[] = [];
  for (const entry of entries) {
    if (!entry.isDirectory()) continue;
    const index = await readIndex(dir, entry.name);
    if (!index) continue;
    const parts: RecordingInfo['parts'] = [];
    for (const part of [...index.parts].sort((a, b) => a.part - b.part)) {
      const runs: RecordingRun[] = [];
      for (const run of part.runs) {
        const parsed = await readPlaylist(join(dir, index.lessonId, run.playlist));
        runs.push({
          playlist: run.playlist,
          startedAt: run.startedAt,
          ...(run.endedAt ? { endedAt: run.endedAt } : {}),
          segments: parsed.segments.length,
          durationSec: round(parsed.duration),
          complete: run.endedAt !== undefined && run.cut !== true,
        });
      }
      parts.push({ part: part.part, runs });
    }
    result.push({ lessonId: index.lessonId, playlist: `${index.lessonId}/lesson.m3u8`, parts, bytes: await dirBytes(join(dir, entry.name)), updatedAt: index.updatedAt });
  }
  return result.sort((a, b) => a.updatedAt.localeCompare(b.updatedAt));
}

async function readIndex(dir: string, lessonId: string): Promise<LessonIndex | undefined> {
  try {
    return JSON.parse(await readFile(join(dir, lessonId, 'index.json'), 'utf8')) as LessonIndex;
  } catch {
    return undefined;
  }
}

async function dirBytes(dir: string): Promise<number> {
  let total = 0;
  for (const entry of await readdir(dir, { withFileTypes: true, recursive: true }).catch(() => [])) {
    if (entry.isFile()) total += (await stat(join(entry.parentPath ?? entry.path, entry.name)).catch(() => ({ size: 0 }))).size;
  }
  return total;
}

function round(n: number): number {
  return Math.round(n * 1000) / 1000;
}

/** ffmpeg's RTP input binds the port and the next one (RTCP): an even port keeps them a pair. */
export async function freeEvenUdpPort(): Promise<number> {
  for (;;) {
    const socket = createSocket('udp4');
    await new Promise<void>((resolve) => socket.bind(0, '127.0.0.1', () => resolve()));
    const port = socket.address().port;
    socket.close();
    if (port % 2 === 0 && port < 65534) return port;
  }
}
