import { chromium, type Browser, type Page } from 'playwright-core';
import { HEADLESS_OFFLINE_FLAGS, memberBrowserFlags } from '../../scripts/bench/member-browser.ts';

/**
 * The flags of the tests' Chromium: headless, kept off the network it would otherwise reach
 * for at start, with a member-classroom kiosk's flags (autoplay with sound, no browser UI
 * pages: `kiosk.ts`, merged with playwright's own by `memberBrowserFlags`), then `extraArgs`.
 */
export async function chromiumArgs(extraArgs: string[] = []): Promise<string[]> {
  return [
    ...HEADLESS_OFFLINE_FLAGS,
    '--use-fake-ui-for-media-stream',
    ...(await memberBrowserFlags()),
    ...extraArgs,
  ];
}

/** Debian's Chromium with `chromiumArgs`. playwright gives every launch a fresh, empty profile of its own. */
export async function launchChromium(extraArgs: string[] = []): Promise<{ browser: Browser; close: () => Promise<void> }> {
  const browser = await chromium.launch({ executablePath: '/usr/bin/chromium', headless: true, args: await chromiumArgs(extraArgs) });
  return {
    browser,
    close: async () => {
      await browser.close().catch(() => undefined);
    },
  };
}

export interface ReceivedMedia {
  framesDecoded: number;
  frameWidth: number;
  audioBytes: number;
  audioSamples: number;
  phase: string;
  /** What the page's status line says (why it reconnects, …). */
  text: string;
}

/** Reads the member-classroom page's receive stats (window.classcast, see daemon/web/classroom). */
export async function receivedMedia(page: Page): Promise<ReceivedMedia> {
  return page.evaluate(async () => {
    const api = (window as unknown as { classcast?: { stats: () => Promise<Record<string, unknown>[]>; status: () => { phase: string; text: string } } }).classcast;
    const result = { framesDecoded: 0, frameWidth: 0, audioBytes: 0, audioSamples: 0, phase: api?.status().phase ?? 'none', text: api?.status().text ?? '' };
    for (const s of api ? await api.stats() : []) {
      if (s.type !== 'inbound-rtp') continue;
      if (s.kind === 'video') {
        result.framesDecoded += Number(s.framesDecoded ?? 0);
        result.frameWidth = Math.max(result.frameWidth, Number(s.frameWidth ?? 0));
      } else if (s.kind === 'audio') {
        result.audioBytes += Number(s.bytesReceived ?? 0);
        result.audioSamples += Number(s.totalSamplesReceived ?? 0);
      }
    }
    return result;
  });
}

/**
 * Polls `probe` until `accept` holds, or fails with the last value after `timeoutMs`. A probe
 * that throws counts as not yet (a member page's script, `window.classcast`, comes after its
 * first picture), and its last error ends the message.
 */
export async function waitFor<T>(probe: () => Promise<T>, accept: (value: T) => boolean, timeoutMs: number, what: string): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  let last: T | undefined;
  let failure: unknown;
  for (;;) {
    try {
      last = await probe();
      failure = undefined;
      if (accept(last)) return last;
    } catch (error) {
      failure = error;
    }
    if (Date.now() > deadline) {
      throw new Error(`timed out waiting for ${what}; last: ${failure ? String(failure) : JSON.stringify(last)}`);
    }
    await new Promise((resolve) => setTimeout(resolve, 250));
  }
}

/**
 * A small grey thumbnail (32x18) of what the page's <video> shows right now, for comparing
 * pictures: the member classroom's own view, not the server's.
 */
export async function videoThumbnail(page: Page): Promise<number[]> {
  return page.evaluate(() => {
    const video = document.querySelector('video')!;
    const canvas = document.createElement('canvas');
    canvas.width = 32;
    canvas.height = 18;
    const ctx = canvas.getContext('2d', { willReadFrequently: true })!;
    ctx.drawImage(video, 0, 0, 32, 18);
    const { data } = ctx.getImageData(0, 0, 32, 18);
    const grey: number[] = [];
    for (let i = 0; i < data.length; i += 4) grey.push(Math.round((data[i]! + data[i + 1]! + data[i + 2]!) / 3));
    return grey;
  });
}

export function meanAbsDiff(a: number[], b: number[]): number {
  let sum = 0;
  for (let i = 0; i < a.length; i += 1) sum += Math.abs(a[i]! - (b[i] ?? 0));
  return sum / a.length;
}
