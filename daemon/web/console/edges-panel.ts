import type { EdgeView } from '../../district/edge-hub.ts';
import { clock, h } from './dom.ts';

/**
 * An origin SFU's edges, from `/api/status` (`edges`): each edge online or not, its
 * classrooms and what it sends them, and its link to this origin (what the pipes carry, loss
 * and round trip, the broadcasts pulled). The panel stays hidden on a box without edges.
 */
export class EdgesPanel {
  readonly #root: HTMLElement;
  readonly #section: HTMLElement;

  constructor(root: HTMLElement, section: HTMLElement) {
    this.#root = root;
    this.#section = section;
  }

  fromStatus(status: Record<string, unknown>): void {
    const edges = status.edges as EdgeView[] | undefined;
    this.#section.hidden = !Array.isArray(edges) || edges.length === 0;
    if (!Array.isArray(edges)) return;
    this.#root.replaceChildren(
      h(
        'ul',
        { class: 'edges' },
        ...edges.map((e) =>
          h(
            'li',
            { 'data-state': e.online ? 'online' : 'offline', 'data-edge': e.name },
            h('strong', {}, e.name),
            h('span', { class: 'badge' }, e.online ? `online since ${clock(e.connectedAt)}` : 'offline'),
            h('span', {}, `${e.classrooms} classroom${e.classrooms === 1 ? '' : 's'} · ${e.sendKbps} kbit/s out · loss ${e.lossPercent} %`),
            h(
              'span',
              { class: 'muted' },
              `link: ${e.link.sendKbps} kbit/s · loss ${e.link.lossPercent} %${e.link.roundTripMs !== undefined ? ` · ${e.link.roundTripMs} ms` : ''} · ${
                e.link.pulls.length > 0 ? e.link.pulls.map((p) => `${p.room}${p.pipes > 1 ? ` ×${p.pipes}` : ''}`).join(', ') : 'nothing pulled'
              }`,
            ),
          ),
        ),
      ),
    );
  }
}
