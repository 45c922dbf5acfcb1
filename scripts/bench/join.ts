import type { Browser, BrowserContext } from 'playwright-core';
import { percentile } from './glass-share.ts';
import type { JoinWatch } from './join-watch.ts';
import type { KeyframeWatch } from './keyframe-watch.ts';

/** One page load of the member classroom: its marks, ms from navigation start. */
export interface JoinSample {
  /**
   * The page's own start, before its join (NaN where it did not get there): its HTML's script
   * ran; its socket opened; the browser's native offer and the DTLS certificate were ready.
   */
  htmlRan: number;
  socketOpen: number;
  offerReady: number;
  certificateReady: number;
  /** The page's HTML sent the join (NaN: it sent none). */
  earlyJoin: number;
  /** The join reached the box, and its answer left it (NaN: not seen). */
  boxJoinIn: number;
  boxAnswerOut: number;
  /** The join's answer arrived (token checked, transport connected, picture started). */
  answered: number;
  /** The HTML set its receivers up from the answer's offer (NaN: it did not). */
  receivers: number;
  /** ICE and DTLS done: media can flow. */
  connected: number;
  /** The box got the SFU's keyframe request for this classroom (NaN: not seen). */
  keyframeAsked: number;
  /** The IDR that answered it left the box (NaN: not seen). */
  idrOut: number;
  /** The first frame was presented. */
  firstFrame: number;
  /** The page's script ran (app.js loaded and parsed; after the first picture on the early path). */
  script: number;
  /** Bytes the page transferred over HTTP (HTML and script, as sent: compressed or not). */
  transferBytes: number;
  /** Why the load did not get to its picture and its script in time (absent: it did). */
  failed?: string;
}

export interface JoinRow {
  path: string;
  loads: number;
  /** Loads that did not get to their picture and script in time: outside p50/p95/max, printed with their marks. */
  failed: number;
  p50: number;
  p95: number;
  max: number;
  /** The slowest load's own marks (an outlier's steps, which the medians hide): a failed load first. */
  slowest: JoinSample;
  /** Medians of the marks on the way. */
  htmlRanP50: number;
  socketOpenP50: number;
  offerReadyP50: number;
  certificateReadyP50: number;
  earlyJoinP50: number;
  boxJoinInP50: number;
  boxAnswerOutP50: number;
  /** The box's part of the join, answer out − join in, per load (median). */
  boxJoinP50: number;
  answeredP50: number;
  receiversP50: number;
  connectedP50: number;
  askedP50: number;
  idrOutP50: number;
  scriptP50: number;
  transferKb: number;
}

/** How long a load may take to each of its page, its picture and its script. */
const LOAD_TIMEOUT_MS = 20_000;

/** The marks of a page that could not be read (closed or crashed). */
const NO_MARKS = {
  htmlRan: Number.NaN, socketOpen: Number.NaN, offerReady: Number.NaN, certificateReady: Number.NaN, earlyJoin: Number.NaN,
  answered: Number.NaN, receivers: Number.NaN, connected: Number.NaN, script: Number.NaN, firstFrame: Number.NaN,
};

// Runs in the page before any of its scripts: the time of the first presented frame.
const FIRST_FRAME_PROBE = `
  window.__firstFrame = 0;
  document.addEventListener('DOMContentLoaded', () => {
    const video = document.querySelector('video');
    if (video) video.requestVideoFrameCallback((now) => { window.__firstFrame = now; });
  });
`;

/** The `q` quantile of the marks a load reached (NaN: none did; a NaN left in would stop the sort). */
function quantile(values: number[], q: number): number {
  const sorted = values.filter((v) => !Number.isNaN(v)).sort((a, b) => a - b);
  return sorted.length === 0 ? Number.NaN : percentile(sorted, q);
}

/** In the page: whether `FIRST_FRAME_PROBE` has seen a frame presented. */
const firstFrameShown = () => ((window as unknown as { __firstFrame?: number }).__firstFrame ?? 0) > 0;

/**
 * Opens the member-classroom page `loads` times, each in a fresh browser context (nothing
 * cached: what a kiosk gets after a reboot), or (`warm`) reloads one page that many times (the
 * script cached, the window kept: a kiosk that reloads), and times page open → first presented
 * frame, with the marks the player sets on the way (`performance.mark`).
 */
