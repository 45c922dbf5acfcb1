import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { RecordingCatalogue } from '../../pipeline/media/recording-catalogue.ts';

/** A run's playlist as ffmpeg's HLS muxer writes it (event playlist, fMP4). */
function ffmpegPlaylist(durations: number[], ended: boolean): string {
  return [
    '#EXTM3U',
    '#EXT-X-VERSION:7',
    `#EXT-X-TARGETDURATION:${Math.ceil(Math.max(...durations))}`,
    '#EXT-X-MEDIA-SEQUENCE:0',
    '#EXT-X-PLAYLIST-TYPE:EVENT',
    '#EXT-X-MAP:URI="init.mp4"',
    ...durations.flatMap((d, i) => [`#EXTINF:${d.toFixed(6)},`, `seg-${String(i).padStart(5, '0')}.m4s`]),
    ...(ended ? ['#EXT-X-ENDLIST'] : []),
    '',
  ].join('\n');
}

describe('RecordingCatalogue', () => {
  const dirs: string[] = [];
  afterEach(() => {
    for (const dir of dirs.splice(0)) rmSync(dir, { recursive: true, force: true });
  });

  it('joins every run into one VOD playlist, seals a cut run, and lists what it holds', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'catalogue-'));
    dirs.push(dir);
    const catalogue = new RecordingCatalogue(dir);
    for (const [run, durations, ended] of [['run-1', [4, 4, 2.5], true], ['run-2', [4, 1], false]] as const) {
      mkdirSync(join(dir, 'maths', 'part-1', run), { recursive: true });
      writeFileSync(join(dir, 'maths', 'part-1', run, 'index.m3u8'), ffmpegPlaylist([...durations], ended));
      await catalogue.addRun('maths', 1, `part-1/${run}/index.m3u8`);
    }
    await catalogue.sealRun('maths', 'part-1/run-1/index.m3u8', false);
    // run-2 was left open by a crash: sealing it marks it cut and ends its playlist.
    await catalogue.sealOpenRuns();
    expect(readFileSync(join(dir, 'maths', 'part-1', 'run-2', 'index.m3u8'), 'utf8')).toContain('#EXT-X-ENDLIST');

    const lesson = readFileSync(join(dir, 'maths', 'lesson.m3u8'), 'utf8');
    expect(lesson).toContain('#EXT-X-PLAYLIST-TYPE:VOD');
    expect(lesson).toContain('#EXT-X-ENDLIST');
    expect(lesson.match(/#EXT-X-DISCONTINUITY\n/g)).toHaveLength(1);
    expect(lesson.match(/#EXT-X-MAP:URI="part-1\/run-\d\/init.mp4"/g)).toEqual(['#EXT-X-MAP:URI="part-1/run-1/init.mp4"', '#EXT-X-MAP:URI="part-1/run-2/init.mp4"']);
    expect(lesson.match(/^part-1\/run-\d\/seg-\d+\.m4s$/gm)).toHaveLength(5);
    expect(lesson).toContain('#EXT-X-TARGETDURATION:4');

    const [info] = await catalogue.list();
    expect(info).toMatchObject({ lessonId: 'maths', playlist: 'maths/lesson.m3u8' });
    expect(info!.parts[0]!.runs.map((r) => [r.segments, r.durationSec, r.complete])).toEqual([
      [3, 10.5, true],
      [2, 5, false],
    ]);
  });

  it('reads an index only through its schema: a broken one is no lesson, and nothing is half-written', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'catalogue-'));
    dirs.push(dir);
    const catalogue = new RecordingCatalogue(dir);
    mkdirSync(join(dir, 'broken'), { recursive: true });
    writeFileSync(join(dir, 'broken', 'index.json'), JSON.stringify({ lessonId: 'broken', parts: [{ part: 'one', runs: 'many' }] }));
    mkdirSync(join(dir, 'torn'), { recursive: true });
    writeFileSync(join(dir, 'torn', 'index.json'), '{"lessonId": "torn", "upd');
    expect(await catalogue.readIndex('broken')).toBeUndefined();
    expect(await catalogue.readIndex('torn')).toBeUndefined();
    expect(await catalogue.list()).toEqual([]);
    // A fresh write replaces the broken one whole.
    await catalogue.addRun('broken', 1, 'part-1/run-1/index.m3u8');
    expect(JSON.parse(readFileSync(join(dir, 'broken', 'index.json'), 'utf8'))).toMatchObject({ lessonId: 'broken', parts: [{ part: 1, runs: [{ playlist: 'part-1/run-1/index.m3u8' }] }] });
  });
});
