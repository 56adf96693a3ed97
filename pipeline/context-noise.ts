// Imperfect context frames for training the world model. In play the decoder reads its own past
// predictions, and a slightly wrong ball grows into a red smear because training only ever showed it
// real frames. Two remedies, both keeping the real next frame as the target so the loss (the wrong
// pixels now "change") teaches the decoder to clean up:
//  - corruptContext paints the kind of mistakes it makes (stray red blobs near the ball or paddle, a
//    piece of either missing) into a context frame;
//  - withOwnPredictions replaces the last context frames by the model's own rollout into them. The
//    score band stays real: a digit the rollout changed by mistake, "repaired" by the real target,
//    taught the decoder to undo the digit changes it sees in the last frame, real ones included.
import { RED_CLASS as RED } from './frame-classes';
import type { FrameWindow } from './latent-batch';
import type { LatentDataset, Window } from './latent-dataset';
import type { Prng } from './prng';
import type { WorldModel } from './world-model';

const BACKGROUND = 0;

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

/**
 * The windows with their last `steps` context frames replaced by the model's own rollout: from the
 * real context `steps` windows back, each step predicts the next frame with the code the encoder
 * gives the real transition (as in play, where the action map stands in for the encoder) and slides
 * it into the context, its top `realRows` rows (the score band) taken from the real frame.
 * `windows[i]` is the window `picks[i]`; a window with fewer previous steps in its episode rolls as
 * many as it has (none: it stays as it is).
 */
export function withOwnPredictions(ds: LatentDataset, wm: WorldModel, picks: Window[], windows: FrameWindow[], steps = 1, realRows = 0): FrameWindow[] {
  const realPixels = realRows * wm.config.width;
  // The windows before each pick, nearest first: chains[i][s - 1] is s steps back.
  const chains = picks.map((w) => {
    const chain: Window[] = [];
    for (let p = ds.previous(w); p && chain.length < steps; p = ds.previous(p)) chain.push(p);
    return chain;
  });
  // A rollout starts from the real context of its farthest window, read with that window's frames.
  const contexts: (Uint8Array[] | null)[] = picks.map(() => null);
  for (let s = steps; s >= 1; s--) {
    const idx = chains.flatMap((c, i) => (c.length >= s ? [i] : []));
    if (idx.length === 0) continue;
    const real = idx.map((i) => ds.frames(chains[i][s - 1]));
    idx.forEach((i, j) => { contexts[i] ??= real[j].context; });
    const codes = wm.inferCodes(real.map((r) => r.context), real.map((r) => r.target));
    const preds = wm.predict(idx.map((i) => contexts[i]!), codes);
    preds.forEach((p, j) => p.set(real[j].target.subarray(0, realPixels)));
    idx.forEach((i, j) => { contexts[i] = [...contexts[i]!.slice(1), preds[j]]; });
  }
  return windows.map((w, i) => (contexts[i] ? { context: contexts[i]!, target: w.target } : w));
}