export async function measureJoin(browser: Browser, url: string, loads: number, warm: boolean, keyframes?: KeyframeWatch, joins?: JoinWatch): Promise<JoinSample[]> {
  const samples: JoinSample[] = [];
  const open = async (context: BrowserContext) => {
    const page = await context.newPage();
    await page.addInitScript(FIRST_FRAME_PROBE);
    const transfer = { bytes: 0 };
    page.on('requestfinished', (request) => {
      void request.sizes().then((sizes) => (transfer.bytes += sizes.responseBodySize + sizes.responseHeadersSize)).catch(() => undefined);
    });
    return { page, transfer };
  };
  const kept = warm ? await open(await browser.newContext()) : undefined;
  try {
    if (kept) {
      // One load first to fill the cache.
      await kept.page.goto(url, { waitUntil: 'domcontentloaded', timeout: LOAD_TIMEOUT_MS }).catch(() => undefined);
      await kept.page.waitForFunction(firstFrameShown, undefined, { timeout: LOAD_TIMEOUT_MS }).catch(() => undefined);
    }
    for (let i = 0; i < loads; i += 1) {
      const { page, transfer } = kept ?? (await open(await browser.newContext()));
      transfer.bytes = 0;
      // A load that does not get there is kept with the marks it reached, not the end of the
      // run: the row counts it and prints where it stopped. Not waiting for the page's `load`
      // event: the picture comes first and the script after it; each is waited for below.
      let failed: string | undefined;
      try {
        if (kept) await page.reload({ waitUntil: 'domcontentloaded', timeout: LOAD_TIMEOUT_MS });
        else await page.goto(url, { waitUntil: 'domcontentloaded', timeout: LOAD_TIMEOUT_MS });
        failed = 'no picture';
        await page.waitForFunction(firstFrameShown, undefined, { timeout: LOAD_TIMEOUT_MS, polling: 20 });
        // The script follows the first picture: its mark and its bytes count too.
        failed = 'no script after the picture';
        await page.waitForFunction(() => performance.getEntriesByName('classcast:script').length > 0, undefined, { timeout: LOAD_TIMEOUT_MS, polling: 20 });
        failed = undefined;
      } catch (error) {
        failed = `${failed ?? 'no page'} within ${LOAD_TIMEOUT_MS / 1000} s (${(error as Error).message.split('\n')[0]})`;
      }
      // No named helpers inside: the bundler's name-keeping wrapper does not exist in the page.
      const marks = await page.evaluate(() => ({
        htmlRan: performance.getEntriesByName('classcast:early-start')[0]?.startTime ?? Number.NaN,
        socketOpen: performance.getEntriesByName('classcast:early-socket')[0]?.startTime ?? Number.NaN,
        offerReady: performance.getEntriesByName('classcast:early-offer')[0]?.startTime ?? Number.NaN,
        certificateReady: performance.getEntriesByName('classcast:early-certificate')[0]?.startTime ?? Number.NaN,
        earlyJoin: performance.getEntriesByName('classcast:early-join')[0]?.startTime ?? Number.NaN,
        answered: (performance.getEntriesByName('classcast:early-answer')[0] ?? performance.getEntriesByName('classcast:joined')[0])?.startTime ?? Number.NaN,
        receivers: performance.getEntriesByName('classcast:early-receivers')[0]?.startTime ?? Number.NaN,
        connected: (performance.getEntriesByName('classcast:early-connected')[0] ?? performance.getEntriesByName('classcast:connected')[0])?.startTime ?? Number.NaN,
        script: performance.getEntriesByName('classcast:script')[0]?.startTime ?? Number.NaN,
        firstFrame: (window as unknown as { __firstFrame?: number }).__firstFrame || Number.NaN,
        origin: performance.timeOrigin,
      })).catch(() => ({ ...NO_MARKS, origin: Number.NaN }));
      // The box's side, on the same clock (one machine): ms from navigation too.
      const { origin, ...pageMarks } = marks;
      const box = keyframes?.after(origin) ?? {};
      const join = joins?.after(origin) ?? {};
      samples.push({
        ...pageMarks,
        boxJoinIn: join.inMs ?? Number.NaN,
        boxAnswerOut: join.outMs ?? Number.NaN,
        keyframeAsked: box.askedMs ?? Number.NaN,
        idrOut: box.idrOutMs ?? Number.NaN,
        transferBytes: transfer.bytes,
        ...(failed ? { failed } : {}),
      });
      if (!kept) await page.context().close();
    }
  } finally {
    await kept?.page.context().close();
  }
  return samples;
}

