import { ApiError, type ApiClient } from './api-client.ts';
import { clock, h, unavailable } from './dom.ts';
import type { Notifier } from './notifier.ts';

interface LessonRow {
  id: string;
  title: string;
  start: string;
  end: string;
  teacher?: string;
  status: string;
}

interface ScheduleAnswer {
  today: { date: string; kind: string; note?: string; lessons: LessonRow[] };
  next: LessonRow[];
  enabled: boolean;
}

/** Today's lessons from `GET /api/schedule`, with their state (planned, live, ended, …). */
export class SchedulePanel {
  readonly #root: HTMLElement;
  readonly #api: ApiClient;
  readonly #notify: Notifier;

  constructor(root: HTMLElement, api: ApiClient, notify: Notifier) {
    this.#root = root;
    this.#api = api;
    this.#notify = notify;
  }

  async refresh(): Promise<void> {
    let answer: ScheduleAnswer;
    try {
      answer = await this.#api.get<ScheduleAnswer>('/schedule');
    } catch (error) {
      if (error instanceof ApiError && error.missing) return unavailable(this.#root, 'Timetable');
      return this.#notify.error('Timetable', error);
    }
    const { today } = answer;
    const head = h('p', { class: 'muted' }, `${today.date} · ${today.kind}${today.note ? ` · ${today.note}` : ''}${answer.enabled ? '' : ' · timetable off'}`);
    const rows = today.lessons.map((l) =>
      h(
        'li',
        { class: 'lesson', 'data-status': l.status },
        h('span', { class: 'time' }, `${clock(l.start)}–${clock(l.end)}`),
        h('span', { class: 'title' }, l.title, l.teacher ? h('span', { class: 'muted' }, ` · ${l.teacher}`) : null),
        h('span', { class: 'badge' }, l.status),
      ),
    );
    const next = answer.next.find((l) => !today.lessons.some((t) => t.id === l.id));
    this.#root.replaceChildren(
      head,
      rows.length > 0 ? h('ul', { class: 'lessons' }, ...rows) : h('p', { class: 'muted' }, 'No lessons today.'),
      next ? h('p', { class: 'muted' }, `Next: ${next.title}, ${new Date(next.start).toLocaleString()}`) : '',
    );
  }
}
