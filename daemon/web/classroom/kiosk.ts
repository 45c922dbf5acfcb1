/**
 * How a member classroom's PC starts Chromium for the lesson page (README, "In a
 * classroom"). The page needs sound without a tap, and none of the browser's own UI: a
 * kiosk shows no address bar, yet Chromium (156, Debian 12's) builds the address bar's
 * drop-down and its AI-mode twin as web pages of its own (`browser_ui` targets,
 * chrome://omnibox-popup.top-chrome/) in a renderer process of their own, with every window
 * it opens. That renderer took about 1.5 s of CPU at the very moment the lesson page loaded,
 * on the same cores: on a 2-core PC it roughly doubled the time to the first picture
 * (docs/benchmarks.md, runs AF). Turning those two features off keeps that renderer from being
 * made. A feature a Chromium does not know is ignored, so the flags are safe on older and newer
 * builds; `test/e2e/kiosk-browser.test.ts` checks that Debian's Chromium builds no UI page with them.
 */

/** Chromium features a member-classroom kiosk never uses and should not pay for. */
export const KIOSK_FEATURES_OFF: readonly string[] = ['WebUIOmniboxPopup', 'WebUIOmniboxAimPopup'];

/** What the lesson page itself needs of a Chromium: autoplay with sound, no first-run dialogs. */
export const MEMBER_PAGE_FLAGS: readonly string[] = ['--autoplay-policy=no-user-gesture-required', '--no-first-run'];

/**
 * WebRTC field trials for the member kiosk's Chromium (`--force-fieldtrials`).
 * `WebRTC-Audio-NetEqDelayManagerConfig`: NetEq, Chromium's audio jitter buffer, sizes its
 * target to the 95th percentile of a histogram of packet lateness, one sample per
 * `resample_interval_ms` (500 by default). In a page's first minute the histogram is young, and
 * one burst of late packets (the page stalled at its join on a busy core) holds the target at
 * the burst for about 5 s and the sound late for 8–9 s, while the picture is on time again at
 * once. With one sample per 100 ms the target comes down about 1 s after such a burst and the
 * sound is back in 4–6 s (`test/e2e/kiosk-browser.test.ts`). The cost: where a page stalls
 * every 3–5 s, NetEq conceals more of those gaps instead of waiting them out
 * (docs/benchmarks.md, runs AG). A Chromium that does not know the trial ignores it.
 */
export const KIOSK_FIELD_TRIALS = 'WebRTC-Audio-NetEqDelayManagerConfig/resample_interval_ms:100/';

/**
 * Flags for any Chromium that shows the lesson page, kiosk or not (the bench's and the tests'
 * headless ones too, through `memberBrowserFlags`): the page's, no browser UI pages, and the
 * audio jitter buffer's trial.
 */
export const MEMBER_BROWSER_FLAGS: readonly string[] = [
  ...MEMBER_PAGE_FLAGS,
  `--disable-features=${KIOSK_FEATURES_OFF.join(',')}`,
  `--force-fieldtrials=${KIOSK_FIELD_TRIALS}`,
];

/** The command line that opens `url` full screen on a member classroom's PC, quoted for a shell. */
export function kioskCommand(url: string, executable = 'chromium'): string {
  const quote = (s: string) => (/^[\w@%+=:,./-]+$/.test(s) ? s : `'${s.replaceAll("'", `'\\''`)}'`);
  return [executable, '--kiosk', ...MEMBER_BROWSER_FLAGS, url].map(quote).join(' ');
}
