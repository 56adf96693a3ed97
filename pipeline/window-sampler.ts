// Which training windows a batch draws. Uniform draws under-serve two rare events the world model
// gets wrong:
//  - the late game's fast ball: after enough hits the ball moves 10+ px a step, a few percent of the
//    recorded windows but half the steps of a good player's game, and the model learns to smear it;
//  - a digit that changes: a brick's points, or a life gone. About 3% of the windows, and a handful of
//    pixels each, so the model long drew a point scored at a serve, where a life goes instead.
// Weighting those windows (`fastBallWeight`, `scoreChangeWeight` in pipeline/train-latent.ts) draws
// them that many times as often.
import { SCORE_ROWS } from './breakout-decode';
import { FRAME_PIXELS, FRAME_WIDTH } from './frame-classes';
import type { LatentDataset, Window } from './latent-dataset';
import { SumTree } from './sum-tree';
import { findBallInClasses } from './world-model-metrics';

/** A ball that moves at least this many pixels (rows or columns) in one step is a fast one. */
export const FAST_BALL_PX = 10;

export interface WindowEvents {
  /** 1 where the ball moves at least FAST_BALL_PX between the last context frame and the target (0 too when it is missing in either). */
  fastBall: Uint8Array;
  /** 1 where the score band (score and lives digits) differs between the last context frame and the target. */
  scoreChange: Uint8Array;
}

/** The events of each window (see WindowEvents). Each episode's frames are read once. */
export function windowEvents(ds: LatentDataset, windows: Window[]): WindowEvents {
  // Per episode: each frame's ball, and whether its score band differs from the frame before's.
  const perEpisode = new Map<number, { balls: ({ x: number; y: number } | null)[]; bandChanged: Uint8Array }>();
  const frame = new Uint8Array(FRAME_PIXELS);
  const before = new Uint8Array(SCORE_ROWS * FRAME_WIDTH);
  const of = (e: number) => {
    let p = perEpisode.get(e);
    if (!p) {
      const n = ds.episodes[e].frames;
      p = { balls: [], bandChanged: new Uint8Array(n) };
      for (let k = 0; k < n; k++) {
        ds.store.read(e, k, frame);
        p.balls.push(findBallInClasses(frame));
        if (k > 0) p.bandChanged[k] = before.some((v, i) => v !== frame[i]) ? 1 : 0;
        before.set(frame.subarray(0, before.length));
      }
      perEpisode.set(e, p);
    }
    return p;
  };
  const fastBall = new Uint8Array(windows.length);
  const scoreChange = new Uint8Array(windows.length);
  windows.forEach((w, i) => {
    const { balls, bandChanged } = of(w.episode);
    const from = balls[w.target - 1], to = balls[w.target];
    fastBall[i] = from && to && Math.max(Math.abs(to.x - from.x), Math.abs(to.y - from.y)) >= FAST_BALL_PX ? 1 : 0;
    scoreChange[i] = bandChanged[w.target];
  });
  return { fastBall, scoreChange };
}

/**
 * A sum tree over `windows` (draw one with `tree.find(u * tree.total)`) in which a window weighs
 * `fastBall` if its ball is fast, times `scoreChange` if a digit changes, else 1; with the counts of each.
 */
export function weightedWindowTree(
  ds: LatentDataset, windows: Window[], weights: { fastBall: number; scoreChange: number },
): { tree: SumTree; fastBall: number; scoreChange: number } {
  const ev = windowEvents(ds, windows);
  const tree = new SumTree(windows.length);
  windows.forEach((_, i) => tree.set(i, (ev.fastBall[i] ? weights.fastBall : 1) * (ev.scoreChange[i] ? weights.scoreChange : 1)));
  const count = (a: Uint8Array) => a.reduce((s, f) => s + f, 0);
  return { tree, fastBall: count(ev.fastBall), scoreChange: count(ev.scoreChange) };
}
