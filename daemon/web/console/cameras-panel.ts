import { ApiError, type ApiClient } from './api-client.ts';
import { readCameras, type CameraView } from './camera-model.ts';
import { h, unavailable } from './dom.ts';
import type { EventSocket } from './event-socket.ts';
import { HoldGesture, longPress } from './hold.ts';
import type { Notifier } from './notifier.ts';

const LONG_PRESS_MS = 800;
/** A held move lasts this long unless repeated (the API's `timeoutMs`). */
const MOVE_TIMEOUT_MS = 1000;
const MOVE_REPEAT_MS = 400;

const PAD: { label: string; title: string; pan: number; tilt: number; zoom: number }[] = [
  { label: '↖', title: 'up left', pan: -1, tilt: 1, zoom: 0 },
  { label: '↑', title: 'up', pan: 0, tilt: 1, zoom: 0 },
  { label: '↗', title: 'up right', pan: 1, tilt: 1, zoom: 0 },
  { label: '←', title: 'left', pan: -1, tilt: 0, zoom: 0 },
  { label: '', title: '', pan: 0, tilt: 0, zoom: 0 },
  { label: '→', title: 'right', pan: 1, tilt: 0, zoom: 0 },
  { label: '↙', title: 'down left', pan: -1, tilt: -1, zoom: 0 },
  { label: '↓', title: 'down', pan: 0, tilt: -1, zoom: 0 },
  { label: '↘', title: 'down right', pan: 1, tilt: -1, zoom: 0 },
];

/**
 * One card per camera: presets (tap recalls, long press asks to store), a press-and-hold pad
 * and zoom. Each camera's commands go out one after another, so a stop can never overtake
 * the move it ends.
 */
export class CamerasPanel {
  readonly #root: HTMLElement;
  readonly #api: ApiClient;
  readonly #notify: Notifier;
  readonly #queues = new Map<string, Promise<unknown>>();
  readonly #cards = new Map<string, HTMLElement>();
  readonly #pending = new Map<string, number>();
  #cameras: CameraView[] = [];
  #speed = 0.5;

  constructor(root: HTMLElement, api: ApiClient, events: EventSocket, notify: Notifier) {
    this.#root = root;
    this.#api = api;
    this.#notify = notify;
    for (const type of ['camera.state', 'camera.moved', 'camera.arrived'] as const) events.on(type, () => void this.refresh());
  }

