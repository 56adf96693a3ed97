// Which training windows a batch draws. Uniform draws under-serve the late game: after enough hits the
// ball moves 10+ px a step, which is a few percent of the recorded windows but half the steps of a good
// player's game, and the world model learns to smear it. Weighting those windows (`fastBallWeight` in
// pipeline/train-latent.ts) draws them that many times as often.
import type { LatentDataset, Window } from './latent-dataset';
import { findBallInClasses } from './world-model-metrics';

/** A ball that moves at least this many pixels (rows or columns) in one step is a fast one. */
export const FAST_BALL_PX = 10;

/** Draws indices 0..n-1 with probability proportional to fixed non-negative weights. */
export class WeightedSampler {
  private readonly cumulative: Float64Array;

  constructor(weights: ArrayLike<number>) {
    this.cumulative = new Float64Array(weights.length);
    let sum = 0;
    for (let i = 0; i < weights.length; i++) {
      const w = weights[i];
      if (!(w >= 0) || !Number.isFinite(w)) throw new RangeError(`weight ${i} must be finite and >= 0, got ${w}`);
      sum += w;
      this.cumulative[i] = sum;
    }
    if (!(sum > 0)) throw new RangeError('WeightedSampler needs at least one positive weight');
  }

  /** The index whose share of the total weight contains u * total (u uniform in [0, 1)). */
  sample(u: number): number {
    const mass = u * this.cumulative[this.cumulative.length - 1];
    let lo = 0, hi = this.cumulative.length - 1;
    while (lo < hi) {
      const mid = (lo + hi) >> 1;
      if (this.cumulative[mid] > mass) hi = mid;
      else lo = mid + 1;
    }
    return lo;
  }
}

/**
 * For each window, whether the ball moves at least FAST_BALL_PX between the last context frame and the
 * target (1) or not, or is missing in either (0). Each episode's frames are read once.
 */
export function fastBallWindows(ds: LatentDataset, windows: Window[]): Uint8Array {
  const balls = new Map<number, ({ x: number; y: number } | null)[]>();
  const frame = new Uint8Array(ds.store.read(0, 0).length);
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
