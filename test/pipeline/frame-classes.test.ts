import { describe, expect, it } from 'vitest';
import { BREAKOUT_PALETTE, NUM_CLASSES, classesToRgb, countOffPalette, rgbToClasses } from '../../pipeline/frame-classes';
import { drawScene } from './breakout-frames';

describe('frame classes', () => {
  it('round-trips a Breakout screen exactly', () => {
    const rgb = drawScene({ paddleX: 40, ball: { x: 70, y: 120 } });
    const cls = rgbToClasses(rgb);
    expect(cls.length).toBe(210 * 160);
    expect(Math.max(...cls)).toBeLessThan(NUM_CLASSES);
    expect(Buffer.compare(Buffer.from(classesToRgb(cls)), Buffer.from(rgb))).toBe(0);
    expect(countOffPalette(rgb)).toBe(0);
  });

  it('maps every palette colour to its own class and an unknown colour to the nearest', () => {
    const rgb = new Uint8Array([...BREAKOUT_PALETTE.flat(), 10, 5, 0, 190, 80, 70]);
    expect(Array.from(rgbToClasses(rgb))).toEqual([...BREAKOUT_PALETTE.map((_, i) => i), 0, 2]);
    expect(countOffPalette(rgb)).toBe(2);
  });

  it('rejects a class outside the palette', () => {
    expect(() => classesToRgb(new Uint8Array([NUM_CLASSES]))).toThrow(/outside the palette/);
  });
});
