// Breakout screens as colour classes: each pixel is one of a handful of palette colours, so the world
// model predicts a class per pixel (cross-entropy) instead of regressing RGB, which keeps colours exact
// and the 2-pixel ball sharp. RGB <-> class index, both directions, exact for the game's colours.

export const FRAME_HEIGHT = 210;
export const FRAME_WIDTH = 160;
export const FRAME_PIXELS = FRAME_HEIGHT * FRAME_WIDTH;

/**
 * Every colour a Breakout screen shows (measured over the wm-eval-sample trajectories, mode 0):
 * black background, grey walls/score, the six brick rows (red doubling as ball and paddle), and the
 * teal strip at the bottom of the left wall. Index 0 is the background.
 */
export const BREAKOUT_PALETTE: readonly (readonly [number, number, number])[] = [
  [0, 0, 0],
  [142, 142, 142],
  [200, 72, 72],
  [198, 108, 58],
  [180, 122, 48],
  [162, 162, 42],
  [72, 160, 72],
  [66, 72, 200],
  [66, 158, 130],
];
export const NUM_CLASSES = BREAKOUT_PALETTE.length;
/** The class of the red shared by ball, paddle and the top brick row. */
export const RED_CLASS = 2;
/** The class of the grey of walls and digits. */
export const GREY_CLASS = 1;

// Exact lookup for palette colours; anything else falls back to the nearest colour (squared RGB distance).
const exact = new Map<number, number>(BREAKOUT_PALETTE.map(([r, g, b], i) => [(r << 16) | (g << 8) | b, i]));
const nearestCache = new Map<number, number>();

function nearestClass(key: number): number {
  const hit = nearestCache.get(key);
  if (hit !== undefined) return hit;
  const r = key >> 16, g = (key >> 8) & 255, b = key & 255;
  let best = 0, bestD = Infinity;
  BREAKOUT_PALETTE.forEach(([pr, pg, pb], i) => {
    const d = (r - pr) ** 2 + (g - pg) ** 2 + (b - pb) ** 2;
    if (d < bestD) { bestD = d; best = i; }
  });
  nearestCache.set(key, best);
  return best;
}

/** RGB (H*W*3, row-major) → class index per pixel (H*W). Colours outside the palette map to the nearest. */
export function rgbToClasses(rgb: Uint8Array, out = new Uint8Array(rgb.length / 3)): Uint8Array {
  if (rgb.length % 3 !== 0) throw new Error(`rgbToClasses: length ${rgb.length} is not a multiple of 3`);
  for (let p = 0, i = 0; p < out.length; p++, i += 3) {
    const key = (rgb[i] << 16) | (rgb[i + 1] << 8) | rgb[i + 2];
    const c = exact.get(key);
    out[p] = c === undefined ? nearestClass(key) : c;
  }
  return out;
}

/** Count of pixels whose colour is not exactly in the palette (a sanity check for new data). */
export function countOffPalette(rgb: Uint8Array): number {
  let n = 0;
  for (let i = 0; i < rgb.length; i += 3) if (!exact.has((rgb[i] << 16) | (rgb[i + 1] << 8) | rgb[i + 2])) n++;
  return n;
}

/** Class index per pixel → RGB (H*W*3). */
export function classesToRgb(classes: Uint8Array, out = new Uint8Array(classes.length * 3)): Uint8Array {
  for (let p = 0, i = 0; p < classes.length; p++, i += 3) {
    const col = BREAKOUT_PALETTE[classes[p]];
    if (!col) throw new Error(`classesToRgb: class ${classes[p]} at pixel ${p} is outside the palette`);
    out[i] = col[0]; out[i + 1] = col[1]; out[i + 2] = col[2];
  }
  return out;
}
