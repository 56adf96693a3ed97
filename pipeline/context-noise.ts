// Corrupted context frames for training the world model. In play the decoder reads its own past
// predictions, and a slightly wrong ball grows into a red smear because training only ever showed it
// real frames. Here some windows get the kind of mistakes it makes (stray red blobs near the ball or
// paddle, a piece of the ball or paddle missing) painted into a context frame while the target stays
// the real next frame, so the loss (those pixels now "change") teaches it to clean them up.
import type { FrameWindow } from './latent-batch';
import type { Prng } from './prng';

/** Palette classes (pipeline/frame-classes.ts): background and the red of ball, paddle and top bricks. */
const BACKGROUND = 0, RED = 2;

/** Blobs painted per corrupted window: 1..MAX_BLOBS, each 1-4 x 1-4 px. */
const MAX_BLOBS = 3;
/** How far from a red pixel a stray blob lands, in pixels. */
const REACH = 10;

export interface FrameGeometry {
  height: number;
  width: number;
  /** Red pixels above this row are bricks (the top row is the ball's red), not the ball or paddle. */
  minRow: number;
}

/** A copy of the window with a few blobs painted into its context frames (the target untouched). */
export function corruptContext(w: FrameWindow, rng: Prng, geometry: FrameGeometry): FrameWindow {
  const { height, width, minRow } = geometry;
  const context = w.context.map((f) => f.slice());
  const blobs = 1 + rng.int(MAX_BLOBS);
  for (let b = 0; b < blobs; b++) {
    // Mostly the last frame, which the decoder copies from; sometimes an older one (velocity cues).
    const frame = context[rng.next() < 0.7 ? context.length - 1 : rng.int(context.length)];
    const reds = redPixels(frame, minRow * width);
    const erase = reds.length > 0 && rng.next() < 0.25;
    let cy: number, cx: number;
    if (reds.length > 0) {
      const p = reds[rng.int(reds.length)];
      const d = erase ? 0 : REACH;
      cy = Math.floor(p / width) + rng.int(2 * d + 1) - d;
      cx = (p % width) + rng.int(2 * d + 1) - d;
    } else {
      cy = minRow + rng.int(height - minRow);
      cx = rng.int(width);
    }
    const h = 1 + rng.int(4), wd = 1 + rng.int(4);
    for (let y = Math.max(0, cy); y < Math.min(height, cy + h); y++) {
      for (let x = Math.max(0, cx); x < Math.min(width, cx + wd); x++) {
        const i = y * width + x;
        // Stray red goes onto background only (never over walls or bricks); erasing clears red only.
        if (erase ? frame[i] === RED : frame[i] === BACKGROUND) frame[i] = erase ? BACKGROUND : RED;
      }
    }
  }
  return { context, target: w.target };
}

function redPixels(frame: Uint8Array, from: number): number[] {
  const out: number[] = [];
  for (let i = from; i < frame.length; i++) if (frame[i] === RED) out.push(i);
  return out;
}
