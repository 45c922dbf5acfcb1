import type { Layout } from '../../config/schema/pipeline.ts';

/**
 * Layouts are positions of layers that always exist in the graph, so a layout switch is a
 * handful of filter commands (no new filter graph, no encoder restart, no keyframe):
 * - a background chosen by `streamselect@bg` among black, the teacher, the students and the
 *   courseware, each pre-scaled to the canvas;
 * - four overlays on top, in this z-order: teacher half, students half, teacher inset,
 *   students inset. A hidden overlay sits at x = canvas width, where `overlay` clips it
 *   away without blending a pixel.
 */
export const BACKGROUND = { black: 0, teacher: 1, students: 2, courseware: 3 } as const;
export const OVERLAYS = ['th', 'sh', 'ti', 'si'] as const;
export type OverlayName = (typeof OVERLAYS)[number];

export interface LayoutPlacement {
  background: number;
  /** x of each overlay; the canvas width means hidden. Each overlay's y never changes. */
  overlays: Record<OverlayName, number>;
}

export interface Canvas {
  width: number;
  height: number;
}

export function halfSize(c: Canvas): Canvas {
  return { width: even(c.width / 2), height: even(c.height / 2) };
}

export function insetSize(c: Canvas): Canvas {
  return { width: even(c.width / 4), height: even(c.height / 4) };
}

/**
 * The fixed y of each overlay. Only x moves between layouts, so a switch is at most five
 * commands, sent at once (see MixController) and applied by the zmq filter in the same frame.
 */
export function overlayY(name: OverlayName, canvas: Canvas): number {
  if (name === 'th' || name === 'sh') return even((canvas.height - halfSize(canvas).height) / 2);
  return canvas.height - insetSize(canvas).height - margin(canvas);
}

export function placeLayout(layout: Layout, canvas: Canvas): LayoutPlacement {
  const hidden = canvas.width;
  const insetX = canvas.width - insetSize(canvas).width - margin(canvas);
  const overlays: Record<OverlayName, number> = { th: hidden, sh: hidden, ti: hidden, si: hidden };
  switch (layout) {
    case 'teacher':
      return { background: BACKGROUND.teacher, overlays };
    case 'students':
      return { background: BACKGROUND.students, overlays };
    case 'pip':
      return { background: BACKGROUND.teacher, overlays: { ...overlays, si: insetX } };
    case 'side-by-side':
      return { background: BACKGROUND.black, overlays: { ...overlays, th: 0, sh: canvas.width - halfSize(canvas).width } };
    case 'courseware':
      return { background: BACKGROUND.courseware, overlays: { ...overlays, ti: insetX } };
  }
}

/** The filter commands (`target command arg`, ffmpeg's zmq syntax) that turn `from` into `to`. */
export function layoutCommands(to: LayoutPlacement, from?: LayoutPlacement): string[] {
  const commands: string[] = [];
  for (const name of OVERLAYS) {
    if (from && from.overlays[name] === to.overlays[name]) continue;
    commands.push(`overlay@${name} x ${to.overlays[name]}`);
  }
  if (!from || from.background !== to.background) commands.push(`streamselect@bg map ${to.background}`);
  return commands;
}

function margin(canvas: Canvas): number {
  return even(canvas.height / 30);
}

function even(n: number): number {
  return Math.max(2, 2 * Math.floor(n / 2));
}
