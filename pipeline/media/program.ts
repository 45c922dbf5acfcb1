import { ClasscastError } from '../../config/foundation/errors.ts';
import { LAYOUTS, type Layout, type PipelineSlice } from '../../config/schema/pipeline.ts';

/**
 * What goes out: a layout over sources (camera ids, or `courseware` for a configured board
 * feed). Every layout has two places, and any source can fill either:
 * - `main`: full screen in `teacher`, the background of `pip`, the left half of
 *   `side-by-side`, the inset over the board in `courseware`;
 * - `second`: full screen in `students`, the inset of `pip`, the right half.
 * The names of the `teacher` and `students` layouts are those of their default sources (the
 * cameras with those roles); a blackboard or a third camera goes on program the same way.
 */
export interface Program {
  layout: Layout;
  main: string;
  second: string;
}

export type ProgramChange = Partial<Program>;

/** The source id of the picture a classroom without cameras shows. */
export const TEST_PICTURE = 'test-picture';

/**
 * The change that puts `source` on program alone (a cut, as from a switcher's program row or
 * voice tracking): its own full-screen layout if it already fills a place, the board layout
 * for the board, else it takes the second place, which then fills the screen. The main place
 * (the teacher, by default) is never taken from the lesson by a cut.
 */
export function cutTo(program: Program, source: string, board?: string): ProgramChange {
  if (source === program.main) return { layout: 'teacher' };
  if (source === program.second) return { layout: 'students' };
  if (source === board) return { layout: 'courseware' };
  return { layout: 'students', second: source };
}

/** Checks a change against the sources there are; throws before anything changes. */
export function checkChange(change: ProgramChange, sources: readonly string[]): void {
  if (change.layout !== undefined && !LAYOUTS.includes(change.layout)) throw new ClasscastError('BAD_REQUEST', `unknown layout ${String(change.layout)}`);
  for (const place of ['main', 'second'] as const) {
    const source = change[place];
    if (source !== undefined && !sources.includes(source)) throw new ClasscastError('NOT_FOUND', `no source ${source} (there are: ${sources.join(', ')})`);
  }
}

/** The sources a place can show, and the places' defaults, from the cameras and their roles. */
export function defaultPlaces(
  cameraRoles: { teacher?: string; students?: string },
  cameras: readonly { id: string; role?: string }[],
): { main?: string; second?: string; board?: string } {
  const byId = (id?: string) => (id ? cameras.find((c) => c.id === id) : undefined);
  const byRole = (role: string) => cameras.find((c) => c.role === role);
  const main = byId(cameraRoles.teacher) ?? byRole('teacher') ?? cameras[0];
  const second = byId(cameraRoles.students) ?? byRole('students') ?? cameras.find((c) => c !== main);
  return { main: main?.id, second: second?.id, board: byRole('blackboard')?.id };
}

/** The places at first: the default cameras, or the test picture in both when there is none. */
export function placesOf(config: Pick<PipelineSlice, 'cameraRoles'>, cameras: readonly { id: string; role?: string }[]): { main: string; second: string } {
  const places = defaultPlaces(config.cameraRoles, cameras);
  return { main: places.main ?? TEST_PICTURE, second: places.second ?? places.main ?? TEST_PICTURE };
}

/**
 * The sources a place can show: every camera, the board feed when it is not a camera, and the
 * talk-back places (`guests`: a room on air there, else the other place's picture).
 */
export function programSources(config: Pick<PipelineSlice, 'courseware'>, cameras: readonly { id: string }[], guests: readonly string[] = []): string[] {
  // Without a camera the places show the test picture, and a guest can take one and give it back.
  const ids = cameras.length > 0 ? cameras.map((c) => c.id) : guests.length > 0 ? [TEST_PICTURE] : [];
  return [...ids, ...(config.courseware ? ['courseware'] : []), ...guests];
}

/** Whether `source` is a talk-back place (see `talkbackSource`). */
export function isTalkbackSource(source: string): boolean {
  return /^talkback-\d+$/.test(source);
}

/** The source id of talk-back place `place` (0-based): its room's picture, its sound channel. */
export function talkbackSource(place: number): string {
  return `talkback-${place + 1}`;
}
