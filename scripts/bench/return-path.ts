import { mkdtemp, rm } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { build } from 'esbuild';
import type { Logger } from 'pino';
import type { Browser } from 'playwright-core';
import { startDemo } from '../../daemon/demo/demo.ts';
import { GlassStages } from './glass-stages.ts';
import { asTheUnitRuns, installPageReader, launchBrowser, pageSamples, pageWindow, row, SHARE_NOTE, shareCell, stageRow, until, withShares, type GlassRow } from './glass.ts';

const CAMERA_MODULE = path.resolve(import.meta.dirname, 'talkback-camera.ts');
const START_TIMEOUT_MS = 60_000;

export interface ReturnPathOptions {
  measureMs: number;
  logger: Logger;
  width?: number;
  height?: number;
  fps?: number;
}

export interface ReturnPathResult {
  rows: GlassRow[];
  /** Accepting the hand → the room's first picture decoded in the box (ms). */
  onAirMs: number;
  nice: number;
}

/**
 * The return path of talk-back, timed like `bench glass` times the outbound one: a member
 * classroom in Chromium whose camera is a canvas drawing the wall-clock stamp (talkback-camera.ts)
 * raises its hand and is accepted; its picture goes member page → SFU → the box's talk-back
 * ingest → compositor (cut to the room alone) → SFU → the broadcast room's program monitor,
 * a second page reading the stamp of each frame it shows. The baseline, in the same window, is
 * the room's stream as the SFU forwards it, decoded in the box: the member's own capture,
 * encode and link, before anything of classcast's pipeline.
 */
export async function runReturnPath(options: ReturnPathOptions): Promise<ReturnPathResult> {
  const dataDir = await mkdtemp(path.join(os.tmpdir(), 'classcast-return-'));
  const size = { width: options.width ?? 1280, height: options.height ?? 720, fps: options.fps ?? 30 };
  const stages = new GlassStages(size.width, size.height);
  const nice = asTheUnitRuns();
  let demo: Awaited<ReturnType<typeof startDemo>> | undefined;
  let browser: Browser | undefined;
  try {
    demo = await startDemo({ port: 0, dataDir, logger: options.logger, logLevel: 'error', layout: 'teacher', canvas: size, director: false, talkback: true });
    const { daemon } = demo;
    const pipeline = daemon.studio.pipeline;
    if (!pipeline || !daemon.talkbackLine) throw new Error('bench return: the demo has no pipeline with talk-back');
    await until(async () => pipeline.figures().sinceOutputMs < 1000, (ok) => ok, START_TIMEOUT_MS, 'the pipeline sending');
    browser = await launchBrowser(demo.info.apiBase);
    const camera = await build({ entryPoints: [CAMERA_MODULE], bundle: true, format: 'iife', write: false, logLevel: 'silent' });

    // The answering room: its page, its hand, accepted at the front.
    const room = await browser.newPage();
    await room.addInitScript({ content: camera.outputFiles[0]!.text });
    const invite = daemon.joinTokens.issue('answering room', daemon.config.site.classroom, 60).token;
    await room.goto(`${daemon.urls.classroomUrl}?token=${encodeURIComponent(invite)}`);
    await room.locator('#hand').waitFor({ state: 'visible', timeout: START_TIMEOUT_MS });
    await room.locator('#hand').click();
    const request = await until(async () => daemon.talkback.list().find((r) => r.state === 'waiting'), (r) => r !== undefined, 10_000, 'the raised hand');
    const acceptedAt = performance.now();
    daemon.talkback.accept(request!.id);
    const feed = await until(async () => pipeline.talkbackFeed(0), (f) => f !== undefined && f.frames > 0, START_TIMEOUT_MS, 'the room picture in the box');
    const onAirMs = Math.round(performance.now() - acceptedAt);
    stages.watchIngest(feed!);
    // The room alone on program, so its stamp sits where the readers look for it.
    await daemon.studio.cut('talkback-1');
    const pump = pipeline.framePump!;
    stages.watchPump(pump, 1);
    await stages.watchEncoded(pipeline.forwarder, daemon.plan.layers[0]!.ssrc);

    // The broadcast room's program monitor: the lesson as a member classroom receives it.
    const monitor = await browser.newPage();
    await monitor.goto(demo.info.classroomUrl);
    await monitor.waitForSelector('video');
    await installPageReader(monitor);
    await pageSamples(monitor, true, true);
    await until(() => pageSamples(monitor, true, false), (s) => s.delays.length >= 5, START_TIMEOUT_MS, 'stamped frames on the program monitor');
    await new Promise((resolve) => setTimeout(resolve, 1000));
    stages.recording = true;
    const shown = await pageWindow(monitor, options.measureMs);
    stages.recording = false;
    const chain = withShares([
      stageRow(stages, 'ingest', 'baseline: member page → SFU, decoded in the box (talk-back ingest)', size.width),
      stageRow(stages, 'pump', 'stage: → frame pump wrote it', size.width),
      stageRow(stages, 'encoded', 'stage: → composited, encoded, RTP leaving the box', size.width),
      { row: row('return glass: member page → box → program monitor shown', shown.delays, shown.presented, shown.unreadable, shown.width), frames: shown },
    ]);
    return { rows: chain, onAirMs, nice };
  } finally {
    stages.close();
    await browser?.close().catch(() => undefined);
    await demo?.close();
    await rm(dataDir, { recursive: true, force: true });
  }
}

export function formatReturnPath(result: ReturnPathResult): string {
  const lines = [
    `talk-back return path, ms from the member page drawing a frame (cumulative; ${SHARE_NOTE})`,
    'path | width | frames | presented | unreadable | p50 | p95 | p99 | max | share p50 / p95',
    ...result.rows.map((r) => `${r.path} | ${r.width} | ${r.frames} | ${r.presented} | ${r.unreadable} | ${r.p50} | ${r.p95} | ${r.p99} | ${r.max} | ${shareCell(r)}`),
    `accepted → the room's first picture decoded in the box: ${result.onAirMs} ms`,
    `the box ran at nice ${result.nice} (its systemd unit: -5)`,
  ];
  return lines.join('\n');
}
