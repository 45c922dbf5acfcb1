import type { types } from 'mediasoup-client';
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

// The socket the page's HTML opened while this script was loading.
const earlySocket = (window as unknown as { classcastSocket?: WebSocket }).classcastSocket;

const player = new LivePlayer(video, wsUrl, token, render, { tcp, routerRtpCapabilities: boot.routerRtpCapabilities, earlySocket });
if (!token) render({ level: 'error', phase: 'denied', text: 'This page needs a link with a token from the school.' });
else player.start();

document.addEventListener('classcast:sound', (event) => {
  soundButton.classList.toggle('show', !(event as CustomEvent<boolean>).detail);
});
soundButton.addEventListener('click', () => {
  player.unmute();
  soundButton.classList.remove('show');
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
    stats: async () => {
      const report = await player.stats();
      return report ? [...report.values()] : [];
    },
  },
});
