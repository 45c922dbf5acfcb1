import { chromium, type Browser } from 'playwright-core';
import { describe, expect, it } from 'vitest';
import { KIOSK_FEATURES_OFF, MEMBER_PAGE_FLAGS, kioskCommand } from '../../daemon/web/classroom/kiosk.ts';
import { disabledFeatures, memberBrowserFlags } from '../../scripts/bench/member-browser.ts';
import { answerToBurst, type BurstAnswer } from '../helpers/sound-burst.ts';

function launchWith(flags: readonly string[]): Promise<Browser> {
  return chromium.launch({ executablePath: '/usr/bin/chromium', headless: true, args: ['--no-sandbox', '--disable-gpu', '--disable-background-networking', ...flags] });
}

/** Once a window with a page is open: the browser's own UI pages (`browser_ui` targets), and the features it turns off. */
async function startWith(flags: readonly string[]): Promise<{ uiPages: string[]; featuresOff: string[] }> {
  const browser = await launchWith(flags);
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

  it("lets the sound catch up sooner after a lone burst of late packets (its NetEq forgets the burst)", async () => {
    const burstIn = async (flags: readonly string[]): Promise<BurstAnswer> => {
      const browser = await launchWith(flags);
      try {
        return await answerToBurst(browser);
      } finally {
        await browser.close();
      }
    };
    // Chromium as it comes: its audio jitter buffer sizes itself to the burst and keeps that
    // size for seconds after the burst has passed, the sound late all the while.
    const stock = await burstIn(MEMBER_PAGE_FLAGS);
    expect(stock.peakTargetMs, `Chromium's NetEq did not answer a 400 ms burst (${JSON.stringify(stock)}): revisit sound-burst.ts`).toBeGreaterThanOrEqual(200);
    const kiosk = await burstIn(await memberBrowserFlags());
    // The kiosk's field trial: NetEq lets its target down about a second after the burst
    // (about 5 s as it comes), so the backlog starts draining sooner. How soon it is out is
    // the drain's own pace (NetEq speeds up only once the burst is 2 s old), too uneven to
    // compare here: 4–6 s with the trial, 8–9.5 without (docs/benchmarks.md).
    expect(kiosk.targetUpMs * 2, `kiosk ${JSON.stringify(kiosk)}, Chromium as it comes ${JSON.stringify(stock)}: revisit KIOSK_FIELD_TRIALS`).toBeLessThan(stock.targetUpMs);
  }, 120_000);

  it('gives a command line a shell runs as is', () => {
    expect(kioskCommand('https://box.school/classroom/?token=a.b-c_d')).toBe(
      "chromium --kiosk --autoplay-policy=no-user-gesture-required --no-first-run --disable-features=WebUIOmniboxPopup,WebUIOmniboxAimPopup --force-fieldtrials=WebRTC-Audio-NetEqDelayManagerConfig/resample_interval_ms:100/ 'https://box.school/classroom/?token=a.b-c_d'",
    );
    expect(kioskCommand("http://x/?a=1&b='2'", '/usr/bin/chromium')).toBe(`/usr/bin/chromium --kiosk --autoplay-policy=no-user-gesture-required --no-first-run --disable-features=WebUIOmniboxPopup,WebUIOmniboxAimPopup --force-fieldtrials=WebRTC-Audio-NetEqDelayManagerConfig/resample_interval_ms:100/ 'http://x/?a=1&b='\\''2'\\'''`);
  });
});
