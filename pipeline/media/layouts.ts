import type { Layout } from '../../config/schema/pipeline.ts';

/**
 * Layouts are positions of layers that always exist in the graph, so a layout switch is a
 * handful of filter commands (no new filter graph, no encoder restart, no keyframe):
 * - a background chosen by `streamselect@bg` among black, the teacher, the students and the
 *   courseware, each pre-scaled to the canvas;
 * - four overlays on top, in this z-order: teacher half, students half, teacher inset,
 *   students inset. A hidden overlay sits at x = canvas width, where `overlay` clips it
 *   away without blending a pixel.
 * Each overlay's picture is made by a scale of its own (`scale@th` for `overlay@th`, from the
 * camera at canvas size), which scales only while its overlay is shown: hidden, it is told
 * `iw`x`ih` and passes the frame on untouched (see MEDIA.md, "Layouts", for what it saves).
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

/** The size an overlay's picture is scaled to while shown: half the canvas or a quarter. */
export function overlaySize(name: OverlayName, canvas: Canvas): Canvas {
  return name === 'th' || name === 'sh' ? halfSize(canvas) : insetSize(canvas);
}

export function isShown(placement: LayoutPlacement, name: OverlayName, canvas: Canvas): boolean {
  return placement.overlays[name] < canvas.width;
}

/** The `w` and `h` of an overlay's scale: its size while shown, else the input's own (no scaling). */
export function scaleSize(placement: LayoutPlacement, name: OverlayName, canvas: Canvas): { w: string; h: string } {
  if (!isShown(placement, name, canvas)) return { w: 'iw', h: 'ih' };
  const size = overlaySize(name, canvas);
  return { w: String(size.width), h: String(size.height) };
}

export function scaleFilterName(name: OverlayName): string {
  return `scale@${name}`;
}

/**
 * The filter commands (`target command arg`, ffmpeg's zmq syntax) that turn `from` into `to`,
 * in steps to send one after the other. Each step's commands are sent at once and land with
 * the next frame, though not always all with the same one; the steps keep every frame whole:
 * an overlay's scale takes its size while the overlay is still off the canvas (1), the
 * overlays move and the background changes (2), and a scale stops only once its overlay is
 * off the canvas (3). A full-size camera never lands where a half or an inset belongs.
 */
export function layoutSteps(canvas: Canvas, to: LayoutPlacement, from?: LayoutPlacement): string[][] {
  const scale = (name: OverlayName) => {
    const { w, h } = scaleSize(to, name, canvas);
    return [`${scaleFilterName(name)} w ${w}`, `${scaleFilterName(name)} h ${h}`];
  };
  const changes = (name: OverlayName) => !from || isShown(from, name, canvas) !== isShown(to, name, canvas);
  const shown = OVERLAYS.filter((name) => changes(name) && isShown(to, name, canvas)).flatMap(scale);
  const moves: string[] = [];
  for (const name of OVERLAYS) {
    if (from && from.overlays[name] === to.overlays[name]) continue;
    moves.push(`overlay@${name} x ${to.overlays[name]}`);
  }
  if (!from || from.background !== to.background) moves.push(`streamselect@bg map ${to.background}`);
  const hidden = OVERLAYS.filter((name) => changes(name) && !isShown(to, name, canvas)).flatMap(scale);
  return [shown, moves, hidden].filter((step) => step.length > 0);
}

function margin(canvas: Canvas): number {
  return even(canvas.height / 30);
}

function even(n: number): number {
  return Math.max(2, 2 * Math.floor(n / 2));
}
