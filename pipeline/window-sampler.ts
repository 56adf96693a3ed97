// Which training windows a batch draws. Uniform draws under-serve three rare events the world model
// gets wrong:
//  - the late game's fast ball: after enough hits the ball moves 10+ px a step, a few percent of the
//    recorded windows but half the steps of a good player's game, and the model learns to smear it;
//  - a digit that changes: a brick's points, or a life gone. About 3% of the windows, and a handful of
//    pixels each, so the model long drew a point scored at a serve, where a life goes instead;
//  - a bounce: the ball turns off the paddle, a wall or the bricks. Free flight is easy (and decoded by
//    rule, pipeline/breakout-decode.ts); where it turns is where the model still draws it wrong.
// Weighting those windows (`fastBallWeight`, `scoreChangeWeight`, `bounceWeight` in
// pipeline/train-latent.ts) draws them that many times as often.
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
  /** 1 where the ball, seen in the target and the two frames before it, reverses its x or y direction in the step. */
  bounce: Uint8Array;
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
  const bounce = new Uint8Array(windows.length);
  const turns = (a: number, b: number, c: number) => (b - a) * (c - b) < 0;
  windows.forEach((w, i) => {
    const { balls, bandChanged } = of(w.episode);
    const before = balls[w.target - 2], from = balls[w.target - 1], to = balls[w.target];
    fastBall[i] = from && to && Math.max(Math.abs(to.x - from.x), Math.abs(to.y - from.y)) >= FAST_BALL_PX ? 1 : 0;
    scoreChange[i] = bandChanged[w.target];
    bounce[i] = before && from && to && (turns(before.x, from.x, to.x) || turns(before.y, from.y, to.y)) ? 1 : 0;
  });
  return { fastBall, scoreChange, bounce };
}

export type WindowWeights = Record<keyof WindowEvents, number>;

/**
 * A sum tree over `windows` (draw one with `tree.find(u * tree.total)`) in which a window weighs the
 * product of the weights of its events (1 with none); with the number of windows that have each event.
 */
export function weightedWindowTree(
  ds: LatentDataset, windows: Window[], weights: WindowWeights,
): { tree: SumTree; counts: WindowWeights } {
  const ev = windowEvents(ds, windows);
  const kinds = Object.keys(weights) as (keyof WindowEvents)[];
  const tree = new SumTree(windows.length);
  windows.forEach((_, i) => tree.set(i, kinds.reduce((w, k) => w * (ev[k][i] ? weights[k] : 1), 1)));
  const counts = Object.fromEntries(kinds.map((k) => [k, ev[k].reduce((s, f) => s + f, 0)])) as WindowWeights;
  return { tree, counts };
}
