import type { Logger } from 'pino';
import { LAYOUTS, type Layout } from '../../config/schema/pipeline.ts';
import type { LessonRef } from './controller.ts';
import type { Studio } from './studio.ts';

export interface LessonSetupDeps {
  recallPreset: (cameraId: string, preset: string) => Promise<unknown>;
  studio: Pick<Studio, 'setLayout'>;
  /** Voice tracking waits while the lesson's own shots are set up, as for a technician's hand. */
  pauseDirector: () => void;
  logger: Logger;
}

/**
 * A lesson's set-up: its cameras to their presets and its layout, in pre-roll or at the bell
 * of a lesson that follows another on air. Failures are logged only: a camera not at its preset
 * is no reason to keep a lesson off air.
 */
export function lessonSetup(deps: LessonSetupDeps): (lesson: LessonRef) => Promise<void> {
  return async (lesson) => {
    const presets = Object.entries(lesson.presets ?? {});
    if (presets.length > 0) deps.pauseDirector();
    await Promise.all(
      presets.map(([camera, preset]) =>
        deps.recallPreset(camera, preset).catch((error: unknown) => deps.logger.warn({ err: error, camera, preset }, 'pre-roll preset failed')),
      ),
    );
    if (lesson.layout && (LAYOUTS as readonly string[]).includes(lesson.layout)) await deps.studio.setLayout(lesson.layout as Layout);
  };
}
