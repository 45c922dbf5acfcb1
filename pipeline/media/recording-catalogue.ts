import { readdir, readFile, rm, stat } from 'node:fs/promises';
import { join } from 'node:path';
import HLS from 'hls-parser';
import { z } from 'zod';
import { writeFileAtomic } from '../../config/foundation/atomic-file.ts';

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

/** `<lesson>/index.json`: the lesson's parts and the runs of each, read through this schema. */
const lessonIndexSchema = z.object({
  lessonId: z.string().min(1),
  updatedAt: z.string(),
  parts: z.array(
    z.object({
      part: z.number().int().min(1),
      runs: z.array(z.object({ playlist: z.string().min(1), startedAt: z.string(), endedAt: z.string().optional(), cut: z.boolean().optional() })),
    }),
  ),
});

export type LessonIndex = z.infer<typeof lessonIndexSchema>;

export const LESSON_ID = /^[A-Za-z0-9][A-Za-z0-9._-]{0,127}$/;

// Tolerant reading of ffmpeg's own playlists, with nothing on stderr (logs are pino JSON).
HLS.setOptions({ silent: true });

/**
 * What is recorded under a recordings directory, apart from any recording in progress: per
 * lesson an `index.json` (parts and runs; read through a schema, written atomically and
 * durably), each run's own HLS playlist (ffmpeg's), and `lesson.m3u8`, which joins every run
 * with discontinuities into one VOD playlist a browser plays. Works with no pipeline running.
 */
export class RecordingCatalogue {
  readonly dir: string;
  #queue: Promise<void> = Promise.resolve();

  constructor(dir: string) {
    this.dir = dir;
  }

  /** A lesson's index, or undefined if there is none or it is not a valid one. */
  async readIndex(lessonId: string): Promise<LessonIndex | undefined> {
    const text = await readFile(join(this.dir, lessonId, 'index.json'), 'utf8').catch(() => undefined);
    if (text === undefined) return undefined;
    try {
      const parsed = lessonIndexSchema.safeParse(JSON.parse(text));
      return parsed.success ? parsed.data : undefined;
    } catch {
      return undefined;
    }
  }

