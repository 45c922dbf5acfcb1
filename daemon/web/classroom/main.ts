import type { types } from 'mediasoup-client';
import type { TalkbackView } from '../../signalling/protocol.ts';
import type { EarlyStart } from '../shared/device.ts';
import { LivePlayer, type PlayerStatus } from '../shared/live-player.ts';

type RtpCapabilities = types.RtpCapabilities;

// Marks for whoever measures a join (`bench glass`, the browser's own tools).
performance.mark('classcast:script');

const video = document.getElementById('video') as HTMLVideoElement;
const statusLine = document.getElementById('status')!;
const overlay = document.getElementById('overlay')!;
const overlayText = document.getElementById('overlay-text')!;
const soundButton = document.getElementById('sound')!;

const params = new URLSearchParams(location.search);
const token = params.get('token') ?? '';
// `&transport=tcp` in a kiosk's link: its school's firewall drops UDP, start over TCP at once.
const tcp = params.get('transport') === 'tcp';
const wsUrl = `${location.protocol === 'https:' ? 'wss' : 'ws'}://${location.host}/ws/sfu`;

let last: PlayerStatus = { level: 'info', phase: 'connecting', text: 'Connecting…' };

function render(status: PlayerStatus): void {
  last = status;
  statusLine.dataset.level = status.level;
  statusLine.textContent = status.text;
  overlay.classList.toggle('show', status.phase !== 'live');
  overlayText.textContent = status.text;
}

// Boot data the server put into the page: the SFU's router capabilities, when it has them.
const bootText = document.getElementById('classcast-boot')?.textContent;
const boot = bootText ? (JSON.parse(bootText) as { routerRtpCapabilities?: RtpCapabilities }) : {};

// What the page's HTML started while this script was loading: the socket, the browser's
// native offers, the DTLS certificate.
const early = (window as unknown as { classcastEarly?: EarlyStart }).classcastEarly;

const player = new LivePlayer(video, wsUrl, token, render, { tcp, routerRtpCapabilities: boot.routerRtpCapabilities, early });
if (!token) render({ level: 'error', phase: 'denied', text: 'This page needs a link with a token from the school.' });
else player.start();

document.addEventListener('classcast:sound', (event) => {
  soundButton.classList.toggle('show', !(event as CustomEvent<boolean>).detail);
});
soundButton.addEventListener('click', () => {
  player.unmute();
  soundButton.classList.remove('show');
});

// Talk-back: one large control, by touch, mouse or a key (a presenter clicker sends PageDown
// or PageUp; `h` on a keyboard). It shows the request's state; a second press lowers the hand.
const handButton = document.getElementById('hand') as HTMLButtonElement;
let hand: TalkbackView = { id: '', state: 'ended' };
const HAND_TEXT: Record<TalkbackView['state'], string> = {
  waiting: '✋ Hand raised · waiting — press to lower',
  'on-air': '🔴 On air: your microphone and camera are live — press to end',
  ended: '✋ Raise hand',
};
function showHand(request: TalkbackView): void {
  const was = hand.state;
  hand = request;
  handButton.dataset.state = request.state === 'ended' ? 'idle' : request.state;
  handButton.textContent = HAND_TEXT[request.state];
  // The room's microphone and camera are used only while its talk-back is on air.
  if (request.state === 'on-air' && was !== 'on-air') {
    handButton.textContent = '🎙 Accepted: starting the microphone and camera…';
    player
      .startSending()
      .then(() => {
        if (hand.state === 'on-air') handButton.textContent = HAND_TEXT['on-air'];
      })
      .catch((error: Error) => {
        handButton.textContent = `⚠ Accepted, but ${error.message} — press to end`;
      });
  } else if (request.state !== 'on-air') player.stopSending();
}
player.onTalkbackAvailable = (available) => handButton.classList.toggle('show', available);
player.onTalkback = showHand;
async function toggleHand(): Promise<void> {
  try {
    if (hand.state === 'ended') await player.raiseHand();
    else await player.lowerHand();
  } catch (error) {
    handButton.textContent = `✋ Not now (${(error as Error).message})`;
  }
}
handButton.addEventListener('click', () => void toggleHand());
document.addEventListener('keydown', (event) => {
  if (!handButton.classList.contains('show') || event.repeat) return;
  if (event.key === 'PageDown' || event.key === 'PageUp' || event.key === 'h' || event.key === 'H') {
    event.preventDefault();
    void toggleHand();
  }
});

// A small live status line: bitrate and round trip from the receive transport's stats.
let lastBytes = 0;
let lastAt = 0;
setInterval(async () => {
  if (last.phase !== 'live') return;
  const report = await player.stats();
  if (!report) return;
  let bytes = 0;
  let rtt: number | undefined;
  report.forEach((stat) => {
    if (stat.type === 'inbound-rtp') bytes += stat.bytesReceived ?? 0;
    if (stat.type === 'candidate-pair' && stat.nominated && stat.currentRoundTripTime !== undefined) rtt = stat.currentRoundTripTime;
  });
  const now = performance.now();
  const kbps = lastAt > 0 ? Math.round(((bytes - lastBytes) * 8) / (now - lastAt)) : 0;
  lastBytes = bytes;
  lastAt = now;
  statusLine.textContent = `${last.text} · ${kbps} kbit/s${rtt !== undefined ? ` · ${Math.round(rtt * 1000)} ms` : ''}`;
}, 2000);

// For monitoring tools and tests: the player's state and its receive stats.
Object.assign(window, {
  classcast: {
    status: () => last,
    /** The SFU this page signals to now (an edge's page moves on when its edge is gone). */
    server: () => player.server,
    hand: () => hand,
    capture: () => player.sendingTracks().map((t) => ({ kind: t.kind, state: t.readyState })),
    /** Every sound stream this classroom receives (a meter, or a test, listens to them). */
    soundTracks: () => player.soundTracks(),
    stats: async () => {
      const report = await player.stats();
      return report ? [...report.values()] : [];
    },
  },
});
