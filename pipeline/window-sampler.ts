// Which training windows a batch draws. Uniform draws under-serve the late game: after enough hits the
// ball moves 10+ px a step, which is a few percent of the recorded windows but half the steps of a good
// player's game, and the world model learns to smear it. Weighting those windows (`fastBallWeight` in
// pipeline/train-latent.ts) draws them that many times as often.
import { FRAME_PIXELS } from './frame-classes';
import type { LatentDataset, Window } from './latent-dataset';
import { SumTree } from './sum-tree';
import { findBallInClasses } from './world-model-metrics';

/** A ball that moves at least this many pixels (rows or columns) in one step is a fast one. */
export const FAST_BALL_PX = 10;

/**
 * For each window, whether the ball moves at least FAST_BALL_PX between the last context frame and the
 * target (1) or not, or is missing in either (0). Each episode's frames are read once.
 */
export function fastBallWindows(ds: LatentDataset, windows: Window[]): Uint8Array {
  const balls = new Map<number, ({ x: number; y: number } | null)[]>();
  const frame = new Uint8Array(FRAME_PIXELS);
  const ballsOf = (e: number) => {
    let b = balls.get(e);
    if (!b) {
      b = Array.from({ length: ds.episodes[e].frames }, (_, k) => findBallInClasses(ds.store.read(e, k, frame)));
      balls.set(e, b);
    }
    return b;
  };
  return Uint8Array.from(windows, (w) => {
    const b = ballsOf(w.episode);
    const from = b[w.target - 1], to = b[w.target];
    return from && to && Math.max(Math.abs(to.x - from.x), Math.abs(to.y - from.y)) >= FAST_BALL_PX ? 1 : 0;
  });
}

/**
 * A sum tree over `windows` (draw one with `tree.find(u * tree.total)`) in which the fast-ball windows weigh
 * `weight` and the rest 1; `fast` counts them.
 */
export function fastBallTree(ds: LatentDataset, windows: Window[], weight: number): { tree: SumTree; fast: number } {
  const fast = fastBallWindows(ds, windows);
  const tree = new SumTree(windows.length);
  fast.forEach((f, i) => tree.set(i, f ? weight : 1));
  return { tree, fast: fast.reduce((s, f) => s + f, 0) };
}
