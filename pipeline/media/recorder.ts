import { mkdirSync } from 'node:fs';
import { mkdir, readdir } from 'node:fs/promises';
import { join } from 'node:path';
import type { Logger } from 'pino';
import { writeFileAtomic } from '../../config/foundation/atomic-file.ts';
import { ClasscastError, InvalidStateError } from '../../config/foundation/errors.ts';
import type { RecordingSlice } from '../../config/schema/recording.ts';
import { Supervisor } from '../../config/foundation/process/supervisor.ts';
import { simpleArgs } from './ffmpeg-command.ts';
import { freeEvenUdpPort, loopbackSdp, opusStream } from './loopback-sdp.ts';
import { LESSON_ID, readPlaylist, RecordingCatalogue, type RecordingInfo } from './recording-catalogue.ts';
import type { RtpForwarder } from './rtp-forwarder.ts';
import type { PublishTargets } from './targets.ts';

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
  readonly #catalogue: RecordingCatalogue;
  readonly #forwarder: RtpForwarder;
  readonly #targets: PublishTargets;
  readonly #logger: Logger;
  #active: { lessonId: string; part: number; run: number; supervisor: Supervisor; untap: (() => void)[]; workDir: string } | undefined;
  #pruneTimer: NodeJS.Timeout | undefined;
  #closed = false;

  constructor(options: { config: RecordingSlice; dir: string; forwarder: RtpForwarder; targets: PublishTargets; logger: Logger }) {
    this.#config = options.config;
    this.#dir = options.dir;
    this.#catalogue = new RecordingCatalogue(options.dir);
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
    await this.#catalogue.sealOpenRuns();
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
      void this.#catalogue.sealRun(options.lessonId, playlist, true).catch((error: unknown) => this.#logger.warn({ err: error }, 'sealing a run failed'));
    });
    supervisor.on('spawn', () => {
      void this.#catalogue
        .addRun(options.lessonId, part, `part-${part}/run-${state.run}/index.m3u8`)
        .catch((error: unknown) => this.#logger.warn({ err: error }, 'index update failed'));
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
    await this.#catalogue.sealRun(active.lessonId, playlist, !clean);
    this.#logger.info({ lessonId: active.lessonId, part: active.part }, 'recording stopped');
  }

  async listRecordings(): Promise<RecordingInfo[]> {
    return this.#catalogue.list();
  }

  /** Deletes lessons not touched for `retentionDays` (never the one being recorded). */
  async prune(now = Date.now()): Promise<string[]> {
    if (this.#config.retentionDays === 0) return [];
    const removed = await this.#catalogue.prune(now - this.#config.retentionDays * 86_400_000, this.#active?.lessonId);
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
    // Whole or not at all: a restarting ffmpeg may read it at any moment.
    writeFileAtomic(sdpPath, this.#sdp(videoPort, audioPort));
    return [
      this.#forwarder.addTap({ kind: 'video', endpoint: { ip: '127.0.0.1', port: videoPort }, ssrcs: [this.#targets.layers[0]!.ssrc] }),
      this.#forwarder.addTap({ kind: 'audio', endpoint: { ip: '127.0.0.1', port: audioPort }, ssrcs: [this.#targets.audioSsrc] }),
    ];
  }

  #sdp(videoPort: number, audioPort: number): string {
    const t = this.#targets;
    return loopbackSdp('classcast recording', [
      { type: 'video', stream: { port: videoPort, payloadType: t.videoPayloadType, codec: 'H264', clockRate: 90_000, fmtp: 'packetization-mode=1' } },
      { type: 'audio', stream: opusStream(audioPort, t.audioPayloadType) },
    ]);
  }
}

async function existingRuns(partDir: string): Promise<number> {
  const names = await readdir(partDir).catch(() => [] as string[]);
  return names.reduce((max, name) => Math.max(max, Number(/^run-(\d+)$/.exec(name)?.[1] ?? 0)), 0);
}
