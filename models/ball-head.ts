// The ball head: a small MLP that says where the ball goes next, from what the context frames show of
// it (its last places, the paddle, the bricks around it). The world model's decoder draws the ball
// well in free flight, where its motion decides the next place (pipeline/breakout-decode.ts,
// ballFlight), but at a bounce off the paddle, a wall or a brick it is often of two minds, and the
// wrong mind wins. Yet the context decides the bounce: in the recorded games, of the ball steps whose
// context (ball places, paddle places) was seen more than once, 100.0% land within 4 px of that
// context's most common next place (99.9% of those the flight does not decide; README). So the
// decoder's frame is drawn with the ball on this head's place where the decoder gives that place any
// probability at all, and with none where the head says the ball is gone. The head follows the ball
// among the bricks too, where the game draws it in the row's colour (visibleBall), so a ball that goes
// up into the bricks comes back out.
//
// Inference is plain JavaScript (models/plain-mlp.ts; 0.13 M multiply-adds a frame); training
// (pipeline/train-ball-head.ts) uses tfjs.
import type * as tf from '@tensorflow/tfjs';
import {
  BALL_H, BALL_W, type BallPlace, BRICK_BAND, BRICK_COLS, BRICK_H, BRICK_LEFT, BRICK_ROWS, BRICK_W, brickCell, brickCells, FIELD_BANDS, FIELD_X, lastPaddle,
} from '../pipeline/breakout-decode';
import { FRAME_WIDTH } from '../pipeline/frame-classes';
import { buildMlp, PlainMlp } from './plain-mlp';

export const BALL_HEAD_KIND = 'ball-head';

/** The step the head can predict: dx in [-MAX_DX, MAX_DX], dy in [-MAX_DY, MAX_DY] (a late game's fast ball moves 8 by 14). */
export const MAX_DX = 20;
export const MAX_DY = 24;
/** The network's outputs: logits of dx, of dy, and of [a ball next frame, none] (hidden inside a brick, or out at the bottom). */
export const DX_CLASSES = 2 * MAX_DX + 1;
export const DY_CLASSES = 2 * MAX_DY + 1;
export const BALL_OUTPUTS = DX_CLASSES + DY_CLASSES + 2;

/** Brick rows (57-92, six of 6 px) and columns (18 of 8 px from x = 8), as pipeline/breakout-decode.ts has them. */
const BRICK_TOP = BRICK_BAND[0];
/** Brick columns seen on each side of the ball's. */
const PATCH_HALF = 3;
const PATCH_COLS = 2 * PATCH_HALF + 1;

/** Rows just above the paddle, one-hot: whether a fast ball meets the paddle in a step is a matter of single pixels. */
const NEAR_PADDLE_Y: readonly [number, number] = [160, 188];
/** The last vertical step, one-hot (a fast ball moves 13 and 14 in turn, and the next step follows from which). */
const MAX_ONE_HOT_VY = 16;
/** The game moves the ball once a frame, four frames a step: the straight path is checked at each. */
const PATH_FRAMES = 4;
/** What the path may meet at each frame: a brick, a side wall, the top wall. */
const PATH_CONTACTS = 3;

/**
 * Inputs: ball place (2), last two velocities (4), whether the older is missing (1) and whether the last
 * spans two steps (1), paddle at b, c and target relative to the ball with missing flags (6), shrunk
 * paddle (1), x phase among brick columns (8), y phase among brick rows (6), row near the paddle and
 * last vertical step one-hot, what the straight path meets (pathContacts), brick patch.
 */
export const BALL_FEATURES =
  2 + 4 + 1 + 1 + 6 + 1 + BRICK_W + BRICK_H + (NEAR_PADDLE_Y[1] - NEAR_PADDLE_Y[0] + 1) + (2 * MAX_ONE_HOT_VY + 1) + PATH_FRAMES * PATH_CONTACTS + BRICK_ROWS * PATCH_COLS;

