import { mkdtempSync, readFileSync, rmSync, utimesSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { DateTime } from 'luxon';
import pino from 'pino';
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { isClasscastError } from '../../config/foundation/errors.ts';
import { type ScheduleConfigInput, scheduleSchema } from '../../config/schema/schedule.ts';
import type { DaemonEvent } from '../../daemon/events/bus.ts';
import type { Clock } from '../../daemon/schedule/clock.ts';
import { ScheduleEngine } from '../../daemon/schedule/engine.ts';
import { ScheduleStateStore } from '../../daemon/schedule/state-store.ts';
import { Timetable } from '../../daemon/schedule/timetable.ts';
import type { BroadcastControl, Lesson, LessonRun, StopReason } from '../../daemon/schedule/types.ts';

const ZONE = 'Asia/Shanghai';
const t = (local: string) => DateTime.fromISO(local, { zone: ZONE }).toMillis();
const hhmm = (ms: number) => DateTime.fromMillis(ms, { zone: ZONE }).toFormat('LL-dd HH:mm:ss');

type Call =
  | { op: 'prepare'; at: string; lesson: string }
  | { op: 'goLive'; at: string; lesson: string; part: number; stopAt: string }
  | { op: 'stop'; at: string; reason: StopReason };

/** Records every call with the (fake) time it happened; can be told to fail. */
class RecordingControl implements BroadcastControl {
  calls: Call[] = [];
  failGoLive = 0;

  async prepare(lesson: Lesson): Promise<void> {
    this.calls.push({ op: 'prepare', at: hhmm(Date.now()), lesson: lesson.id });
  }

  async goLive(run: LessonRun): Promise<void> {
    this.calls.push({ op: 'goLive', at: hhmm(Date.now()), lesson: run.lesson.id, part: run.part, stopAt: hhmm(run.stopAt) });
    if (this.failGoLive > 0) {
      this.failGoLive -= 1;
      throw new Error('encoder would not start');
    }
  }

  async stop(reason: StopReason): Promise<void> {
    this.calls.push({ op: 'stop', at: hhmm(Date.now()), reason });
  }

  ops(): string[] {
    return this.calls.map((c) => `${c.at} ${c.op}${'lesson' in c ? ` ${c.lesson}` : ''}${'part' in c ? `#${c.part}` : ''}${'reason' in c ? ` ${c.reason}` : ''}`);
  }
}

const PERIODS = [
  { id: 'p1', start: '08:00', end: '08:45' },
  { id: 'p2', start: '08:45', end: '09:30' },
  { id: 'p3', start: '10:00', end: '10:45' },
];

let dir: string;
const engines: ScheduleEngine[] = [];
const logger = pino({ level: 'silent' });

beforeEach(() => {
  dir = mkdtempSync(path.join(os.tmpdir(), 'classcast-schedule-'));
  vi.useFakeTimers();
});

afterEach(async () => {
  for (const engine of engines.splice(0)) await engine.close();
  vi.useRealTimers();
  rmSync(dir, { recursive: true, force: true });
});

/** A clock on the (fake) global timers whose timers can be made dead, as in a killed process. */
function killableClock(): Clock & { kill(): void } {
  let alive = true;
  return {
    now: () => Date.now(),
    setTimer(fn, ms) {
      const timer = setTimeout(() => alive && fn(), ms);
      return () => clearTimeout(timer);
    },
    kill: () => {
      alive = false;
    },
  };
}

function makeEngine(
  input: ScheduleConfigInput,
  control: BroadcastControl,
  events?: DaemonEvent[],
  clock?: Clock,
): ScheduleEngine {
  const config = scheduleSchema.parse({ enabled: true, preRollSeconds: 120, postRollSeconds: 60, ...input });
  const engine = new ScheduleEngine({
    timetable: new Timetable(config),
    control,
    store: new ScheduleStateStore({ file: path.join(dir, 'schedule-state.json'), logger }),
    logger,
    ...(events ? { publish: (e: DaemonEvent) => events.push(e) } : {}),
    ...(clock ? { clock } : {}),
  });
  engines.push(engine);
  return engine;
}

async function advanceTo(local: string): Promise<void> {
  await vi.advanceTimersByTimeAsync(t(local) - Date.now());
}

describe('schedule engine on a fake clock', () => {
  it('prepares at pre-roll, goes live at the bell, stops after post-roll, and publishes events', async () => {
    vi.setSystemTime(t('2026-11-23T07:00'));
    const control = new RecordingControl();
    const events: DaemonEvent[] = [];
    const engine = makeEngine({ periods: PERIODS, weekly: { monday: [{ period: 'p3', title: 'Maths' }] } }, control, events);
    const states: string[] = [];
    engine.on('state', (s) => states.push(s.state));
    await engine.start();
    await advanceTo('2026-11-23T09:57:59');
    expect(control.calls).toEqual([]);
    await advanceTo('2026-11-23T12:00');
    expect(control.ops()).toEqual([
      '11-23 09:58:00 prepare 20261123-1000-maths',
      '11-23 10:00:00 goLive 20261123-1000-maths#1',
      '11-23 10:46:00 stop schedule',
    ]);
    expect(states).toEqual(['starting', 'live', 'stopping', 'idle']);
    const types = events.map((e) => `${e.type}:${String('state' in e ? e.state : 'phase' in e ? e.phase : '')}`);
    expect(types).toContain('broadcast.state:live');
    expect(types).toContain('schedule.lesson:ended');
    const live = events.find((e) => e.type === 'broadcast.state' && e.state === 'live');
    expect(live).toMatchObject({ part: 1, lesson: { id: '20261123-1000-maths', start: '2026-11-23T10:00:00+08:00' } });
  });

  it('follows an iCalendar file that is replaced while it runs', async () => {
    vi.setSystemTime(t('2026-11-23T07:00'));
    const file = path.join(dir, 'export.ics');
    const write = (title: string, hour: string, version: number) => {
      writeFileSync(
        file,
        ['BEGIN:VCALENDAR', 'VERSION:2.0', 'BEGIN:VEVENT', `UID:${title}@x`, 'DTSTAMP:20260901T000000Z', `DTSTART;TZID=Asia/Shanghai:20261123T${hour}0000`, `DTEND;TZID=Asia/Shanghai:20261123T${hour}4500`, `SUMMARY:${title}`, 'END:VEVENT', 'END:VCALENDAR', ''].join('\r\n'),
      );
      utimesSync(file, new Date(2026, 0, 1, 0, 0, version), new Date(2026, 0, 1, 0, 0, version));
    };
    write('Chemistry', '10', 1);
    const control = new RecordingControl();
    const engine = makeEngine({ ical: [{ file }] }, control);
    await engine.start();
    await advanceTo('2026-11-23T08:00');
    // The nightly export moves the lesson: the engine reads it at its next wake.
    write('Biology', '11', 2);
    await advanceTo('2026-11-23T12:00');
    expect(control.ops()).toEqual([
      '11-23 10:58:00 prepare 20261123-1100-biology-biology-x',
      '11-23 11:00:00 goLive 20261123-1100-biology-biology-x#1',
      '11-23 11:46:00 stop schedule',
    ]);
  });

  it('does nothing on a holiday and broadcasts on a make-up Saturday', async () => {
    vi.setSystemTime(t('2026-11-27T00:00'));
    const control = new RecordingControl();
    const engine = makeEngine(
      {
        periods: PERIODS,
        weekly: { friday: [{ period: 'p1', title: 'Chinese' }] },
        holidays: [{ date: '2026-11-27' }],
        makeupDays: [{ date: '2026-11-28', follows: 'friday' }],
      },
      control,
    );
    await engine.start();
    await advanceTo('2026-11-27T23:59');
    expect(control.calls).toEqual([]);
    await advanceTo('2026-11-28T12:00');
    expect(control.ops()).toEqual([
      '11-28 07:58:00 prepare 20261128-0800-chinese',
      '11-28 08:00:00 goLive 20261128-0800-chinese#1',
      '11-28 08:46:00 stop schedule',
    ]);
  });

  it('hands back-to-back lessons over without a stop or a double start', async () => {
    vi.setSystemTime(t('2026-11-23T07:00'));
    const control = new RecordingControl();
    const engine = makeEngine(
      {
        periods: PERIODS,
        weekly: {
          monday: [
            { period: 'p1', title: 'Maths', presets: { cam1: 'a' } },
            { period: 'p2', title: 'Physics', presets: { cam1: 'b' } },
          ],
        },
      },
      control,
    );
    await engine.start();
    await advanceTo('2026-11-23T08:44:59');
    expect(engine.status()).toMatchObject({ state: 'live', part: 1 });
    await advanceTo('2026-11-23T11:00');
    expect(control.ops()).toEqual([
      '11-23 07:58:00 prepare 20261123-0800-maths',
      '11-23 08:00:00 goLive 20261123-0800-maths#1',
      '11-23 08:45:00 prepare 20261123-0845-physics',
      '11-23 08:45:00 goLive 20261123-0845-physics#1',
      '11-23 09:31:00 stop schedule',
    ]);
  });

  it('keeps a lesson that crosses midnight live into the next day', async () => {
    vi.setSystemTime(t('2026-11-23T22:00'));
    const control = new RecordingControl();
    const engine = makeEngine(
      {
        periods: [{ id: 'night', start: '23:30', end: '00:30' }],
        weekly: { monday: [{ period: 'night', title: 'Astronomy' }] },
        // The next day being a holiday must not cut a lesson that started the day before.
        holidays: [{ date: '2026-11-24' }],
      },
      control,
    );
    await engine.start();
    await advanceTo('2026-11-24T00:15');
    expect(engine.status()).toMatchObject({ state: 'live', lesson: { id: '20261123-2330-astronomy' } });
    await advanceTo('2026-11-24T02:00');
    expect(control.ops()).toEqual([
      '11-23 23:28:00 prepare 20261123-2330-astronomy',
      '11-23 23:30:00 goLive 20261123-2330-astronomy#1',
      '11-24 00:31:00 stop schedule',
    ]);
  });

  it('recovers inside a lesson after a crash: live at once as part 2 until the end', async () => {
    vi.setSystemTime(t('2026-11-23T07:59'));
    const schedule: ScheduleConfigInput = {
      oneOff: [{ id: 'e2e-lesson', title: 'Chemistry', start: '2026-11-23T08:00', end: '2026-11-23T08:45' }],
    };
    const first = new RecordingControl();
    const firstClock = killableClock();
    const crashed = makeEngine(schedule, first, undefined, firstClock);
    await crashed.start();
    await advanceTo('2026-11-23T08:20');
    expect(crashed.status()).toMatchObject({ state: 'live', part: 1 });
    // A crash: no close(), no stop, no more timers; the state file is all that is left.
    firstClock.kill();
    engines.splice(engines.indexOf(crashed), 1);
    const before = JSON.parse(readFileSync(path.join(dir, 'schedule-state.json'), 'utf8'));
    expect(before.current).toEqual({ lessonId: 'e2e-lesson', part: 1 });

    vi.setSystemTime(t('2026-11-23T08:21'));
    const second = new RecordingControl();
    const restarted = makeEngine(schedule, second);
    await restarted.start();
    expect(restarted.status()).toMatchObject({ state: 'live', part: 2, lesson: { id: 'e2e-lesson' } });
    await advanceTo('2026-11-23T09:00');
    expect(second.ops()).toEqual([
      '11-23 08:21:00 prepare e2e-lesson',
      '11-23 08:21:00 goLive e2e-lesson#2',
      '11-23 08:46:00 stop schedule',
    ]);
    const record = restarted.lessonsBetween(t('2026-11-23T08:00'), t('2026-11-23T09:00'))[0]?.record;
    expect(record?.parts.map((p) => [p.part, p.endReason])).toEqual([
      [1, 'interrupted'],
      [2, 'schedule'],
    ]);
    expect(first.ops()).toHaveLength(2);
  });

  it('a restart after a clean shutdown mid-lesson continues as the next part too', async () => {
    vi.setSystemTime(t('2026-11-23T08:10'));
    const schedule: ScheduleConfigInput = {
      oneOff: [{ id: 'l1', title: 'Biology', start: '2026-11-23T08:00', end: '2026-11-23T08:45' }],
    };
    const control = new RecordingControl();
    const engine = makeEngine(schedule, control);
    await engine.start();
    expect(engine.status()).toMatchObject({ state: 'live', part: 1 });
    await engine.close();
    expect(control.ops().at(-1)).toBe('11-23 08:10:00 stop shutdown');
    await expect(engine.startManual({ by: 'x' })).rejects.toThrow(/closed/);
    const again = makeEngine(schedule, control);
    await again.start();
    expect(again.status()).toMatchObject({ state: 'live', part: 2 });
  });

  it('manual start wins over the timetable and is recorded; its time running out hands back', async () => {
    vi.setSystemTime(t('2026-11-23T09:50'));
    const control = new RecordingControl();
    const engine = makeEngine(
      { periods: PERIODS, weekly: { monday: [{ period: 'p3', title: 'Maths' }] } },
      control,
    );
    await engine.start();
    const status = await engine.startManual({ title: 'Assembly', minutes: 20, by: 'tech-1' });
    expect(status).toMatchObject({ state: 'live', manual: true, part: 1, lesson: { title: 'Assembly', source: 'manual' } });
    await expect(engine.startManual({ by: 'tech-1' })).rejects.toSatisfy((e) => isClasscastError(e, 'CONFLICT'));
    await advanceTo('2026-11-23T11:00');
    expect(control.ops()).toEqual([
      '11-23 09:50:00 prepare manual-20261123-095000',
      '11-23 09:50:00 goLive manual-20261123-095000#1',
      // 10:00 the Maths lesson is due but the manual broadcast is on air until 10:10.
      '11-23 10:10:00 prepare 20261123-1000-maths',
      '11-23 10:10:00 goLive 20261123-1000-maths#1',
      '11-23 10:46:00 stop schedule',
    ]);
    expect(engine.overrides()).toEqual([
      { at: t('2026-11-23T09:50'), action: 'start', by: 'tech-1', lessonId: 'manual-20261123-095000', title: 'Assembly', minutes: 20 },
    ]);
  });

  it('manual stop ends a scheduled lesson for good, also across a restart; the next lesson still runs', async () => {
    vi.setSystemTime(t('2026-11-23T07:00'));
    const schedule: ScheduleConfigInput = {
      periods: PERIODS,
      weekly: { monday: [{ period: 'p1', title: 'Maths' }, { period: 'p3', title: 'Art' }] },
    };
    const control = new RecordingControl();
    const engine = makeEngine(schedule, control);
    await engine.start();
    await advanceTo('2026-11-23T08:10');
    const status = await engine.stopManual({ by: 'tech-2' });
    expect(status.state).toBe('idle');
    await expect(engine.stopManual({ by: 'tech-2' })).rejects.toSatisfy((e) => isClasscastError(e, 'CONFLICT'));
    await advanceTo('2026-11-23T08:20');
    await engine.close();
    engines.splice(engines.indexOf(engine), 1);

    const again = makeEngine(schedule, control);
    await again.start();
    expect(again.status().state).toBe('idle');
    await advanceTo('2026-11-23T11:00');
    expect(control.ops()).toEqual([
      '11-23 07:58:00 prepare 20261123-0800-maths',
      '11-23 08:00:00 goLive 20261123-0800-maths#1',
      '11-23 08:10:00 stop manual',
      '11-23 09:58:00 prepare 20261123-1000-art',
      '11-23 10:00:00 goLive 20261123-1000-art#1',
      '11-23 10:46:00 stop schedule',
    ]);
    expect(again.overrides().map((o) => [o.action, o.by, o.lessonId])).toEqual([['stop', 'tech-2', '20261123-0800-maths']]);
  });

  it('retries a failed go-live with backoff as a new part while the lesson lasts', async () => {
    vi.setSystemTime(t('2026-11-23T07:59'));
    const control = new RecordingControl();
    control.failGoLive = 2;
    const engine = makeEngine(
      { oneOff: [{ id: 'l2', title: 'History', start: '2026-11-23T08:00', end: '2026-11-23T08:45' }] },
      control,
    );
    const failures: string[] = [];
    engine.on('lesson', (e) => e.phase === 'failed' && failures.push(e.reason ?? ''));
    await engine.start();
    await advanceTo('2026-11-23T08:01');
    expect(failures).toEqual(['encoder would not start', 'encoder would not start']);
    expect(engine.status()).toMatchObject({ state: 'live', part: 3 });
    expect(control.ops().filter((o) => o.includes('goLive'))).toEqual([
      '11-23 08:00:00 goLive l2#1',
      '11-23 08:00:02 goLive l2#2',
      '11-23 08:00:06 goLive l2#3',
    ]);
  });

  it('stops at the close when the wake for it reads the wall clock a millisecond early', async () => {
    vi.setSystemTime(t('2026-11-23T07:00'));
    // Timers run on a monotonic clock: a long wait can end when Date.now() is still a
    // millisecond short of its target, and the wall clock catches up while the wake runs.
    let lag = 0;
    const clock: Clock = {
      now: () => {
        const now = Date.now() - lag;
        lag = 0;
        return now;
      },
      setTimer(fn, ms) {
        const timer = setTimeout(() => {
          lag = ms >= 1_000 ? 1 : 0;
          fn();
        }, ms);
        return () => clearTimeout(timer);
      },
    };
    const control = new RecordingControl();
    const engine = makeEngine({ oneOff: [{ id: 'l4', title: 'Art', start: '2026-11-23T08:00', end: '2026-11-23T08:45' }] }, control, undefined, clock);
    await engine.start();
    await advanceTo('2026-11-23T09:00');
    expect(control.ops()).toEqual(['11-23 07:58:00 prepare l4', '11-23 08:00:00 goLive l4#1', '11-23 08:46:00 stop schedule']);
  });

  it('stops at once when the close passes while going live takes long', async () => {
    vi.setSystemTime(t('2026-11-23T08:45:50'));
    const control = new RecordingControl();
    const goLive = control.goLive.bind(control);
    control.goLive = async (run) => {
      await goLive(run);
      await new Promise((resolve) => setTimeout(resolve, 20_000));
    };
    const engine = makeEngine({ oneOff: [{ id: 'l5', title: 'Music', start: '2026-11-23T08:00', end: '2026-11-23T08:45' }] }, control);
    // A restart in the post-roll: start() goes live, which lasts past the close.
    const started = engine.start();
    await advanceTo('2026-11-23T09:00');
    await started;
    expect(control.ops()).toEqual(['11-23 08:45:50 prepare l5', '11-23 08:45:50 goLive l5#1', '11-23 08:46:10 stop schedule']);
  });

  it('notices a wall-clock jump within one capped wait', async () => {
    vi.setSystemTime(t('2026-11-23T06:00'));
    const control = new RecordingControl();
    const engine = makeEngine(
      { oneOff: [{ id: 'l3', title: 'Music', start: '2026-11-23T08:00', end: '2026-11-23T08:45' }] },
      control,
    );
    await engine.start();
    // The system clock steps forward by 2 h (NTP) while the process sleeps: timers do not move.
    vi.setSystemTime(t('2026-11-23T08:10'));
    await vi.advanceTimersByTimeAsync(30_000);
    expect(engine.status()).toMatchObject({ state: 'live', lesson: { id: 'l3' } });
  });
});
