import { describe, expect, it } from 'vitest';
import { pipelineSchema } from '../../config/schema/pipeline.ts';
import { Studio } from '../../daemon/broadcast/studio.ts';
import { cutTo } from '../../pipeline/media/program.ts';

const cameras = [
  { id: 'front', role: 'teacher' },
  { id: 'back', role: 'students' },
  { id: 'hall' },
  { id: 'board', role: 'blackboard' },
];

describe('the program over sources', () => {
  it('cuts to any camera: a place it fills, the board layout for the board, else the second place', () => {
    const program = { layout: 'pip' as const, main: 'front', second: 'back' };
    expect(cutTo(program, 'front', 'board')).toEqual({ layout: 'teacher' });
    expect(cutTo(program, 'back', 'board')).toEqual({ layout: 'students' });
    expect(cutTo(program, 'board', 'board')).toEqual({ layout: 'courseware' });
    expect(cutTo(program, 'hall', 'board')).toEqual({ layout: 'students', second: 'hall' });
  });

  it('keeps the program without a pipeline, tells of each change, and starts the next pipeline from it', async () => {
    const studio = new Studio(pipelineSchema.parse({ layout: 'pip' }), cameras);
    const heard: unknown[] = [];
    studio.onProgram = (program) => heard.push(program);
    expect(studio.program).toEqual({ layout: 'pip', main: 'front', second: 'back' });
    expect(studio.sources).toEqual(['front', 'back', 'hall', 'board']);
    // The third camera, by the director or a technician: it fills the screen.
    expect(await studio.cut('hall')).toEqual({ layout: 'students', main: 'front', second: 'hall' });
    expect(await studio.cut('board')).toEqual({ layout: 'courseware', main: 'front', second: 'hall' });
    expect(heard).toHaveLength(2);
    // A pipeline opened now shows the same: the places become its camera roles.
    expect(studio.pipelineConfig()).toMatchObject({ layout: 'courseware', cameraRoles: { teacher: 'front', students: 'hall' } });
  });

  it('refuses an unknown source or layout and changes nothing', async () => {
    const studio = new Studio(pipelineSchema.parse({}), cameras);
    const before = studio.program;
    await expect(studio.cut('roof')).rejects.toMatchObject({ code: 'NOT_FOUND' });
    await expect(studio.setProgram({ main: 'back', second: 'nobody' })).rejects.toMatchObject({ code: 'NOT_FOUND' });
    await expect(studio.setProgram({ layout: 'mosaic' as never })).rejects.toMatchObject({ code: 'BAD_REQUEST' });
    expect(studio.program).toEqual(before);
  });
});
