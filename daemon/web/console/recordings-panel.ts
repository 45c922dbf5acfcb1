import Hls from 'hls.js/light';
import { ApiError, type ApiClient } from './api-client.ts';
import { h, unavailable } from './dom.ts';
import type { Notifier } from './notifier.ts';

interface Recording {
  lessonId: string;
  url?: string;
  durationSec?: number;
  bytes: number;
  updatedAt: string;
  parts: unknown[];
}

/**
 * Past lessons from `GET /api/recordings`, played in a <video> with hls.js, which sends the
 * bearer token with every playlist and segment request (a plain <video src> could not).
 */
export class RecordingsPanel {
  readonly #root: HTMLElement;
  readonly #video: HTMLVideoElement;
  readonly #api: ApiClient;
  readonly #notify: Notifier;
  #hls: Hls | undefined;

  constructor(root: HTMLElement, video: HTMLVideoElement, api: ApiClient, notify: Notifier) {
    this.#root = root;
    this.#video = video;
    this.#api = api;
    this.#notify = notify;
  }

  async refresh(): Promise<void> {
    let recordings: Recording[];
    try {
      recordings = (await this.#api.get<{ recordings: Recording[] }>('/recordings')).recordings;
    } catch (error) {
      if (error instanceof ApiError && error.missing) return unavailable(this.#root, 'Recordings');
      return this.#notify.error('Recordings', error);
    }
    if (recordings.length === 0) return void this.#root.replaceChildren(h('p', { class: 'muted' }, 'No recordings yet.'));
    this.#root.replaceChildren(
      h(
        'ul',
        { class: 'recordings' },
        ...recordings.map((r) => {
          const play = h('button', { type: 'button', class: 'secondary', disabled: !r.url, 'data-play': r.lessonId }, 'Play');
          play.addEventListener('click', () => r.url && this.#play(r.url));
          const minutes = r.durationSec !== undefined ? `${Math.round(r.durationSec / 60)} min · ` : '';
          return h(
            'li',
            { 'data-recording': r.lessonId },
            h('span', { class: 'title' }, r.lessonId),
            h('span', { class: 'muted' }, `${new Date(r.updatedAt).toLocaleString()} · ${minutes}${(r.bytes / 1e6).toFixed(1)} MB · ${r.parts.length} part(s)`),
            play,
          );
        }),
      ),
    );
  }

  #play(url: string): void {
    this.#hls?.destroy();
    this.#video.hidden = false;
    const token = this.#api.token;
    if (Hls.isSupported()) {
      const hls = new Hls({
        xhrSetup: (xhr) => xhr.setRequestHeader('authorization', `Bearer ${token}`),
      });
      this.#hls = hls;
      hls.on(Hls.Events.ERROR, (_event, data) => {
        if (data.fatal) this.#notify.warn(`Playback: ${data.details}`);
      });
      hls.loadSource(url);
      hls.attachMedia(this.#video);
      hls.on(Hls.Events.MANIFEST_PARSED, () => void this.#video.play().catch(() => undefined));
    } else {
      this.#notify.warn('This browser cannot play recordings (no Media Source Extensions).');
    }
  }
}
