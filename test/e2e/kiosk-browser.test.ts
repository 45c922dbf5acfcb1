import { chromium } from 'playwright-core';
import { describe, expect, it } from 'vitest';
import { KIOSK_FEATURES_OFF, kioskCommand } from '../../daemon/web/classroom/kiosk.ts';
import { disabledFeatures, memberBrowserFlags } from '../../scripts/bench/member-browser.ts';

/** Once a window with a page is open: the browser's own UI pages (`browser_ui` targets), and the features it turns off. */
async function startWith(flags: readonly string[]): Promise<{ uiPages: string[]; featuresOff: string[] }> {
  const browser = await chromium.launch({ executablePath: '/usr/bin/chromium', headless: true, args: ['--no-sandbox', '--disable-gpu', '--disable-background-networking', ...flags] });
  try {
    const page = await (await browser.newContext()).newPage();
    await page.goto('data:text/html,<video></video>');
    const cdp = await browser.newBrowserCDPSession();
    const { targetInfos } = (await cdp.send('Target.getTargets')) as { targetInfos: { type: string; url: string }[] };
    return { uiPages: targetInfos.filter((t) => t.type === 'browser_ui').map((t) => t.url), featuresOff: await disabledFeatures(browser) };
  } finally {
    await browser.close();
  }
}

describe("a member classroom kiosk's Chromium", () => {
  it("builds none of the address bar's UI pages with the kiosk flags (a renderer of their own, with every window)", async () => {
    // Chromium as it comes builds them as the window opens: what the flags are there to spare.
    const stock = await startWith([]);
    expect(stock.uiPages.some((url) => url.startsWith('chrome://omnibox-popup')), `Debian's Chromium no longer builds its address bar as a web page (${stock.uiPages.join(', ')}): revisit kiosk.ts`).toBe(true);
    const kiosk = await startWith(await memberBrowserFlags());
    expect(kiosk.uiPages).toEqual([]);
    // The kiosk's features joined playwright's own list instead of replacing it.
    expect(stock.featuresOff.length).toBeGreaterThan(0);
    expect(new Set(kiosk.featuresOff)).toEqual(new Set([...stock.featuresOff, ...KIOSK_FEATURES_OFF]));
  }, 60_000);

  it('gives a command line a shell runs as is', () => {
    expect(kioskCommand('https://box.school/classroom/?token=a.b-c_d')).toBe(
      "chromium --kiosk --autoplay-policy=no-user-gesture-required --no-first-run --disable-features=WebUIOmniboxPopup,WebUIOmniboxAimPopup 'https://box.school/classroom/?token=a.b-c_d'",
    );
    expect(kioskCommand("http://x/?a=1&b='2'", '/usr/bin/chromium')).toBe(`/usr/bin/chromium --kiosk --autoplay-policy=no-user-gesture-required --no-first-run --disable-features=WebUIOmniboxPopup,WebUIOmniboxAimPopup 'http://x/?a=1&b='\\''2'\\'''`);
  });
});
