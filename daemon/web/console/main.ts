import { ApiClient } from './api-client.ts';
import { AudioPanel } from './audio-panel.ts';
import { AuditPanel } from './audit-panel.ts';
import { BroadcastPanel } from './broadcast-panel.ts';
import { CamerasPanel } from './cameras-panel.ts';
import { EdgesPanel } from './edges-panel.ts';
import { byId } from './dom.ts';
import { EventSocket } from './event-socket.ts';
import { HealthPanel } from './health-panel.ts';
import { HoldGesture } from './hold.ts';
import { Notifier } from './notifier.ts';
import { Preview } from './preview.ts';
import { RecordingsPanel } from './recordings-panel.ts';
import { SchedulePanel } from './schedule-panel.ts';
import { TalkbackPanel } from './talkback-panel.ts';
import { forgetToken, saveToken, takeToken } from './token.ts';

const notify = new Notifier(byId('notes'));

function showLogin(message?: string): void {
  byId('app').hidden = true;
  byId('login').hidden = false;
  byId('login-error').textContent = message ?? '';
  (byId('login-token') as HTMLInputElement).focus();
}

byId('login-form').addEventListener('submit', (event) => {
  event.preventDefault();
  const input = byId('login-token') as HTMLInputElement;
  const token = input.value.trim();
  if (!token) return;
  fetch('/api/status', { headers: { authorization: `Bearer ${token}` } })
    .then((response) => {
      if (response.status === 401) return showLogin('That token is not valid.');
      if (!response.ok) return showLogin(`The daemon answered ${response.status}.`);
      input.value = '';
      saveToken(token);
      // After a refused token the page's panels still hold the old one: start clean.
      if (started) location.reload();
      else start(token);
    })
    .catch(() => showLogin('The daemon cannot be reached.'));
});

byId('logout').addEventListener('click', () => {
  forgetToken();
  location.reload();
});

let started = false;

function start(token: string): void {
  if (started) return;
  started = true;
  byId('login').hidden = true;
  byId('app').hidden = false;

  const api = new ApiClient(token);
  api.onUnauthorized = () => {
    forgetToken();
    HoldGesture.releaseAll();
    showLogin('The token was refused. Log in again.');
  };
  const events = new EventSocket(token);
  const health = new HealthPanel(byId('health'), events);
  const broadcast = new BroadcastPanel(api, events, notify);
  const edges = new EdgesPanel(byId('edges'), byId('edges-section'));
  broadcast.onStatus = (status) => {
    health.fromStatus(status);
    edges.fromStatus(status);
  };
  const cameras = new CamerasPanel(byId('cameras'), api, events, notify);
  const audio = new AudioPanel(byId('audio'), api, events, notify);
  const schedule = new SchedulePanel(byId('schedule'), api, notify);
  const recordings = new RecordingsPanel(byId('recordings'), byId<HTMLVideoElement>('playback'), api, notify);
  const audit = new AuditPanel(byId('audit'), api);
  const talkback = new TalkbackPanel(byId('talkback'), api, events, notify);
  const preview = new Preview(byId<HTMLVideoElement>('preview'), api, notify);

  events.on('hello', (e) => {
    byId('who').textContent = `${String(e.name)} (${String(e.role)})`;
    // Viewers see everything and can change nothing; the API would refuse them anyway.
    document.body.classList.toggle('read-only', e.role !== 'technician');
  });
  // A camera that fails says why once, as it goes down.
  events.on('camera.state', (e) => {
    if (e.error && e.state !== e.previous) notify.warn(`Camera ${e.camera}: ${e.error.code} ${e.error.message}`);
  });
  events.onDenied = () => api.onUnauthorized();
  events.onConnection = (connected) => {
    const line = byId('link');
    line.textContent = connected ? 'Connected' : 'Connection lost — reconnecting…';
    line.dataset.level = connected ? 'ok' : 'bad';
    // A move must never outlive the link that would stop it.
    if (!connected) HoldGesture.releaseAll();
    else void refreshAll();
  };

  const refreshAll = () =>
    Promise.all([broadcast.refresh(), cameras.refresh(), audio.refresh(), schedule.refresh(), recordings.refresh(), audit.refresh(), talkback.refresh()]);

  document.addEventListener('visibilitychange', () => {
    if (document.visibilityState === 'hidden') HoldGesture.releaseAll();
  });
  window.addEventListener('pagehide', () => HoldGesture.releaseAll());
  window.addEventListener('blur', () => HoldGesture.releaseAll());
  byId('refresh-recordings').addEventListener('click', () => void recordings.refresh());

  events.start();
  void refreshAll();
  void preview.start();
  setInterval(() => void Promise.all([broadcast.refresh(), cameras.refresh(), audit.refresh()]), 5000);
  setInterval(() => void Promise.all([audio.refresh(), schedule.refresh()]), 30_000);

  // For monitoring tools and tests: the preview's state and receive stats.
  Object.assign(window, {
    classcastConsole: {
      preview: () => preview.status,
      stats: () => preview.stats(),
      connected: () => events.connected,
    },
  });
}

const token = takeToken();
if (token) start(token);
else showLogin();