export function joinRow(path: string, samples: JoinSample[]): JoinRow {
  const done = samples.filter((s) => !s.failed);
  const first = done.map((s) => s.firstFrame).sort((a, b) => a - b);
  const round = (v: number) => Math.round(v);
  /** The median of one mark over every load (a mark a load did not reach is left out). */
  const median = (pick: (s: JoinSample) => number) => quantile(samples.map(pick), 0.5);
  return {
    path,
    loads: samples.length,
    failed: samples.length - done.length,
    p50: round(quantile(first, 0.5)),
    p95: round(quantile(first, 0.95)),
    max: round(first.at(-1) ?? Number.NaN),
    slowest: samples.find((s) => s.failed) ?? done.reduce((a, b) => (b.firstFrame > a.firstFrame ? b : a)),
    htmlRanP50: round(median((s) => s.htmlRan)),
    socketOpenP50: round(median((s) => s.socketOpen)),
    offerReadyP50: round(median((s) => s.offerReady)),
    certificateReadyP50: round(median((s) => s.certificateReady)),
    earlyJoinP50: round(median((s) => s.earlyJoin)),
    boxJoinInP50: round(median((s) => s.boxJoinIn)),
    boxAnswerOutP50: round(median((s) => s.boxAnswerOut)),
    boxJoinP50: round(median((s) => s.boxAnswerOut - s.boxJoinIn)),
    answeredP50: round(median((s) => s.answered)),
    receiversP50: round(median((s) => s.receivers)),
    connectedP50: round(median((s) => s.connected)),
    askedP50: round(median((s) => s.keyframeAsked)),
    idrOutP50: round(median((s) => s.idrOut)),
    scriptP50: round(median((s) => s.script)),
    transferKb: Math.round(median((s) => s.transferBytes) / 1024),
  };
}

export function formatJoin(rows: JoinRow[]): string {
  const lines = [
    'page open → first picture, ms; the marks on the way are medians, ms from page open',
    'path | loads | p50 | p95 | max | HTML ran, socket open, offer, certificate | HTML sent the join | the box: join in, answer out (its part) | answer in hand | receivers set up | ICE+DTLS connected | keyframe asked | IDR left the box | script runs | transferred KiB',
  ];
  const mark = (v: number) => (Number.isNaN(v) ? '–' : String(v));
  for (const r of rows) {
    lines.push(
      `${r.path} | ${r.loads}${r.failed > 0 ? ` (${r.failed} failed)` : ''} | ${r.p50} | ${r.p95} | ${r.max} | ${[r.htmlRanP50, r.socketOpenP50, r.offerReadyP50, r.certificateReadyP50].map(mark).join(', ')} | ${mark(r.earlyJoinP50)} | ${mark(r.boxJoinInP50)}, ${mark(r.boxAnswerOutP50)} (${mark(r.boxJoinP50)}) | ${[r.answeredP50, r.receiversP50, r.connectedP50, r.askedP50, r.idrOutP50, r.scriptP50].map(mark).join(' | ')} | ${r.transferKb}`,
    );
  }
  // A load far slower than the rest, or one that failed, step by step: where its time went.
  for (const r of rows.filter((row) => row.failed > 0 || row.max > 2 * row.p50)) {
    const s = r.slowest;
    const steps: [string, number][] = [
      ['HTML ran', s.htmlRan], ['socket open', s.socketOpen], ['offer', s.offerReady], ['certificate', s.certificateReady],
      ['join sent', s.earlyJoin], ['join in the box', s.boxJoinIn], ['answer out of the box', s.boxAnswerOut], ['answer', s.answered], ['receivers', s.receivers], ['connected', s.connected],
      ['keyframe asked', s.keyframeAsked], ['IDR out', s.idrOut], ['first picture', s.firstFrame],
    ];
    const which = s.failed ? `a failed load of "${r.path}" (${s.failed})` : `slowest load of "${r.path}"`;
    lines.push(`${which}, ms from page open: ${steps.map(([name, v]) => `${name} ${mark(Math.round(v))}`).join(', ')}`);
  }
  return lines.join('\n');
}
