import { ApiError, type ApiClient } from './api-client.ts';
import { h, unavailable } from './dom.ts';
import type { ConsoleEvent, EventSocket } from './event-socket.ts';
import type { Notifier } from './notifier.ts';
import type { AudioChannelView } from '../../audio/types.ts';

/** The API's own channel shape (a type-only import: nothing of the daemon is bundled). */
type Channel = AudioChannelView;

interface Row {
  root: HTMLElement;
  fader: HTMLInputElement;
  gain: HTMLElement;
  mute: HTMLButtonElement;
  meter: HTMLElement;
  level: HTMLElement;
}

const FLOOR_DB = -60;

/**
 * A strip per channel: fader (sent while dragging, at most every 150 ms, and once on
 * release), mute, live meter from `audio.meters`, and the talker light from `audio.talker`.
 */
export class AudioPanel {
  readonly #root: HTMLElement;
  readonly #api: ApiClient;
  readonly #notify: Notifier;
  readonly #rows = new Map<string, Row>();
  readonly #channels = new Map<string, Channel>();
  #talkers = new Set<string>();

  constructor(root: HTMLElement, api: ApiClient, events: EventSocket, notify: Notifier) {
    this.#root = root;
    this.#api = api;
    this.#notify = notify;
    events.on('audio.meters', (e) => this.#onMeters(e));
    events.on('audio.talker', (e) => this.#onTalker(e));
    events.on('audio.channel', (e) => this.#onChannel(e));
    events.on('micarray.state', () => void this.refresh());
  }

  async refresh(): Promise<void> {
    let channels: Channel[];
    try {
      channels = (await this.#api.get<{ channels: Channel[] }>('/audio')).channels;
    } catch (error) {
      if (error instanceof ApiError && error.missing) return unavailable(this.#root, 'Audio');
      return this.#notify.error('Audio', error);
    }
    this.#root.querySelector('[data-unavailable]')?.remove();
    for (const channel of channels) {
      this.#channels.set(channel.id, channel);
      if (channel.talking) this.#talkers.add(channel.id);
      const row = this.#rows.get(channel.id) ?? this.#row(channel);
      this.#paint(row, channel);
    }
  }

  #row(channel: Channel): Row {
    const fader = h('input', { type: 'range', min: FLOOR_DB, max: 20, step: 0.5, value: channel.gainDb, class: 'fader', 'aria-label': `${channel.name} gain` });
    const gain = h('span', { class: 'gain' });
    const mute = h('button', { type: 'button', class: 'mute', 'data-mute': channel.id }, 'Mute');
    const level = h('div', { class: 'level' });
    const meter = h('div', { class: 'meter', 'aria-hidden': 'true' }, level);
    const root = h(
      'div',
      { class: 'strip', 'data-channel': channel.id },
      h('div', { class: 'strip-head' }, h('span', { class: 'talker', title: 'talking' }), h('strong', {}, channel.name), h('span', { class: 'muted source' })),
      meter,
      h('div', { class: 'strip-controls' }, fader, gain, mute),
    );
    let lastSent = 0;
    let trailing: number | undefined;
    const send = () => {
      lastSent = Date.now();
      void this.#patch(channel.id, { gainDb: Number(fader.value) });
    };
    fader.addEventListener('input', () => {
      gain.textContent = `${Number(fader.value).toFixed(1)} dB`;
      clearTimeout(trailing);
      if (Date.now() - lastSent >= 150) send();
      else trailing = window.setTimeout(send, 150);
    });
    fader.addEventListener('change', () => {
      clearTimeout(trailing);
      send();
    });
    mute.addEventListener('click', () => {
      const current = this.#channels.get(channel.id);
      void this.#patch(channel.id, { muted: !(current?.muted ?? false) });
    });
    const row = { root, fader, gain, mute, meter, level };
    this.#rows.set(channel.id, row);
    this.#root.append(root);
    return row;
  }

  async #patch(id: string, patch: { gainDb?: number; muted?: boolean }): Promise<void> {
    try {
      const { channel } = await this.#api.patch<{ channel: Channel }>(`/audio/${encodeURIComponent(id)}`, patch);
      this.#channels.set(id, channel);
      const row = this.#rows.get(id);
      if (row) this.#paint(row, channel, patch.gainDb !== undefined);
    } catch (error) {
      this.#notify.error(`Audio ${id}`, error);
      void this.refresh();
    }
  }

  #paint(row: Row, channel: Channel, keepFader = false): void {
    if (!keepFader && document.activeElement !== row.fader) row.fader.value = String(channel.gainDb);
    row.gain.textContent = `${channel.gainDb.toFixed(1)} dB`;
    row.mute.textContent = channel.muted ? 'Muted' : 'Mute';
    row.mute.setAttribute('aria-pressed', String(channel.muted));
    row.root.classList.toggle('is-muted', channel.muted);
    row.root.classList.toggle('is-talking', this.#talkers.has(channel.id));
    row.root.querySelector('.source')!.textContent = channel.micArray
      ? `${channel.micArray.id} ch ${channel.micArray.channel} · ${channel.micArray.state}`
      : (channel.control ?? '');
    this.#meter(row, channel.levelDb);
  }

  #meter(row: Row, levelDb: number | null): void {
    const fraction = levelDb === null ? 0 : Math.max(0, Math.min(1, (levelDb - FLOOR_DB) / -FLOOR_DB));
    row.level.style.width = `${(fraction * 100).toFixed(1)}%`;
    row.level.dataset.db = levelDb === null ? '' : levelDb.toFixed(1);
    row.meter.title = levelDb === null ? 'no meter' : `${levelDb.toFixed(1)} dBFS`;
    row.level.classList.toggle('hot', levelDb !== null && levelDb > -6);
  }

  #onMeters(event: ConsoleEvent<'audio.meters'>): void {
    for (const { id, levelDb } of event.channels) {
      const row = this.#rows.get(id);
      if (row) this.#meter(row, levelDb);
    }
  }

  #onTalker(event: ConsoleEvent<'audio.talker'>): void {
    this.#talkers = new Set(event.channels);
    for (const [id, row] of this.#rows) row.root.classList.toggle('is-talking', this.#talkers.has(id));
    const names = [...this.#talkers].map((id) => this.#channels.get(id)?.name ?? id);
    document.getElementById('talker')!.textContent = names.length > 0 ? `Talking: ${names.join(', ')}` : 'Nobody talking';
  }

  #onChannel(event: ConsoleEvent<'audio.channel'>): void {
    const current = this.#channels.get(event.channel);
    const row = this.#rows.get(event.channel);
    if (!current || !row) return;
    const next = { ...current, gainDb: event.gainDb, muted: event.muted };
    this.#channels.set(event.channel, next);
    this.#paint(row, next);
  }
}
