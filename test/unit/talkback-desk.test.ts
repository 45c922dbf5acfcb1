import { pino } from 'pino';
import { afterEach, describe, expect, it, vi } from 'vitest';
import { talkbackSchema } from '../../config/schema/talkback.ts';
import { TalkbackDesk, type TalkbackRequest } from '../../daemon/talkback/desk.ts';

const logger = pino({ level: 'silent' });

function desk(config: Partial<{ enabled: boolean; maxOnAir: number; maxMinutes: number }> = {}) {
  const d = new TalkbackDesk(talkbackSchema.parse({ enabled: true, ...config }), logger);
  const changes: TalkbackRequest[] = [];
  d.on('changed', (r) => changes.push(r));
  return { d, changes };
}

describe('TalkbackDesk', () => {
  afterEach(() => vi.useRealTimers());

  it('takes one raised hand per classroom, lets a technician accept and end it, and says so each time', () => {
    const { d, changes } = desk();
    const page = {};
    const first = d.raise('school-a', page);
    expect(first).toMatchObject({ classroom: 'school-a', state: 'waiting' });
    // Raised again (a page that reconnected): the same request.
    expect(d.raise('school-a', {}).id).toBe(first.id);
    expect(d.accept(first.id).state).toBe('on-air');
    expect(d.end(first.id)).toMatchObject({ state: 'ended', reason: 'ended' });
    expect(changes.map((c) => c.state)).toEqual(['waiting', 'on-air', 'ended']);
    expect(() => d.accept(first.id)).toThrow(expect.objectContaining({ code: 'CONFLICT' }));
    expect(() => d.accept('nobody')).toThrow(expect.objectContaining({ code: 'NOT_FOUND' }));
    // Ended requests stay listed, after the open ones.
    const second = d.raise('school-a', page);
    expect(second.id).not.toBe(first.id);
    expect(d.list().map((r) => [r.id, r.state])).toEqual([
      [second.id, 'waiting'],
      [first.id, 'ended'],
    ]);
  });

  it('ends a request when the page that raised it leaves, not when an older connection of that room does', () => {
    const { d } = desk();
    const oldPage = {};
    const newPage = {};
    const request = d.raise('school-a', oldPage);
    d.raise('school-a', newPage);
    d.endOwned(oldPage, 'left');
    expect(d.get(request.id)!.state).toBe('waiting');
    d.endOwned(newPage, 'left');
    expect(d.get(request.id)).toMatchObject({ state: 'ended', reason: 'left' });
  });

  it('keeps at most maxOnAir rooms on air (the longest on air gives way) and ends a turn after maxMinutes', () => {
    vi.useFakeTimers();
    const { d } = desk({ maxOnAir: 1, maxMinutes: 2 });
    const a = d.accept(d.raise('school-a', {}).id);
    vi.advanceTimersByTime(1_000);
    const b = d.accept(d.raise('school-b', {}).id);
    expect(d.get(a.id)).toMatchObject({ state: 'ended', reason: 'replaced' });
    expect(d.get(b.id)!.state).toBe('on-air');
    vi.advanceTimersByTime(2 * 60_000);
    expect(d.get(b.id)).toMatchObject({ state: 'ended', reason: 'time' });
  });

  it('refuses a raised hand while talk-back is off', () => {
    const { d } = desk({ enabled: false });
    expect(() => d.raise('school-a', {})).toThrow(expect.objectContaining({ code: 'FORBIDDEN' }));
    expect(d.list()).toEqual([]);
  });
});

describe('talk-back places', () => {
  it('gives each room on air a place of its own, and its place to the next once it leaves', () => {
    const { d } = desk({ maxOnAir: 2 });
    const pageA = {};
    const pageB = {};
    const a = d.accept(d.raise('school-a', pageA).id);
    const b = d.accept(d.raise('school-b', pageB).id);
    expect([d.placeOf(a.id), d.placeOf(b.id)]).toEqual([0, 1]);
    expect([d.placeFor(pageA), d.placeFor(pageB)]).toEqual([0, 1]);
    d.end(a.id);
    expect(d.placeOf(a.id)).toBeUndefined();
    expect(d.placeFor(pageA)).toBeUndefined();
    const c = d.accept(d.raise('school-c', {}).id);
    expect(d.placeOf(c.id)).toBe(0);
    // A waiting hand has no place; a room that gives way frees its place for the one accepted.
    const waiting = d.raise('school-d', {});
    expect(d.placeOf(waiting.id)).toBeUndefined();
    d.accept(waiting.id);
    expect(d.get(b.id)).toMatchObject({ state: 'ended', reason: 'replaced' });
    expect(d.placeOf(waiting.id)).toBe(1);
  });
});