  /** Serialised read-modify-write of a lesson's index; the joined playlist follows it. */
  updateIndex(lessonId: string, change: (index: LessonIndex) => void): Promise<void> {
    const next = this.#queue.then(async () => {
      const index = (await this.readIndex(lessonId)) ?? { lessonId, updatedAt: '', parts: [] };
      change(index);
      index.updatedAt = new Date().toISOString();
      writeFileAtomic(join(this.dir, lessonId, 'index.json'), `${JSON.stringify(index, null, 2)}\n`);
      await this.#writeLessonPlaylist(lessonId, index);
    });
    this.#queue = next.catch(() => {});
    return next;
  }

  /** Notes a run (a recorder ffmpeg's start) of a lesson's part. */
  addRun(lessonId: string, part: number, playlist: string): Promise<void> {
    return this.updateIndex(lessonId, (index) => {
      let entry = index.parts.find((p) => p.part === part);
      if (!entry) {
        entry = { part, runs: [] };
        index.parts.push(entry);
      }
      entry.runs.push({ playlist, startedAt: new Date().toISOString() });
    });
  }

  /**
   * Closes a run: EXT-X-ENDLIST in its playlist (a player would otherwise wait for more, as
   * for a live stream) and its end in the index. A crashed run's finished segments stay
   * playable; with `temp_file` the segment in progress never made it into the playlist.
   */
  async sealRun(lessonId: string, playlist: string, cut: boolean): Promise<void> {
    const path = join(this.dir, lessonId, playlist);
    const text = await readFile(path, 'utf8').catch(() => undefined);
    if (text !== undefined && !text.includes('#EXT-X-ENDLIST')) writeFileAtomic(path, `${text.endsWith('\n') ? text : `${text}\n`}#EXT-X-ENDLIST\n`);
    await this.updateIndex(lessonId, (index) => {
      for (const run of index.parts.flatMap((p) => p.runs)) {
        if (run.playlist !== playlist || run.endedAt) continue;
        run.endedAt = new Date().toISOString();
        if (cut) run.cut = true;
      }
    });
  }

  /** Seals every run a crash of the daemon left open. */
  async sealOpenRuns(): Promise<void> {
    for (const entry of await readdir(this.dir, { withFileTypes: true }).catch(() => [])) {
      const index = entry.isDirectory() ? await this.readIndex(entry.name) : undefined;
      for (const run of index?.parts.flatMap((p) => p.runs) ?? []) {
        if (!run.endedAt) await this.sealRun(index!.lessonId, run.playlist, true);
      }
    }
  }

  /** Deletes lessons not touched since `before` (epoch ms), except `keep`; returns their ids. */
  async prune(before: number, keep: string | undefined): Promise<string[]> {
    const removed: string[] = [];
    for (const entry of await readdir(this.dir, { withFileTypes: true }).catch(() => [])) {
      if (!entry.isDirectory() || entry.name === keep) continue;
      const index = await this.readIndex(entry.name);
      const updated = index ? Date.parse(index.updatedAt) : (await stat(join(this.dir, entry.name))).mtimeMs;
      if (updated < before) {
        await rm(join(this.dir, entry.name), { recursive: true, force: true });
        removed.push(entry.name);
      }
    }
    return removed;
  }

  /** Every kept lesson, oldest first. */
  async list(): Promise<RecordingInfo[]> {
    const result: RecordingInfo[] = [];
    for (const entry of await readdir(this.dir, { withFileTypes: true }).catch(() => [])) {
      if (!entry.isDirectory()) continue;
      const index = await this.readIndex(entry.name);
      if (!index) continue;
      const parts: RecordingInfo['parts'] = [];
      for (const part of [...index.parts].sort((a, b) => a.part - b.part)) {
        const runs: RecordingRun[] = [];
        for (const run of part.runs) {
          const parsed = await readPlaylist(join(this.dir, index.lessonId, run.playlist));
          runs.push({
            playlist: run.playlist,
            startedAt: run.startedAt,
            ...(run.endedAt ? { endedAt: run.endedAt } : {}),
            segments: parsed.segments.length,
            durationSec: Math.round(parsed.duration * 1000) / 1000,
            complete: run.endedAt !== undefined && run.cut !== true,
          });
        }
        parts.push({ part: part.part, runs });
      }
      result.push({ lessonId: index.lessonId, playlist: `${index.lessonId}/lesson.m3u8`, parts, bytes: await dirBytes(join(this.dir, entry.name)), updatedAt: index.updatedAt });
    }
    return result.sort((a, b) => a.updatedAt.localeCompare(b.updatedAt));
  }

  /** `lesson.m3u8`: every run's segments in order, each run after a discontinuity with its own init segment. */
  async #writeLessonPlaylist(lessonId: string, index: LessonIndex): Promise<void> {
    const segments: InstanceType<typeof HLS.types.Segment>[] = [];
    for (const part of [...index.parts].sort((a, b) => a.part - b.part)) {
      for (const run of part.runs) {
        const base = run.playlist.slice(0, run.playlist.lastIndexOf('/') + 1);
        const parsed = await readPlaylist(join(this.dir, lessonId, run.playlist));
        parsed.segments.forEach((segment, i) => {
          segments.push(
            new HLS.types.Segment({
              uri: `${base}${segment.uri}`,
              duration: segment.duration,
              mediaSequenceNumber: segments.length,
              discontinuity: i === 0 && segments.length > 0,
              ...(i === 0 ? { map: new HLS.types.MediaInitializationSection({ uri: `${base}init.mp4` }) } : {}),
            }),
          );
        });
      }
    }
    const playlist = new HLS.types.MediaPlaylist({
      version: 7,
      independentSegments: true,
      playlistType: 'VOD',
      targetDuration: Math.max(1, ...segments.map((s) => Math.ceil(s.duration))),
      mediaSequenceBase: 0,
      endlist: true,
      segments,
    });
    writeFileAtomic(join(this.dir, lessonId, 'lesson.m3u8'), HLS.stringify(playlist));
  }
}

/** A run's HLS playlist as ffmpeg wrote it: its segments, their total length, and whether it ended. */
export async function readPlaylist(path: string): Promise<{ segments: { uri: string; duration: number }[]; duration: number; ended: boolean }> {
  const text = await readFile(path, 'utf8').catch(() => '');
  let playlist: ReturnType<typeof HLS.parse> | undefined;
  try {
    playlist = text ? HLS.parse(text) : undefined;
  } catch {
    playlist = undefined;
  }
  const segments = playlist && !playlist.isMasterPlaylist ? (playlist as InstanceType<typeof HLS.types.MediaPlaylist>).segments.map((s) => ({ uri: s.uri, duration: s.duration })) : [];
  return { segments, duration: segments.reduce((sum, s) => sum + s.duration, 0), ended: text.includes('#EXT-X-ENDLIST') };
}

/** Every kept lesson under a recordings directory (see `RecordingCatalogue.list`). */
export function listRecordings(dir: string): Promise<RecordingInfo[]> {
  return new RecordingCatalogue(dir).list();
}

async function dirBytes(dir: string): Promise<number> {
  let total = 0;
  for (const entry of await readdir(dir, { withFileTypes: true, recursive: true }).catch(() => [])) {
    if (entry.isFile()) total += (await stat(join(entry.parentPath ?? entry.path, entry.name)).catch(() => ({ size: 0 }))).size;
  }
  return total;
}
