import { pino } from 'pino';
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { TypedEmitter } from '../../config/foundation/emitter.ts';
import { directorSchema } from '../../config/schema/director.ts';
import { Director } from '../../daemon/director/director.ts';
import type { DirectorCamera } from '../../daemon/director/types.ts';

const logger = pino({ level: 'silent' });

/** A camera that takes `travelMs` to reach a recalled preset, reporting moved/arrived. */
class FakeCamera extends TypedEmitter<{ moved: []; arrived: [] }> implements DirectorCamera {
  moving = false;
  preset: string | undefined;
  recalls: string[] = [];
  #timer: NodeJS.Timeout | undefined;
  constructor(
    readonly id: string,
    readonly travelMs = 1500,
  ) {
    super();
  }
  async recallPreset(preset: string): Promise<void> {
    this.recalls.push(preset);
    this.startMove();
    clearTimeout(this.#timer);
    this.#timer = setTimeout(() => {
      this.preset = preset;
      this.stopMove();
    }, this.travelMs);
  }
  isMoving(): boolean {
    return this.moving;
  }
  startMove(): void {
    this.moving = true;
    this.safeEmit('moved');
  }
  stopMove(): void {
    this.moving = false;
    this.safeEmit('arrived');
  }
}

class FakeTalkers extends TypedEmitter<{ talkers: [readonly number[]] }> {
  current: number[] = [];
  talkers(): number[] {
    return this.current;
  }
  set(...zones: number[]): void {
    this.current = zones;
    this.safeEmit('talkers', zones);
  }
}

