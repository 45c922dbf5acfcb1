import { clock, h } from './dom.ts';
import type { EventSocket } from './event-socket.ts';

/** States that need no attention (`off`: a part this box does not run, e.g. recording). */
const FINE = new Set(['online', 'ok', 'off', 'unknown']);

interface Device {
  kind: string;
  id: string;
  state: string;
  lastError?: string;
  errorAt?: string;
}

/**
 * What is broken, at a glance: every camera, mic array, the pipeline and the SFU with its
 * state and last error, from `/api/status` and then live from `camera.state`,
 * `micarray.state`, `health.part` (the box's parts, as `/readyz` reports them) and
 * `device.error`.
 */
export class HealthPanel {
  readonly #root: HTMLElement;
  readonly #devices = new Map<string, Device>();

  constructor(root: HTMLElement, events: EventSocket) {
    this.#root = root;
    events.on('camera.state', (e) =>
      this.#set('camera', e.camera, { state: e.state, ...(e.error ? { lastError: `${e.error.code} ${e.error.message}`, errorAt: e.at } : {}) }),
    );
    events.on('micarray.state', (e) => this.#set('micarray', e.micArray, { state: e.state }));
    // The box's own parts as readiness sees them (pipeline, SFU, recording, disk), on change.
    events.on('health.part', (e) => {
      this.#set(e.part, e.part, { state: e.state, ...(e.detail !== undefined && e.state !== 'ok' ? { lastError: e.detail, errorAt: e.at } : {}) });
    });
  }

  /** Reads what `/api/status` reports about devices, in whichever shape it has. */
  fromStatus(status: Record<string, unknown>): void {
    const pipeline = status.pipeline as { health?: string } | undefined;
    if (pipeline?.health) this.#set('pipeline', 'pipeline', { state: pipeline.health });
    const sfu = status.sfu as { workers?: number } | undefined;
    if (sfu) this.#set('sfu', 'sfu', { state: (sfu.workers ?? 0) > 0 ? 'online' : 'offline' });
    const devices = status.devices;
    const list: unknown[] = Array.isArray(devices)
      ? devices
      : devices && typeof devices === 'object'
        ? Object.entries(devices as Record<string, unknown>).flatMap(([kind, v]) =>
            Array.isArray(v) ? v.map((d) => ({ kind: kind.replace(/s$/, ''), ...(d as object) })) : [],
          )
        : [];
    for (const raw of list) {
      const d = raw as Record<string, unknown>;
      const error = d.lastError as { code?: string; message?: string } | string | undefined;
      this.#set(String(d.kind ?? 'device'), String(d.id ?? '?'), {
        state: d.state,
        ...(error ? { lastError: typeof error === 'string' ? error : `${error.code ?? ''} ${error.message ?? ''}`.trim() } : {}),
      });
    }
  }

  #set(kind: string, id: string, patch: Record<string, unknown>): void {
    const key = `${kind}:${id}`;
    const current = this.#devices.get(key) ?? { kind, id, state: 'unknown' };
    if (typeof patch.state === 'string') current.state = patch.state;
    if (typeof patch.lastError === 'string') current.lastError = patch.lastError;
    if (typeof patch.errorAt === 'string') current.errorAt = patch.errorAt;
    const lastError = (patch as { lastError?: unknown }).lastError;
    if (lastError && typeof lastError === 'object') {
      const e = lastError as { code?: string; message?: string };
      current.lastError = `${e.code ?? ''} ${e.message ?? ''}`.trim();
    }
    this.#devices.set(key, current);
    this.#render();
  }

  #render(): void {
    const rows = [...this.#devices.values()].sort((a, b) => a.kind.localeCompare(b.kind) || a.id.localeCompare(b.id));
    const broken = rows.filter((d) => !FINE.has(d.state)).length;
    const summary = document.getElementById('health-summary');
    if (summary) {
      summary.textContent = broken === 0 ? 'All devices online' : broken === 1 ? '1 device needs attention' : `${broken} devices need attention`;
      summary.dataset.level = broken === 0 ? 'ok' : 'bad';
    }
    this.#root.replaceChildren(
      ...rows.map((d) =>
        h(
          'li',
          { class: 'device', 'data-device': `${d.kind}:${d.id}`, 'data-state': d.state },
          h('span', { class: 'dot' }),
          h('span', { class: 'device-name' }, `${d.kind} ${d.id}`),
          h('span', { class: 'badge' }, d.state),
          d.lastError ? h('span', { class: 'error-text' }, `${d.errorAt ? `${clock(d.errorAt)} ` : ''}${d.lastError}`) : null,
        ),
      ),
    );
  }
}
