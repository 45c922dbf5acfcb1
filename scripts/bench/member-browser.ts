import { readFile } from 'node:fs/promises';
import { chromium } from 'playwright-core';
import { KIOSK_FEATURES_OFF, MEMBER_BROWSER_FLAGS } from '../../daemon/web/classroom/kiosk.ts';

const DISABLE_FEATURES = '--disable-features=';

let playwrightsOwn: Promise<string[]> | undefined;

/**
 * The features playwright's own start of Chromium turns off (its `--disable-features`), read
 * once from the command line of a Chromium it started (the browser's process, found through
 * CDP's SystemInfo). None when they cannot be read.
 */
function playwrightFeaturesOff(): Promise<string[]> {
  playwrightsOwn ??= (async () => {
    const browser = await chromium.launch({ executablePath: '/usr/bin/chromium', headless: true, args: ['--no-sandbox', '--disable-gpu'] });
    try {
      const cdp = await browser.newBrowserCDPSession();
      const { processInfo } = (await cdp.send('SystemInfo.getProcessInfo')) as { processInfo: { type: string; id: number }[] };
      const pid = processInfo.find((p) => p.type === 'browser')?.id;
      const argv = pid === undefined ? [] : (await readFile(`/proc/${pid}/cmdline`, 'utf8')).split('\0');
      return argv.filter((a) => a.startsWith(DISABLE_FEATURES)).flatMap((a) => a.slice(DISABLE_FEATURES.length).split(',')).filter(Boolean);
    } finally {
      await browser.close();
    }
  })().catch(() => []);
  return playwrightsOwn;
}

/**
 * A member classroom kiosk's flags (`kiosk.ts`) for a Chromium that playwright starts.
 * playwright passes a `--disable-features` list of its own before the caller's flags, and
 * Chromium keeps only the last of a switch given twice: the kiosk's features go into one list
 * with playwright's, so neither replaces the other.
 */
export async function memberBrowserFlags(): Promise<string[]> {
  const features = [...new Set([...(await playwrightFeaturesOff()), ...KIOSK_FEATURES_OFF])];
  return [...MEMBER_BROWSER_FLAGS.filter((f) => !f.startsWith(DISABLE_FEATURES)), `${DISABLE_FEATURES}${features.join(',')}`];
}
