import { ApiError, type ApiClient } from './api-client.ts';
import { byId, clock, h, unavailable } from './dom.ts';
import type { ConsoleEvent, EventSocket } from './event-socket.ts';
import type { Notifier } from './notifier.ts';

interface Status {
  state?: string;
  lesson?: { title?: string; id?: string; end?: string; endsAt?: string } | null;
  layout?: string;
  program?: Program;
  [key: string]: unknown;
}

/** `GET /api/director` and `director.state`: whether voice tracking runs, or is paused. */
interface DirectorView {
  available?: boolean;
  enabled?: boolean;
  /** ms since the epoch (or an ISO string), set by a technician's manual action. */
  pausedUntil?: number | string | null;
}

/** `GET /api/program`: the layout and the sources in its two places. */
interface Program {
  layout: string;
  main: string;
  second: string;
}

/**
 * The broadcast line (state, lesson, start, stop behind a confirm), the layout buttons and
 * the voice-tracking switch. Stop needs a second tap: ending a lesson for every member
 * classroom must never be a slip of the finger.
 */
export class BroadcastPanel {
  readonly #api: ApiClient;
  readonly #notify: Notifier;
  #layouts: string[] = [];
  #layout = '';
  onStatus: (status: Status) => void = () => {};

  constructor(api: ApiClient, events: EventSocket, notify: Notifier) {
    this.#api = api;
    this.#notify = notify;
    events.on('broadcast.state', (e) => this.#showState(e));
    events.on('program.changed', (e) => this.#showProgram(e));
    events.on('director.state', (e) => this.#showDirector(e));
    byId('start').addEventListener('click', () => this.#start());
    byId('stop').addEventListener('click', () => this.#askStop());
    byId('director-toggle').addEventListener('click', () => void this.#toggleDirector());
  }

  async refresh(): Promise<void> {
    await Promise.all([this.#refreshStatus(), this.#refreshLayouts(), this.#refreshProgram(), this.#refreshDirector()]);
  }

  async #refreshStatus(): Promise<void> {
    try {
      const status = await this.#api.get<Status>('/status');
      this.#showState(status);
      if (status.program) this.#showProgram(status.program);
      this.onStatus(status);
    } catch (error) {
      this.#notify.error('Status', error);
    }
  }

  #showState(status: Status): void {
    const state = status.state ?? 'unknown';
    const el = byId('bstate');
    el.textContent = state;
    el.dataset.state = state;
    const lesson = status.lesson;
    const end = lesson?.end ?? lesson?.endsAt;
    byId('blesson').textContent = lesson?.title ? `${lesson.title}${end ? ` · until ${clock(end)}` : ''}` : 'No lesson on air';
    (byId('start') as HTMLButtonElement).disabled = state === 'live' || state === 'starting';
    (byId('stop') as HTMLButtonElement).disabled = state === 'idle' || state === 'stopping';
  }

  #start(): void {
    const title = (byId('start-title') as HTMLInputElement).value.trim();
    const minutes = Number((byId('start-minutes') as HTMLInputElement).value);
    const body: { title?: string; minutes?: number } = {};
    if (title) body.title = title;
    if (Number.isInteger(minutes) && minutes > 0) body.minutes = minutes;
    this.#api
      .post<Status>('/broadcast/start', body)
      .then((status) => {
        this.#notify.info('Broadcast starting');
        this.#showState(status);
      })
      .catch((error: unknown) => this.#notify.error('Start', error));
  }

  #askStop(): void {
    const bar = byId('stop-confirm');
    const yes = h('button', { type: 'button', class: 'danger', id: 'stop-yes' }, 'Yes, stop for every classroom');
    const no = h('button', { type: 'button', class: 'secondary' }, 'Keep broadcasting');
    const close = () => {
      bar.hidden = true;
      bar.replaceChildren();
    };
    yes.addEventListener('click', () => {
      close();
      this.#api
        .post<Status>('/broadcast/stop', {})
        .then((status) => {
          this.#notify.info('Broadcast stopped');
          this.#showState(status);
        })
        .catch((error: unknown) => this.#notify.error('Stop', error));
    });
    no.addEventListener('click', close);
    bar.replaceChildren(h('span', {}, 'Stop the lesson now?'), yes, no);
    bar.hidden = false;
  }

  async #refreshLayouts(): Promise<void> {
    const root = byId('layouts');
    try {
      const answer = await this.#api.get<{ layout: string; layouts: string[] }>('/layout');
      this.#layouts = answer.layouts;
      root.replaceChildren(
        ...this.#layouts.map((layout) => {
          const button = h('button', { type: 'button', class: 'layout', 'data-layout': layout }, layout);
          button.addEventListener('click', () =>
            this.#api
              .put<{ layout: string }>('/layout', { layout })
              .then((a) => this.#showLayout(a.layout))
              .catch((error: unknown) => this.#notify.error('Layout', error)),
          );
          return button;
        }),
      );
      this.#showLayout(answer.layout);
    } catch (error) {
      if (error instanceof ApiError && error.missing) return unavailable(root, 'Layouts');
      this.#notify.error('Layouts', error);
    }
  }

  #showLayout(layout: string): void {
    if (!layout) return;
    this.#layout = layout;
    for (const button of byId('layouts').querySelectorAll<HTMLElement>('[data-layout]')) {
      button.setAttribute('aria-pressed', String(button.dataset.layout === this.#layout));
    }
  }

  // Program row: one button per source (every camera, the board); a tap puts it on program alone.
  async #refreshProgram(): Promise<void> {
    const root = byId('program-sources');
    try {
      const answer = await this.#api.get<Program & { sources: string[] }>('/program');
      root.replaceChildren(
        ...answer.sources.map((source) => {
          const button = h('button', { type: 'button', class: 'layout', 'data-source': source }, source);
          button.addEventListener('click', () =>
            this.#api
              .put<Program>('/program', { source })
              .then((program) => this.#showProgram(program))
              .catch((error: unknown) => this.#notify.error('Program', error)),
          );
          return button;
        }),
      );
      this.#showProgram(answer);
    } catch (error) {
      if (error instanceof ApiError && error.missing) return unavailable(root, 'Program');
      this.#notify.error('Program', error);
    }
  }

  /** The layout, and which source fills the screen (a full-screen layout's place). */
  #showProgram(program: Program): void {
    this.#showLayout(program.layout);
    const full = program.layout === 'teacher' ? program.main : program.layout === 'students' ? program.second : undefined;
    for (const button of byId('program-sources').querySelectorAll<HTMLElement>('[data-source]')) {
      button.setAttribute('aria-pressed', String(button.dataset.source === full));
    }
  }

  // Voice tracking: `GET /api/director` → `{available, enabled, pausedUntil, …}`, `PUT /api/director` `{enabled}`.
  async #refreshDirector(): Promise<void> {
    try {
      this.#showDirector(await this.#api.get<DirectorView>('/director'));
    } catch (error) {
      const button = byId('director-toggle') as HTMLButtonElement;
      button.disabled = true;
      button.textContent = 'Voice tracking: not available';
      if (!(error instanceof ApiError && error.missing)) this.#notify.error('Voice tracking', error);
    }
  }

  #showDirector(state: DirectorView): void {
    const button = byId('director-toggle') as HTMLButtonElement;
    if (state.available === false) {
      button.disabled = true;
      button.textContent = 'Voice tracking: not configured';
      return;
    }
    if (typeof state.enabled !== 'boolean') return;
    button.disabled = false;
    button.dataset.enabled = String(state.enabled);
    button.setAttribute('aria-pressed', String(state.enabled));
    // pausedUntil: ms since the epoch (or an ISO string), set by a technician's manual action.
    const until = typeof state.pausedUntil === 'number' ? state.pausedUntil : typeof state.pausedUntil === 'string' ? Date.parse(state.pausedUntil) : NaN;
    const paused = Number.isFinite(until) && until > Date.now();
    button.textContent = `Voice tracking: ${state.enabled ? (paused ? `paused until ${clock(new Date(until).toISOString())}` : 'on') : 'off'}`;
  }

  async #toggleDirector(): Promise<void> {
    const button = byId('director-toggle') as HTMLButtonElement;
    const enabled = button.dataset.enabled !== 'true';
    try {
      this.#showDirector(await this.#api.put<DirectorView>('/director', { enabled }));
    } catch (error) {
      this.#notify.error('Voice tracking', error);
    }
  }
}
