import { LivePlayer, type PlayerStatus } from '../shared/live-player.ts';
import { ApiError, type ApiClient } from './api-client.ts';
import { byId } from './dom.ts';
import type { Notifier } from './notifier.ts';

/** How long the console's own join token lives; a new one is asked for on every page load. */
const PREVIEW_MINUTES = 12 * 60;

/**
 * The low-delay program preview: the same WebRTC path member classrooms use, through the
 * SFU, with a join token the console asks for itself. Sound stays off unless asked for: the
 * classroom's touch screen sits next to the microphones.
 */
export class Preview {
  readonly #video: HTMLVideoElement;
  readonly #api: ApiClient;
  readonly #notify: Notifier;
  #player: LivePlayer | undefined;
  status: PlayerStatus = { level: 'info', phase: 'connecting', text: 'Connecting…' };

  constructor(video: HTMLVideoElement, api: ApiClient, notify: Notifier) {
    this.#video = video;
    this.#api = api;
    this.#notify = notify;
    // LivePlayer unmutes to play; volume 0 keeps the room quiet all the same.
    video.volume = 0;
    byId('listen').addEventListener('click', () => {
      const on = video.volume === 0;
      video.volume = on ? 1 : 0;
      if (on) this.#player?.unmute();
      byId('listen').setAttribute('aria-pressed', String(on));
      byId('listen').textContent = on ? 'Sound on' : 'Sound off';
    });
  }

  async start(): Promise<void> {
    const line = byId('preview-status');
    let token: string;
    try {
      ({ token } = await this.#api.post<{ token: string }>('/join-tokens', { classroom: 'console', minutes: PREVIEW_MINUTES }));
    } catch (error) {
      line.textContent = 'Preview: not available';
      line.dataset.level = 'warn';
      if (!(error instanceof ApiError && (error.missing || error.status === 403))) this.#notify.error('Preview', error);
      return;
    }
    const wsUrl = `${location.protocol === 'https:' ? 'wss' : 'ws'}://${location.host}/ws/sfu`;
    this.#player = new LivePlayer(this.#video, wsUrl, token, (status) => {
      this.status = status;
      line.textContent = status.text;
      line.dataset.level = status.level;
    });
    this.#player.start();
  }

  async stats(): Promise<unknown[]> {
    const report = await this.#player?.stats();
    return report ? [...report.values()] : [];
  }

  stop(): void {
    this.#player?.stop();
  }
}