describe('director rules', () => {
  let wide: FakeCamera;
  let students: FakeCamera;
  let talkers: FakeTalkers;
  let shown: string[];
  let director: Director;

  const config = directorSchema.parse({
    enabled: true,
    overview: { camera: 'wide', preset: 'overview' },
    zones: [
      { zone: 1, camera: 'students', preset: 'zone-1' },
      { zone: 2, camera: 'students', preset: 'zone-2' },
    ],
    holdMs: 2000,
    silenceMs: 10000,
    settleMs: 500,
    manualPauseMs: 30000,
    moveTimeoutMs: 8000,
  });

  function make(overrides: Partial<typeof config> = {}): void {
    director = new Director(
      { ...config, ...overrides },
      { cameras: [wide, students], program: { show: (id) => shown.push(id) }, talkers, logger },
    );
    director.start();
  }

  const onAir = () => shown.at(-1);

  beforeEach(() => {
    vi.useFakeTimers();
    wide = new FakeCamera('wide', 1000);
    students = new FakeCamera('students', 1500);
    talkers = new FakeTalkers();
    shown = [];
  });

  afterEach(() => {
    director.close();
    vi.useRealTimers();
  });

  it('starts on the overview once the overview camera has arrived and settled', async () => {
    make();
    expect(wide.recalls).toEqual(['overview']);
    expect(shown).toEqual([]);
    await vi.advanceTimersByTimeAsync(1000 + 499);
    expect(shown).toEqual([]);
    await vi.advanceTimersByTimeAsync(1);
    expect(shown).toEqual(['wide']);
  });

  it('cuts to a new talker only after the hold time, and never while the camera moves', async () => {
    make();
    await vi.advanceTimersByTimeAsync(2000);
    talkers.set(1);
    await vi.advanceTimersByTimeAsync(1999);
    expect(students.recalls).toEqual([]);
    await vi.advanceTimersByTimeAsync(1);
    expect(students.recalls).toEqual(['zone-1']);
    // Moving for 1500 ms: the wide shot stays on program all along.
    await vi.advanceTimersByTimeAsync(1500 + 499);
    expect(onAir()).toBe('wide');
    await vi.advanceTimersByTimeAsync(1);
    expect(onAir()).toBe('students');
    expect(director.status).toMatchObject({ zone: 1, onAir: 'students' });
  });

  it('ignores a talker shorter than the hold time', async () => {
    make();
    await vi.advanceTimersByTimeAsync(2000);
    talkers.set(2);
    await vi.advanceTimersByTimeAsync(1500);
    talkers.set();
    await vi.advanceTimersByTimeAsync(5000);
    expect(students.recalls).toEqual([]);
    expect(shown).toEqual(['wide']);
  });

  it('keeps a talker who is still talking when another zone starts (hysteresis)', async () => {
    make();
    await vi.advanceTimersByTimeAsync(2000);
    talkers.set(1);
    await vi.advanceTimersByTimeAsync(2000 + 1500 + 500);
    expect(onAir()).toBe('students');
    talkers.set(1, 2);
    await vi.advanceTimersByTimeAsync(5000);
    expect(students.recalls).toEqual(['zone-1']);
  });

  it('covers with the other camera while the shown camera moves to the next zone', async () => {
    make();
    await vi.advanceTimersByTimeAsync(2000);
    talkers.set(1);
    await vi.advanceTimersByTimeAsync(4000);
    expect(onAir()).toBe('students');
    talkers.set(2);
    await vi.advanceTimersByTimeAsync(2000);
    // The students camera turns to zone 2: the wide shot covers at once.
    expect(students.recalls).toEqual(['zone-1', 'zone-2']);
    expect(onAir()).toBe('wide');
    await vi.advanceTimersByTimeAsync(1500 + 500);
    expect(onAir()).toBe('students');
    expect(shown).toEqual(['wide', 'students', 'wide', 'students']);
  });

  it('cuts away when the camera on program starts moving for any reason', async () => {
    make();
    await vi.advanceTimersByTimeAsync(2000);
    talkers.set(1);
    await vi.advanceTimersByTimeAsync(4000);
    expect(onAir()).toBe('students');
    students.startMove();
    expect(onAir()).toBe('wide');
    students.stopMove();
    await vi.advanceTimersByTimeAsync(499);
    expect(onAir()).toBe('wide');
    await vi.advanceTimersByTimeAsync(1);
    expect(onAir()).toBe('students');
  });

  it('returns to the overview after the silence time', async () => {
    make();
    await vi.advanceTimersByTimeAsync(2000);
    talkers.set(1);
    await vi.advanceTimersByTimeAsync(4000);
    talkers.set();
    await vi.advanceTimersByTimeAsync(9999);
    expect(onAir()).toBe('students');
    // A talker coming back inside the silence time keeps the shot and restarts the count.
    talkers.set(1);
    talkers.set();
    await vi.advanceTimersByTimeAsync(9999);
    expect(onAir()).toBe('students');
    await vi.advanceTimersByTimeAsync(1);
    expect(onAir()).toBe('wide');
    expect(director.status.zone).toBeNull();
  });

  it('pauses for the manual time after a technician action, then resumes', async () => {
    make();
    await vi.advanceTimersByTimeAsync(2000);
    director.manualOverride();
    expect(director.status.pausedUntil).not.toBeNull();
    talkers.set(2);
    await vi.advanceTimersByTimeAsync(29_999);
    expect(students.recalls).toEqual([]);
    // A technician's move of the shown camera is not fought either.
    wide.startMove();
    wide.stopMove();
    expect(shown).toEqual(['wide']);
    await vi.advanceTimersByTimeAsync(1);
    expect(director.status.pausedUntil).toBeNull();
    // Zone 2 still talks: the director goes straight to it on resuming.
    expect(students.recalls).toEqual(['zone-2']);
    await vi.advanceTimersByTimeAsync(2000);
    expect(onAir()).toBe('students');
  });

  it('ends a manual pause when the technician switches voice tracking on', async () => {
    make();
    await vi.advanceTimersByTimeAsync(2000);
    director.manualOverride();
    talkers.set(1);
    await vi.advanceTimersByTimeAsync(5000);
    expect(students.recalls).toEqual([]);
    director.setEnabled(true);
    expect(director.status.pausedUntil).toBeNull();
    expect(students.recalls).toEqual(['zone-1']);
    await vi.advanceTimersByTimeAsync(2000);
    expect(onAir()).toBe('students');
  });

  it('does nothing while switched off, and takes over when switched on', async () => {
    make({ enabled: false });
    talkers.set(1);
    await vi.advanceTimersByTimeAsync(10_000);
    expect(wide.recalls).toEqual([]);
    expect(students.recalls).toEqual([]);
    expect(shown).toEqual([]);
    director.setEnabled(true);
    await vi.advanceTimersByTimeAsync(2000);
    expect(onAir()).toBe('students');
    director.setEnabled(false);
    talkers.set();
    await vi.advanceTimersByTimeAsync(20_000);
    expect(onAir()).toBe('students');
  });

  it('assumes arrival after the move timeout when a camera never reports it', async () => {
    const mute = new FakeCamera('students', 1500);
    mute.recallPreset = async (preset) => {
      mute.recalls.push(preset);
      mute.moving = true; // and never a word again
    };
    students = mute;
    make({ moveTimeoutMs: 3000 });
    await vi.advanceTimersByTimeAsync(2000);
    talkers.set(1);
    await vi.advanceTimersByTimeAsync(2000 + 3000 + 499);
    expect(onAir()).toBe('wide');
    await vi.advanceTimersByTimeAsync(1);
    expect(onAir()).toBe('students');
  });

  it('refuses a config naming an unknown camera, and calls after close', () => {
    expect(
      () =>
        new Director(
          { ...config, zones: [{ zone: 1, camera: 'nope', preset: 'p' }] },
          { cameras: [wide, students], program: { show: () => undefined }, talkers, logger },
        ),
    ).toThrow(TypeError);
    make();
    director.close();
    director.close();
    expect(() => director.manualOverride()).toThrow(/closed/);
  });
});