  async refresh(): Promise<void> {
    try {
      this.#cameras = readCameras(await this.#api.get('/cameras'));
    } catch (error) {
      if (error instanceof ApiError && error.missing) return unavailable(this.#root, 'Cameras');
      this.#notify.error('Cameras', error);
      return;
    }
    this.#render();
  }

  #render(): void {
    const seen = new Set<string>();
    for (const camera of this.#cameras) {
      seen.add(camera.id);
      let card = this.#cards.get(camera.id);
      if (!card || card.dataset.presets !== camera.presets.map((p) => p.token).join('|')) {
        const fresh = this.#card(camera);
        if (card) card.replaceWith(fresh);
        else this.#root.append(fresh);
        card = fresh;
        this.#cards.set(camera.id, card);
      }
      this.#update(card, camera);
    }
    for (const [id, card] of this.#cards) {
      if (seen.has(id)) continue;
      card.remove();
      this.#cards.delete(id);
    }
    this.#root.querySelector('[data-unavailable]')?.remove();
    if (this.#cameras.length === 0 && !this.#root.querySelector('.empty')) this.#root.append(h('p', { class: 'muted empty' }, 'No cameras configured.'));
    if (this.#cameras.length > 0) this.#root.querySelector('.empty')?.remove();
  }

  #update(card: HTMLElement, camera: CameraView): void {
    const state = card.querySelector<HTMLElement>('.state')!;
    state.textContent = camera.moving ? `${camera.state} · moving` : camera.state;
    state.dataset.state = camera.state;
    card.querySelector('.position')!.textContent = camera.position
      ? `pan ${camera.position.pan.toFixed(2)} · tilt ${camera.position.tilt.toFixed(2)} · zoom ${camera.position.zoom.toFixed(2)}`
      : '';
    card.querySelector('.last-error')!.textContent = camera.lastError ? `Last error: ${camera.lastError}` : '';
  }

  #card(camera: CameraView): HTMLElement {
    const id = encodeURIComponent(camera.id);
    const confirmBar = h('div', { class: 'confirm', hidden: true });
    const presets = h('div', { class: 'presets' });
    for (const p of camera.presets) {
      const button = h('button', { type: 'button', class: 'preset', 'data-preset': p.token, title: 'Tap to go there; hold to store the current position' }, p.name);
      longPress(
        button,
        LONG_PRESS_MS,
        () => this.#recall(camera.id, p.token, p.name),
        () => this.#askStore(confirmBar, camera.id, p.token, p.name),
      );
      presets.append(button);
    }
    const newName = h('input', { type: 'text', class: 'new-preset', placeholder: 'new preset name', maxlength: 64, 'aria-label': 'new preset name' });
    const saveNew = h('button', { type: 'button', class: 'secondary' }, 'Save as new');
    saveNew.addEventListener('click', () => {
      const name = newName.value.trim();
      if (!/^[A-Za-z0-9][A-Za-z0-9 _.-]{0,63}$/.test(name)) return this.#notify.warn('Preset names: letters, digits, space, _ . -');
      this.#askStore(confirmBar, camera.id, name, name);
    });

    const pad = h('div', { class: 'pad', role: 'group', 'aria-label': 'pan and tilt' });
    for (const cell of PAD) {
      if (!cell.label) {
        pad.append(h('span', { class: 'pad-centre' }));
        continue;
      }
      const button = h('button', { type: 'button', class: 'ptz', 'data-ptz': cell.title, title: `hold to move ${cell.title}` }, cell.label);
      this.#holdToMove(button, camera.id, cell.pan, cell.tilt, 0);
      pad.append(button);
    }
    const zoomIn = h('button', { type: 'button', class: 'ptz zoom', 'data-ptz': 'zoom in', title: 'hold to zoom in' }, 'Zoom +');
    const zoomOut = h('button', { type: 'button', class: 'ptz zoom', 'data-ptz': 'zoom out', title: 'hold to zoom out' }, 'Zoom −');
    this.#holdToMove(zoomIn, camera.id, 0, 0, 1);
    this.#holdToMove(zoomOut, camera.id, 0, 0, -1);
    const speed = h('input', { type: 'range', min: 0.1, max: 1, step: 0.05, value: this.#speed, 'aria-label': 'speed' });
    speed.addEventListener('input', () => (this.#speed = Number(speed.value)));

    const card = h(
      'section',
      { class: 'card camera', 'data-camera': camera.id, 'data-presets': camera.presets.map((p) => p.token).join('|') },
      h('header', {}, h('h3', {}, camera.name), h('span', { class: 'state badge' })),
      h('div', { class: 'position muted' }),
      h('div', { class: 'last-error error-text' }),
      presets,
      confirmBar,
      h('div', { class: 'ptz-row' }, pad, h('div', { class: 'zoom-col' }, zoomIn, zoomOut, h('label', { class: 'muted' }, 'Speed', speed))),
      h('div', { class: 'new-row' }, newName, saveNew),
    );
    card.dataset.cameraPath = id;
    return card;
  }

  /**
   * Each move carries a short timeout and is repeated while the button is held, so the camera
   * stops by itself within MOVE_TIMEOUT_MS even if this page, the network or the stop request
   * is lost (a dead man's switch); the explicit stop on release is the normal way.
   */
  #holdToMove(button: HTMLElement, cameraId: string, pan: number, tilt: number, zoom: number): void {
    let timer: number | undefined;
    const move = () => {
      // Never let repeats pile up behind a slow camera.
      if ((this.#pending.get(cameraId) ?? 0) > 0 && timer !== undefined) return;
      this.#send(cameraId, 'move', { pan: pan * this.#speed, tilt: tilt * this.#speed, zoom: zoom * this.#speed, timeoutMs: MOVE_TIMEOUT_MS });
    };
    new HoldGesture(
      button,
      () => {
        move();
        timer = window.setInterval(move, MOVE_REPEAT_MS);
      },
      () => {
        clearInterval(timer);
        timer = undefined;
        this.#send(cameraId, 'stop', {});
      },
    );
  }

  #send(cameraId: string, what: 'move' | 'stop', body: unknown): void {
    const path = `/cameras/${encodeURIComponent(cameraId)}/${what}`;
    const previous = this.#queues.get(cameraId) ?? Promise.resolve();
    this.#pending.set(cameraId, (this.#pending.get(cameraId) ?? 0) + 1);
    const next = previous
      .catch(() => undefined)
      .then(() => this.#api.post(path, body))
      .catch((error: unknown) => this.#notify.error(what === 'move' ? 'Move' : 'Stop', error))
      .finally(() => this.#pending.set(cameraId, (this.#pending.get(cameraId) ?? 1) - 1));
    this.#queues.set(cameraId, next);
  }

  #recall(cameraId: string, token: string, name: string): void {
    const previous = this.#queues.get(cameraId) ?? Promise.resolve();
    const next = previous
      .catch(() => undefined)
      .then(() => this.#api.post(`/cameras/${encodeURIComponent(cameraId)}/presets/${encodeURIComponent(token)}/recall`, {}))
      .then(() => {
        this.#notify.info(`${name}: going there`);
        void this.refresh();
      })
      .catch((error: unknown) => this.#notify.error(`Preset ${name}`, error));
    this.#queues.set(cameraId, next);
  }

  #askStore(bar: HTMLElement, cameraId: string, token: string, name: string): void {
    const store = h('button', { type: 'button', class: 'danger', 'data-confirm-store': token }, `Store here as “${name}”`);
    const cancel = h('button', { type: 'button', class: 'secondary' }, 'Cancel');
    const close = () => {
      bar.hidden = true;
      bar.replaceChildren();
    };
    store.addEventListener('click', () => {
      close();
      this.#api
        .put(`/cameras/${encodeURIComponent(cameraId)}/presets/${encodeURIComponent(token)}`, {})
        .then(() => {
          this.#notify.info(`Stored preset ${name}`);
          void this.refresh();
        })
        .catch((error: unknown) => this.#notify.error(`Store ${name}`, error));
    });
    cancel.addEventListener('click', close);
    bar.replaceChildren(h('span', {}, 'Overwrite with the current position?'), store, cancel);
    bar.hidden = false;
  }
}
