import { ApiError, type ApiClient } from './api-client.ts';
import { h, unavailable } from './dom.ts';

interface Entry {
  at: string;
  who: string;
  action: string;
  target?: string;
  detail?: string;
  result: string;
  status?: number;
  error?: string;
}

/** The latest control actions (`GET /api/audit`), newest first. */
export class AuditPanel {
  readonly #root: HTMLElement;
  readonly #api: ApiClient;

  constructor(root: HTMLElement, api: ApiClient) {
    this.#root = root;
    this.#api = api;
  }

  async refresh(): Promise<void> {
    let entries: Entry[];
    try {
      entries = (await this.#api.get<{ entries: Entry[] }>('/audit?limit=30')).entries;
    } catch (error) {
      if (error instanceof ApiError && (error.missing || error.status === 403)) return unavailable(this.#root, 'Audit log');
      return;
    }
    this.#root.replaceChildren(
      h(
        'ul',
        { class: 'audit' },
        ...entries.map((e) =>
          h(
            'li',
            { 'data-result': e.result },
            h('span', { class: 'time' }, new Date(e.at).toLocaleTimeString()),
            h('span', {}, `${e.who}: ${e.action}${e.target ? ` ${e.target}` : ''}${e.detail ? ` ${e.detail}` : ''}`),
            h('span', { class: 'badge' }, e.result === 'ok' ? 'ok' : `${e.status ?? ''} ${e.error ?? ''}`.trim()),
          ),
        ),
      ),
    );
  }
}
