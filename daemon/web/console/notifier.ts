import { ApiError } from './api-client.ts';
import { h } from './dom.ts';

/** Short messages at the bottom of the screen; errors stay until tapped, the rest fade. */
export class Notifier {
  readonly #root: HTMLElement;

  constructor(root: HTMLElement) {
    this.#root = root;
  }

  info(text: string): void {
    this.#show('info', text, 3000);
  }

  warn(text: string): void {
    this.#show('warn', text, 6000);
  }

  error(what: string, error: unknown): void {
    const text =
      error instanceof ApiError
        ? error.status === 403
          ? `${what}: this token may not do that (technician only)`
          : `${what}: ${error.message} (${error.code})`
        : `${what}: ${(error as Error)?.message ?? String(error)}`;
    this.#show('error', text, 0);
  }

  #show(level: string, text: string, ms: number): void {
    const note = h('div', { class: `note ${level}`, role: level === 'error' ? 'alert' : 'status' }, text);
    note.addEventListener('click', () => note.remove());
    this.#root.append(note);
    while (this.#root.children.length > 4) this.#root.firstElementChild?.remove();
    if (ms > 0) setTimeout(() => note.remove(), ms);
  }
}
