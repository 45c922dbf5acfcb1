import { createReadStream } from 'node:fs';
import { stat } from 'node:fs/promises';
import path from 'node:path';
import { z } from 'zod';
import { ClasscastError } from '../../../config/foundation/errors.ts';
import type { RecordingInfo } from '../../../pipeline/media/recording-catalogue.ts';
import type { RoutePlugin } from '../types.ts';
import { parseInput } from '../validate.ts';

export interface RecordingRouteDeps {
  /** Every kept lesson recording (the pipeline's `listRecordings()`). */
  list: () => Promise<RecordingInfo[]>;
  /** The recordings directory whose playlists and segments may be fetched; absent = listing only. */
  dir?: () => string | undefined;
}

/** Only what the recorder writes: playlists, init and media segments. */
const CONTENT_TYPES: Record<string, string> = {
  '.m3u8': 'application/vnd.apple.mpegurl',
  '.mp4': 'video/mp4',
  '.m4s': 'video/iso.segment',
  '.ts': 'video/mp2t',
};

const SEGMENT = /^[A-Za-z0-9][A-Za-z0-9._-]{0,127}$/;

const fileSchema = z.object({
  '*': z
    .string()
    .min(1)
    .max(512)
    .refine((p) => p.split('/').every((s) => SEGMENT.test(s) && s !== '..'), { message: 'not a recording file path' }),
});

/**
 * `GET /api/recordings` (viewer): the kept lessons, newest first, each with the playlist to
 * play. `GET /api/recordings/files/<lesson>/…` serves that playlist and its segments with
 * the same bearer token (the console plays them with hls.js, which sends the header).
 */
export const recordingRoutes: RoutePlugin<RecordingRouteDeps> = (app, deps) => {
  app.get('/recordings', { config: { role: 'viewer' } }, async () => {
    const recordings = [...(await deps.list())].sort((a, b) => b.updatedAt.localeCompare(a.updatedAt));
    return {
      recordings: recordings.map((r) => ({
        ...r,
        url: deps.dir?.() ? `/api/recordings/files/${r.playlist}` : undefined,
        durationSec: Math.round(r.parts.flatMap((p) => p.runs).reduce((sum, run) => sum + run.durationSec, 0) * 10) / 10,
      })),
    };
  });

  app.get('/recordings/files/*', { config: { role: 'viewer' } }, async (request, reply) => {
    const dir = deps.dir?.();
    if (!dir) throw new ClasscastError('NOT_FOUND', 'recordings are not served by this daemon');
    const rel = parseInput(fileSchema, request.params, 'path')['*'];
    const type = CONTENT_TYPES[path.extname(rel)];
    if (!type) throw new ClasscastError('NOT_FOUND', 'not a recording file');
    const root = path.resolve(dir);
    const file = path.resolve(root, rel);
    if (!file.startsWith(root + path.sep)) throw new ClasscastError('NOT_FOUND', 'not a recording file');
    const info = await stat(file).catch(() => undefined);
    if (!info?.isFile()) throw new ClasscastError('NOT_FOUND', `no recording file ${rel}`);
    return reply
      .header('content-type', type)
      .header('content-length', info.size)
      .header('cache-control', 'no-cache')
      .send(createReadStream(file));
  });
};
