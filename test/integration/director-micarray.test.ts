import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { pino } from 'pino';
import { afterEach, describe, expect, it } from 'vitest';
import { TypedEmitter } from '../../config/foundation/emitter.ts';
import { parseConfig } from '../../config/load.ts';
import { createDirector } from '../../daemon/director/factory.ts';
import type { Director } from '../../daemon/director/director.ts';
import type { DirectorCamera } from '../../daemon/director/types.ts';
import type { MicArrayDriver } from '../../devices/micarray/driver.ts';
import { createMicArrays } from '../../devices/micarray/factory.ts';
import { startMicArraySimulator, type MicArraySimulator } from '../../devices/micarray/simulator/simulator.ts';

const logger = pino({ level: 'silent' });

class TravellingCamera extends TypedEmitter<{ moved: []; arrived: [] }> implements DirectorCamera {
  moving = false;
  recalls: string[] = [];
  constructor(readonly id: string) {
    super();
  }
  async recallPreset(preset: string): Promise<void> {
    this.recalls.push(preset);
    this.moving = true;
    this.safeEmit('moved');
    setTimeout(() => {
      this.moving = false;
      this.safeEmit('arrived');
    }, 150);
  }
  isMoving(): boolean {
    return this.moving;
  }
}

async function until(condition: () => boolean, what: string, timeoutMs = 10_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!condition()) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 20));
  }
}

describe('voice tracking end to end over a pty', () => {
  let dir: string;
  let sim: MicArraySimulator | undefined;
  let arrays: MicArrayDriver[] = [];
  let director: Director | undefined;

  afterEach(async () => {
    director?.close();
    for (const a of arrays) await a.close();
    await sim?.close();
    rmSync(dir, { recursive: true, force: true });
  });

  it.each(['shure-ascii', 'binary'] as const)('a scripted talker in zone 3 turns the students camera to zone 3 (%s)', async (protocol) => {
    dir = mkdtempSync(path.join(tmpdir(), 'classcast-director-'));
    sim = await startMicArraySimulator({ protocol, channels: 4, script: [{ zone: 3, ms: 60_000 }], dir, logger });
    const config = parseConfig({
      micArrays: [{ id: 'ceiling', name: 'Ceiling', protocol, path: sim.devicePath, channels: 4, reconnect: { initialMs: 50, maxMs: 200 } }],
      director: {
        enabled: true,
        overview: { camera: 'teacher', preset: 'overview' },
        zones: [1, 2, 3, 4].map((zone) => ({ zone, camera: 'students', preset: `zone-${zone}` })),
        holdMs: 300,
        settleMs: 100,
      },
    });
    arrays = createMicArrays(config.micArrays, { logger });
    const teacher = new TravellingCamera('teacher');
    const students = new TravellingCamera('students');
    const shown: string[] = [];
    director = createDirector(config.director, {
      cameras: [teacher, students],
      program: { show: (id) => shown.push(id) },
      micArrays: arrays,
      logger,
    });
    expect(director).toBeDefined();
    for (const a of arrays) a.start();
    director!.start();
    await until(() => shown.at(-1) === 'students', 'the students camera on program');
    expect(students.recalls).toEqual(['zone-3']);
    expect(shown[0]).toBe('teacher');
    expect(director!.status).toMatchObject({ zone: 3, onAir: 'students' });
  });
});
