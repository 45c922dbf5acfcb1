type Attrs = Record<string, string | number | boolean | undefined | ((event: Event) => void)>;

/** Builds an element: `h('button', {class: 'big', onclick: fn}, 'Stop')`. */
export function h<K extends keyof HTMLElementTagNameMap>(
  tag: K,
  attrs: Attrs = {},
  ...children: (Node | string | null | undefined)[]
): HTMLElementTagNameMap[K] {
  const el = document.createElement(tag);
  for (const [key, value] of Object.entries(attrs)) {
    if (value === undefined || value === false) continue;
    if (typeof value === 'function') el.addEventListener(key.replace(/^on/, ''), value);
    else if (value === true) el.setAttribute(key, '');
    else el.setAttribute(key, String(value));
  }
  for (const child of children) if (child !== null && child !== undefined) el.append(child);
  return el;
}

export function byId<T extends HTMLElement = HTMLElement>(id: string): T {
  const el = document.getElementById(id);
  if (!el) throw new Error(`missing #${id}`);
  return el as T;
}

/** Local clock time of an ISO timestamp, e.g. `08:05`. */
export function clock(iso: string | null | undefined): string {
  if (!iso) return '–';
  const d = new Date(iso);
  return Number.isNaN(d.getTime()) ? iso : d.toLocaleTimeString([], { hour: '2-digit', minute: '2-digit' });
}

/** Shows a panel's "not available" state (a route this daemon does not offer yet). */
export function unavailable(container: HTMLElement, what: string): void {
  container.replaceChildren(h('p', { class: 'muted', 'data-unavailable': 'true' }, `${what}: not available on this daemon.`));
}
