import { rmSync } from 'node:fs';
import path from 'node:path';
import pino from 'pino';
import { parseConfig } from '../../config/load.ts';
import { Daemon } from '../../daemon/daemon.ts';
import { launchChromium } from './browser.ts';

export interface TalkbackLesson {
  daemon: Daemon;
  chromium: Awaited<ReturnType<typeof launchChromium>>;
  /** Closes the browser and the daemon, and removes `dir`. */
  close(): Promise<void>;
}

/**
 * A broadcast classroom (its own SFU, one worker) with a technician token and a manual lesson
 * live, and a Chromium for member classrooms: the talk-back tests' stage. `config` gives the
 * parts each test sets itself (pipeline, recording, talkback); data goes under `dir`.
 */
export async function startTalkbackLesson(options: { dir: string; technicianToken: string; config: Record<string, unknown>; chromiumArgs: string[] }): Promise<TalkbackLesson> {
  const { dir, technicianToken } = options;
  const config = parseConfig(
    {
      site: { name: 'school', classroom: 'lesson' },
      dataDir: path.join(dir, 'data'),
      api: { host: '127.0.0.1', port: 0, tokens: [{ name: 'tech', role: 'technician', token: technicianToken }] },
      sfu: { workers: 1 },
      ...options.config,
    },
    'test',
    dir,
  );
  const daemon = new Daemon(config, pino({ level: 'warn' }));
  let chromium: TalkbackLesson['chromium'] | undefined;
  const close = async () => {
    await chromium?.close();
    await daemon.close();
    rmSync(dir, { recursive: true, force: true });
  };
  try {
    await daemon.start();
    await daemon.schedule.startManual({ title: 'Questions', minutes: 30, by: 'test' });
    chromium = await launchChromium(options.chromiumArgs);
    return { daemon, chromium, close };
  } catch (error) {
    await close();
    throw error;
  }
}
