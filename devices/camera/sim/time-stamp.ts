/**
 * A machine-readable time stamp drawn into a frame: the epoch milliseconds as 48 bits plus an
 * 8-bit check, in two rows of 28 black/white blocks in the bottom-right corner (the
 * simulated camera's clock, title and label take the other three). Geometry is in
 * fractions of the frame width, so a reader of a scaled picture (the compositor, the low
 * layer, a browser canvas) finds the blocks at the same relative place. Blocks are W/48 wide
 * (13 px at 640, 6.7 px at half that): big enough to survive H.264 at low bitrates; the
 * reader samples each block's centre only.
 */
export const STAMP_BITS = 48;
const CHECK_BITS = 8;
const COLUMNS = 28;
const ROWS = 2;
const BLOCKS_PER_WIDTH = 48;

export interface StampGeometry {
  /** Block size in pixels (a float). */
  block: number;
  /** Top-left corner of the first block. */
  x0: number;
  y0: number;
}

export function stampGeometry(width: number, height: number): StampGeometry {
  const block = width / BLOCKS_PER_WIDTH;
  // Half a block of quiet zone to the frame's edges.
  return { block, x0: width - block / 2 - COLUMNS * block, y0: height - block / 2 - ROWS * block };
}

/** The region a reader needs, in whole pixels: x, y, w, h. */
export function stampRegion(width: number, height: number): { x: number; y: number; w: number; h: number } {
  const g = stampGeometry(width, height);
  const x = Math.floor(g.x0);
  const y = Math.floor(g.y0);
  return { x, y, w: Math.min(width - x, Math.ceil(COLUMNS * g.block) + 1), h: Math.min(height - y, Math.ceil(ROWS * g.block) + 1) };
}

function check(ms: number): number {
  let sum = 0x5a;
  let rest = ms;
  for (let i = 0; i < STAMP_BITS / 8; i += 1) {
    sum = (sum * 31 + (rest % 256)) % 256;
    rest = Math.floor(rest / 256);
  }
  return sum;
}

/** The 56 bits (MSB first): 48 of `ms`, then the check. */
export function stampBits(ms: number): Uint8Array {
  const bits = new Uint8Array(STAMP_BITS + CHECK_BITS);
  let rest = ms;
  for (let i = STAMP_BITS - 1; i >= 0; i -= 1) {
    bits[i] = rest % 2;
    rest = Math.floor(rest / 2);
  }
  const c = check(ms);
  for (let i = 0; i < CHECK_BITS; i += 1) bits[STAMP_BITS + i] = (c >> (CHECK_BITS - 1 - i)) & 1;
  return bits;
}

/**
 * Draws the stamp into a yuv420p frame in place: luma 16/235, chroma neutral under the
 * blocks so an RGB reader sees pure grey. About 20 k byte writes at 640x360.
 */
export function drawStamp(frame: Buffer, width: number, height: number, ms: number): void {
  const bits = stampBits(ms);
  const g = stampGeometry(width, height);
  const r = stampRegion(width, height);
  const uOffset = width * height;
  const vOffset = uOffset + (width / 2) * (height / 2);
  const halfW = width / 2;
  for (let row = 0; row < ROWS; row += 1) {
    const top = Math.round(g.y0 + row * g.block);
    const bottom = Math.round(g.y0 + (row + 1) * g.block);
    for (let col = 0; col < COLUMNS; col += 1) {
      const value = bits[row * COLUMNS + col] ? 235 : 16;
      const left = Math.round(g.x0 + col * g.block);
      const right = Math.round(g.x0 + (col + 1) * g.block);
      for (let y = top; y < bottom; y += 1) frame.fill(value, y * width + left, y * width + right);
    }
  }
  for (let y = r.y >> 1; y < Math.min(height / 2, (r.y + r.h + 1) >> 1); y += 1) {
    const start = y * halfW + (r.x >> 1);
    const end = y * halfW + Math.min(halfW, (r.x + r.w + 1) >> 1);
    frame.fill(128, uOffset + start, uOffset + end);
    frame.fill(128, vOffset + start, vOffset + end);
  }
}

/**
 * Reads a stamp back from any grey picture (`luma(x, y)` 0–255) of the stamped frame's
 * aspect, at any scale. Undefined when a block is ambiguous or the check fails (a frame
 * without a stamp, or one mangled beyond reading).
 */
export function readStamp(luma: (x: number, y: number) => number, width: number, height: number): number | undefined {
  const g = stampGeometry(width, height);
  // Average a small square at each block's centre: a third of the block, at least one pixel.
  const reach = Math.max(0, Math.floor(g.block / 6));
  const bits = new Uint8Array(STAMP_BITS + CHECK_BITS);
  for (let i = 0; i < bits.length; i += 1) {
    const cx = Math.floor(g.x0 + ((i % COLUMNS) + 0.5) * g.block);
    const cy = Math.floor(g.y0 + (Math.floor(i / COLUMNS) + 0.5) * g.block);
    let sum = 0;
    let n = 0;
    for (let dy = -reach; dy <= reach; dy += 1) {
      for (let dx = -reach; dx <= reach; dx += 1) {
        sum += luma(cx + dx, cy + dy);
        n += 1;
      }
    }
    const mean = sum / n;
    if (mean > 96 && mean < 160) return undefined;
    bits[i] = mean >= 128 ? 1 : 0;
  }
  let ms = 0;
  for (let i = 0; i < STAMP_BITS; i += 1) ms = ms * 2 + bits[i]!;
  let c = 0;
  for (let i = 0; i < CHECK_BITS; i += 1) c = (c << 1) | bits[STAMP_BITS + i]!;
  return c === check(ms) ? ms : undefined;
}
