import { describe, expect, it } from 'vitest';
import { mostlyOtherLayer } from '../../scripts/bench/glass.ts';

describe('bench glass: a window on the wrong layer', () => {
  it('is one where more than half of the frames came at a width other than the canvas', () => {
    const at = (...widths: number[]) => ({ widths });
    expect(mostlyOtherLayer(at(1280, 1280, 480), 1280)).toBe(false);
    // Half and half still measures the canvas on as many frames as it leaves out.
    expect(mostlyOtherLayer(at(1280, 480), 1280)).toBe(false);
    expect(mostlyOtherLayer(at(1280, 480, 480), 1280)).toBe(true);
    expect(mostlyOtherLayer(at(480, 640, 320), 1280)).toBe(true);
    // No frame at all is not a window on another layer (the page's own rows say so).
    expect(mostlyOtherLayer(at(), 1280)).toBe(false);
  });
});
