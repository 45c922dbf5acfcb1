import { readFile } from 'node:fs/promises';
import { chromium, type Browser } from 'playwright-core';
import { KIOSK_FEATURES_OFF, MEMBER_BROWSER_FLAGS } from '../../daemon/web/classroom/kiosk.ts';

const DISABLE_FEATURES = '--disable-features=';

/**
 * A headless Chromium for the benches and the tests, kept off the network it would otherwise
 * reach for at start (Debian's Chromium, no GPU, no sandbox as root).
 */
export const HEADLESS_OFFLINE_FLAGS: readonly string[] = [
  '--no-sandbox',
  '--disable-gpu',
  '--disable-quic',
  '--disable-background-networking',
  '--disable-component-update',
  '--disable-sync',
];

let playwrightsOwn: Promise<string[]> | undefined;

/**
 * The features a running Chromium turns off: its last `--disable-features` (Chromium keeps
 * only the last of a switch given twice), read from its browser process's command line, found
 * through CDP's SystemInfo.
 */
export async function disabledFeatures(browser: Browser): Promise<string[]> {
  const cdp = await browser.newBrowserCDPSession();
  const { processInfo } = (await cdp.send('SystemInfo.getProcessInfo')) as { processInfo: { type: string; id: number }[] };
  const pid = processInfo.find((p) => p.type === 'browser')?.id;
  const argv = pid === undefined ? [] : (await readFile(`/proc/${pid}/cmdline`, 'utf8')).split('\0');
  const last = argv.filter((a) => a.startsWith(DISABLE_FEATURES)).at(-1);
  return last ? last.slice(DISABLE_FEATURES.length).split(',').filter(Boolean) : [];
}

/** The features playwright's own start of Chromium turns off, read once. None when they cannot be read. */
function playwrightFeaturesOff(): Promise<string[]> {
  playwrightsOwn ??= (async () => {
    const browser = await chromium.launch({ executablePath: '/usr/bin/chromium', headless: true, args: ['--no-sandbox', '--disable-gpu'] });
    try {
      return await disabledFeatures(browser);
    } finally {
      await browser.close();
    }
  })().catch(() => []);
  return playwrightsOwn;
}

/**
 * A member classroom kiosk's flags (`MEMBER_BROWSER_FLAGS`, `kiosk.ts`) for a Chromium that playwright starts.
 * playwright passes a `--disable-features` list of its own before the caller's flags, and
 * Chromium keeps only the last of a switch given twice: the kiosk's features go into one list
 * with playwright's, so neither replaces the other.
 */
export async function memberBrowserFlags(): Promise<string[]> {
  const features = [...new Set([...(await playwrightFeaturesOff()), ...KIOSK_FEATURES_OFF])];
  return MEMBER_BROWSER_FLAGS.map((flag) => (flag.startsWith(DISABLE_FEATURES) ? `${DISABLE_FEATURES}${features.join(',')}` : flag));
}