export interface BallHeadConfig {
  hidden: number[];
}

export const DEFAULT_BALL_HEAD_CONFIG: BallHeadConfig = { hidden: [256, 256] };

/**
 * The features of a ball step: `context` the K >= 2 context frames (oldest first, class frames),
 * `balls` their balls (visibleBall, null where none), `targetPaddle` the paddle's left edge in the frame being predicted (null if none).
 * Null when the last context frame has no ball, or neither of the two before it has one (a serve: nothing
 * to go on). A ball missing from the middle frame (hidden a frame as it meets the paddle, or among the
 * bricks) leaves the last step spanning two frames, and a flag says so.
 */
export function ballFeatures(context: readonly Uint8Array[], balls: readonly (BallPlace | null)[], targetPaddle: number | null): Float32Array | null {
  const n = context.length;
  const [a, b0, c] = [balls[n - 3] ?? null, balls[n - 2] ?? null, balls[n - 1] ?? null];
  const b = b0 ?? a;
  if (c === null || b === null) return null;
  const twoSteps = b0 === null;
  const f = new Float32Array(BALL_FEATURES);
  let i = 0;
  f[i++] = c.x / 160; f[i++] = c.y / 210;
  f[i++] = (c.x - b.x) / 16; f[i++] = (c.y - b.y) / 16;
  const older = twoSteps ? null : a;
  f[i++] = older ? (b.x - older.x) / 16 : 0; f[i++] = older ? (b.y - older.y) / 16 : 0; f[i++] = older ? 0 : 1;
  f[i++] = twoSteps ? 1 : 0;
  const last = lastPaddle(context[n - 1]);
  for (const left of [lastPaddle(context[n - 2])?.left ?? null, last?.left ?? null, targetPaddle]) {
    f[i++] = left === null ? 0 : (left - c.x) / 64;
    f[i++] = left === null ? 1 : 0;
  }
  f[i++] = last !== null && last.width < 16 ? 1 : 0;
  f[i + (((c.x - BRICK_LEFT) % BRICK_W) + BRICK_W) % BRICK_W] = 1; i += BRICK_W;
  f[i + (((c.y - BRICK_TOP) % BRICK_H) + BRICK_H) % BRICK_H] = 1; i += BRICK_H;
  if (c.y >= NEAR_PADDLE_Y[0] && c.y <= NEAR_PADDLE_Y[1]) f[i + c.y - NEAR_PADDLE_Y[0]] = 1;
  i += NEAR_PADDLE_Y[1] - NEAR_PADDLE_Y[0] + 1;
  if (!twoSteps && Math.abs(c.y - b.y) <= MAX_ONE_HOT_VY) f[i + c.y - b.y + MAX_ONE_HOT_VY] = 1;
  i += 2 * MAX_ONE_HOT_VY + 1;
  const frame = context[n - 1];
  const span = twoSteps ? 2 : 1;
  pathContacts(c, (c.x - b.x) / span, (c.y - b.y) / span, brickCells(frame), f, i);
  i += PATH_FRAMES * PATH_CONTACTS;
  const col0 = Math.floor((c.x - BRICK_LEFT) / BRICK_W) - PATCH_HALF;
  for (let r = 0; r < BRICK_ROWS; r++) {
    const y = BRICK_TOP + r * BRICK_H + BRICK_H / 2;
    for (let k = 0; k < PATCH_COLS; k++) {
      const col = col0 + k;
      // Beyond the side walls counts as solid: the ball turns there as at a brick.
      f[i++] = col < 0 || col >= BRICK_COLS ? 1 : frame[y * FRAME_WIDTH + BRICK_LEFT + col * BRICK_W + BRICK_W / 2] !== 0 ? 1 : 0;
    }
  }
  return f;
}

