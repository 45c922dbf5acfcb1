import { ApiError, type ApiClient } from './api-client.ts';
import { clock, h, unavailable } from './dom.ts';
import type { ConsoleEvent, EventSocket } from './event-socket.ts';
import type { Notifier } from './notifier.ts';

type Request = Omit<ConsoleEvent<'talkback.changed'>, 'type' | 'at'>;

const STATE_TEXT: Record<Request['state'], string> = { waiting: 'hand raised', 'on-air': 'accepted', ended: 'ended' };

/** How often a room on air's preview picture is fetched again. */
const PREVIEW_MS = 1_000;

/**
 * Raised hands (`GET /api/talkback`): each member classroom that asks to speak, with Accept
 * and End for a technician, and a preview of each room on air (its camera is used only from
 * acceptance on); kept current by `talkback.changed` on `/ws/events`.
 */
export class TalkbackPanel {
  readonly #root: HTMLElement;
  readonly #api: ApiClient;
  readonly #notify: Notifier;

  constructor(root: HTMLElement, api: ApiClient, events: EventSocket, notify: Notifier) {
    this.#root = root;
    this.#api = api;
    this.#notify = notify;
    events.on('talkback.changed', () => void this.refresh());
    window.setInterval(() => void this.#refreshPreviews(), PREVIEW_MS);
  }

  /** Each room on air's latest picture, in its row. */
  async #refreshPreviews(): Promise<void> {
    for (const img of this.#root.querySelectorAll<HTMLImageElement>('img[data-talkback-preview]')) {
      const blob = await this.#api.image(`/talkback/${encodeURIComponent(img.dataset.talkbackPreview!)}/preview`);
      if (!blob) continue;
      const old = img.src;
      img.src = URL.createObjectURL(blob);
      if (old.startsWith('blob:')) URL.revokeObjectURL(old);
    }
  }

  async refresh(): Promise<void> {
    let requests: Request[];
    try {
      requests = (await this.#api.get<{ requests: Request[] }>('/talkback')).requests;
    } catch (error) {
      if (error instanceof ApiError && error.missing) return unavailable(this.#root, 'Talk-back');
      return;
    }
    if (requests.length === 0) {
      this.#root.replaceChildren(h('p', { class: 'muted' }, 'No hands raised.'));
      return;
    }
    this.#root.replaceChildren(
      h(
        'ul',
        { class: 'talkback' },
        ...requests.map((r) => {
          const row = h(
            'li',
            { 'data-talkback': r.classroom, 'data-talkback-id': r.id, 'data-state': r.state },
            h('strong', {}, r.classroom),
            h('span', { class: 'muted' }, ` ${STATE_TEXT[r.state]} ${clock(r.since)}${r.reason ? ` (${r.reason})` : ''} `),
          );
          if (r.state === 'on-air') row.append(h('img', { class: 'talkback-preview', alt: `${r.classroom} on air`, 'data-talkback-preview': r.id }));
          if (r.state === 'waiting') row.append(this.#button('Accept', r.id, 'accept'));
          if (r.state !== 'ended') row.append(this.#button('End', r.id, 'end'));
          return row;
        }),
      ),
    );
  }

  #button(label: string, id: string, action: 'accept' | 'end'): HTMLElement {
    const button = h('button', { type: 'button', class: action === 'end' ? 'secondary' : '', 'data-talkback-action': action }, label);
    button.addEventListener('click', () =>
      this.#api
        .post(`/talkback/${encodeURIComponent(id)}/${action}`, {})
        .then(() => this.refresh())
        .catch((error: unknown) => this.#notify.error('Talk-back', error)),
    );
    return button;
  }
}