/**
 * What the ball's 2x4 box would meet if it flew straight on for a step at velocity (vx, vy): at each of
 * the step's frames, 1 for a brick under it (brickCells), beyond a side wall, above the top wall; written
 * to `out` from `at`. The brick patch holds the same bricks, but a fast ball's bounce turns on which cell
 * its box enters in which frame, a product of its phase, its velocity and the patch that the network
 * learnt only roughly from the few late-game steps (README).
 */
export function pathContacts(c: BallPlace, vx: number, vy: number, cells: Uint8Array, out: Float32Array, at: number): void {
  for (let k = 1; k <= PATH_FRAMES; k++) {
    const x = Math.round(c.x + (vx * k) / PATH_FRAMES), y = Math.round(c.y + (vy * k) / PATH_FRAMES);
    const o = at + (k - 1) * PATH_CONTACTS;
    for (const py of [y, y + BALL_H - 1]) {
      if (py < BRICK_BAND[0] || py > BRICK_BAND[1]) continue;
      for (const px of [x, x + BALL_W - 1]) {
        if (px >= FIELD_X[0] && px <= FIELD_X[1] && cells[brickCell(px, py)]) out[o] = 1;
      }
    }
    if (x < FIELD_X[0] || x + BALL_W - 1 > FIELD_X[1]) out[o + 1] = 1;
    if (y < FIELD_BANDS[0][0]) out[o + 2] = 1;
  }
}

/** The class indices of a step (dx, dy), or null when it is beyond what the head predicts. */
export function stepClasses(from: BallPlace, to: BallPlace): { dx: number; dy: number } | null {
  const dx = to.x - from.x, dy = to.y - from.y;
  if (Math.abs(dx) > MAX_DX || Math.abs(dy) > MAX_DY) return null;
  return { dx: dx + MAX_DX, dy: dy + MAX_DY };
}

/** The training network: hidden ReLU layers, then the logits of the three softmaxes (dx, dy, gone) as one output; `seed` fixes the initial weights. */
export function buildBallHeadModel(cfg: BallHeadConfig, seed = 0): tf.LayersModel {
  return buildMlp(BALL_FEATURES, cfg.hidden, BALL_OUTPUTS, seed, 'steps');
}

/** The trained head, run in plain JavaScript. */
export class BallHead {
  private constructor(private readonly mlp: PlainMlp) {}

  /** From the trained network (buildBallHeadModel's layers, as saved in the checkpoint). */
  static fromModel(model: tf.LayersModel): BallHead {
    return new BallHead(PlainMlp.fromModel(model, BALL_FEATURES, BALL_OUTPUTS, 'ball head'));
  }

  /** The output logits for one feature vector. */
  logits(features: Float32Array): Float32Array {
    return this.mlp.logits(features);
  }

  /** The ball's most likely next place after `context` (see ballFeatures), 'gone' when it shows no red ball next, or null when there is nothing to go on. */
  next(context: readonly Uint8Array[], balls: readonly (BallPlace | null)[], targetPaddle: number | null): BallPlace | 'gone' | null {
    const f = ballFeatures(context, balls, targetPaddle);
    if (f === null) return null;
    const step = readStep(this.logits(f));
    if (step === 'gone') return 'gone';
    const c = balls[balls.length - 1]!;
    return { x: c.x + step.dx - MAX_DX, y: c.y + step.dy - MAX_DY };
  }
}

/** The most likely step classes (as stepClasses labels them) of the network's outputs, or 'gone'. */
export function readStep(out: ArrayLike<number>): { dx: number; dy: number } | 'gone' {
  const g = DX_CLASSES + DY_CLASSES;
  if (out[g + 1] > out[g]) return 'gone';
  const argmax = (from: number, len: number) => { let best = from; for (let j = from + 1; j < from + len; j++) if (out[j] > out[best]) best = j; return best - from; };
  return { dx: argmax(0, DX_CLASSES), dy: argmax(DX_CLASSES, DY_CLASSES) };
}
