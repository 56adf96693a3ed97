// The world model's yardstick (issue 6), on 210x160x3 RGB frames. Pure functions, no tensors.
//  - PSNR over the whole frame, capped at 60 dB (identical frames score 60, not infinity);
//  - the same for the copy-the-last-frame baseline;
//  - dynamic-pixel accuracy: among pixels that change against the last context frame (in the truth or
//    in the prediction), the share the prediction gets right; a pixel matches when every channel is
//    within 24. Copying the last frame scores 0, a perfect prediction 1;
//  - paddle x and ball position errors, from the red (200,72,72) pixels in rows 189-192 (paddle) and
//    93-188 (ball), inside the side walls (columns 8-151);
//  - ΔtPSNR (Genie's controllability): PSNR at t=4 with the true codes minus PSNR with random codes.
import { FRAME_HEIGHT, FRAME_PIXELS, FRAME_WIDTH, RED_CLASS } from './frame-classes';

export const PSNR_CAP_DB = 60;
export const PIXEL_TOLERANCE = 24;
export const BALL_NEAR_PX = 4;
const WALL_LEFT_END = 8; // first column inside the left wall
const WALL_RIGHT_START = 152; // first column of the right wall
const PADDLE_ROWS: readonly [number, number] = [189, 192];
export const BALL_ROWS: readonly [number, number] = [93, 188];
const RED = [200, 72, 72] as const;

function checkFrame(name: string, f: Uint8Array): void {
  if (f.length !== FRAME_HEIGHT * FRAME_WIDTH * 3) {
    throw new Error(`${name}: expected a ${FRAME_WIDTH}x${FRAME_HEIGHT} RGB frame (${FRAME_HEIGHT * FRAME_WIDTH * 3} bytes), got ${f.length}`);
  }
}

/** PSNR in dB over all bytes of two RGB frames, capped at 60 dB. */
export function psnr(pred: Uint8Array, truth: Uint8Array): number {
  if (pred.length !== truth.length) throw new Error(`psnr: length ${pred.length} vs ${truth.length}`);
  let se = 0;
  for (let i = 0; i < pred.length; i++) { const d = pred[i] - truth[i]; se += d * d; }
  if (se === 0) return PSNR_CAP_DB;
  const mse = se / pred.length;
  return Math.min(PSNR_CAP_DB, 10 * Math.log10((255 * 255) / mse));
}

function pixelMatches(a: Uint8Array, b: Uint8Array, i: number): boolean {
  return Math.abs(a[i] - b[i]) <= PIXEL_TOLERANCE && Math.abs(a[i + 1] - b[i + 1]) <= PIXEL_TOLERANCE
    && Math.abs(a[i + 2] - b[i + 2]) <= PIXEL_TOLERANCE;
}

/** Pixels that change against `last` in the truth or the prediction, and how many of them the prediction gets right. */
export function dynamicPixels(pred: Uint8Array, truth: Uint8Array, last: Uint8Array): { correct: number; total: number } {
  checkFrame('pred', pred); checkFrame('truth', truth); checkFrame('last', last);
  let correct = 0, total = 0;
  for (let i = 0; i < truth.length; i += 3) {
    if (pixelMatches(truth, last, i) && pixelMatches(pred, last, i)) continue;
    total++;
    if (pixelMatches(pred, truth, i)) correct++;
  }
  return { correct, total };
}

/** Dynamic-pixel accuracy, or null when nothing changes in either frame (no pixel to judge). */
export function dynamicAccuracy(pred: Uint8Array, truth: Uint8Array, last: Uint8Array): number | null {
  const { correct, total } = dynamicPixels(pred, truth, last);
  return total === 0 ? null : correct / total;
}

function isRed(f: Uint8Array, y: number, x: number): boolean {
  const i = (y * FRAME_WIDTH + x) * 3;
  return f[i] === RED[0] && f[i + 1] === RED[1] && f[i + 2] === RED[2];
}

/** Paddle centre x (mean column of its red pixels in rows 189-192 inside the walls), or null if absent. */
export function findPaddleX(f: Uint8Array): number | null {
  checkFrame('frame', f);
  let sum = 0, n = 0;
  for (let y = PADDLE_ROWS[0]; y <= PADDLE_ROWS[1]; y++) {
    for (let x = WALL_LEFT_END; x < WALL_RIGHT_START; x++) if (isRed(f, y, x)) { sum += x; n++; }
  }
  return n === 0 ? null : sum / n;
}

/** Ball centre {x, y} (centroid of red pixels in rows 93-188 inside the walls), or null if absent. */
export function findBall(f: Uint8Array): { x: number; y: number } | null {
  checkFrame('frame', f);
  return ballCentre((y, x) => isRed(f, y, x));
}

/** findBall on a class frame (pipeline/frame-classes.ts): no RGB conversion, for scanning whole recordings. */
export function findBallInClasses(f: Uint8Array): { x: number; y: number } | null {
  if (f.length !== FRAME_PIXELS) throw new Error(`class frame: expected ${FRAME_PIXELS} bytes, got ${f.length}`);
  return ballCentre((y, x) => f[y * FRAME_WIDTH + x] === RED_CLASS);
}

function ballCentre(isRedAt: (y: number, x: number) => boolean): { x: number; y: number } | null {
  let sx = 0, sy = 0, n = 0;
  for (let y = BALL_ROWS[0]; y <= BALL_ROWS[1]; y++) {
    for (let x = WALL_LEFT_END; x < WALL_RIGHT_START; x++) if (isRedAt(y, x)) { sx += x; sy += y; n++; }
  }
  return n === 0 ? null : { x: sx / n, y: sy / n };
}

/** Every per-frame figure for one predicted frame against the truth and the last real context frame. */
export interface FrameScores {
  psnr: number;
  copyPsnr: number;
  dynamicCorrect: number;
  dynamicTotal: number;
  /** |pred - truth| paddle x; null when the truth has no paddle; 160 when the prediction lost it. */
  paddleError: number | null;
  /** Distance between ball centres when both have a ball, else null. */
  ballError: number | null;
  /** Whether the ball is in the truth or the prediction (frames where neither has one are not judged). */
  ballJudged: boolean;
  /** Both have a ball and the centres are within 4 px. */
  ballNear: boolean;
}

export function scoreFrame(pred: Uint8Array, truth: Uint8Array, last: Uint8Array): FrameScores {
  const dyn = dynamicPixels(pred, truth, last);
  const pt = findPaddleX(truth), pp = findPaddleX(pred);
  const bt = findBall(truth), bp = findBall(pred);
  const ballError = bt && bp ? Math.hypot(bt.x - bp.x, bt.y - bp.y) : null;
  return {
    psnr: psnr(pred, truth),
    copyPsnr: psnr(last, truth),
    dynamicCorrect: dyn.correct,
    dynamicTotal: dyn.total,
    paddleError: pt === null ? null : pp === null ? FRAME_WIDTH : Math.abs(pt - pp),
    ballError,
    ballJudged: bt !== null || bp !== null,
    ballNear: ballError !== null && ballError <= BALL_NEAR_PX,
  };
}

/** Means over the frames of one horizon (one frame per start). */
export interface HorizonSummary {
  horizon: number;
  frames: number;
  psnr: number;
  copyPsnr: number;
  /** Mean of per-frame dynamic accuracy over frames with at least one dynamic pixel. */
  dynamicAccuracy: number | null;
  paddleErrorMean: number | null;
  paddleErrorMedian: number | null;
  ballErrorMean: number | null;
  /** Share of judged frames (ball in truth or prediction) with the ball within 4 px. */
  ballWithin4: number | null;
  ballJudgedFrames: number;
}

function mean(xs: number[]): number | null {
  return xs.length === 0 ? null : xs.reduce((a, b) => a + b, 0) / xs.length;
}

export function median(xs: number[]): number | null {
  if (xs.length === 0) return null;
  const s = [...xs].sort((a, b) => a - b);
  const m = s.length >> 1;
  return s.length % 2 ? s[m] : (s[m - 1] + s[m]) / 2;
}

export function summarizeHorizon(horizon: number, scores: FrameScores[]): HorizonSummary {
  const dyn = scores.filter((s) => s.dynamicTotal > 0).map((s) => s.dynamicCorrect / s.dynamicTotal);
  const paddle = scores.map((s) => s.paddleError).filter((e): e is number => e !== null);
  const ball = scores.map((s) => s.ballError).filter((e): e is number => e !== null);
  const judged = scores.filter((s) => s.ballJudged);
  return {
    horizon,
    frames: scores.length,
    psnr: mean(scores.map((s) => s.psnr)) ?? NaN,
    copyPsnr: mean(scores.map((s) => s.copyPsnr)) ?? NaN,
    dynamicAccuracy: mean(dyn),
    paddleErrorMean: mean(paddle),
    paddleErrorMedian: median(paddle),
    ballErrorMean: mean(ball),
    ballWithin4: judged.length === 0 ? null : judged.filter((s) => s.ballNear).length / judged.length,
    ballJudgedFrames: judged.length,
  };
}

/** Genie's ΔtPSNR: mean over starts of PSNR(true codes) - PSNR(random codes) at the same step. */
export function deltaTPsnr(truePsnr: number[], randomPsnr: number[]): number | null {
  if (truePsnr.length !== randomPsnr.length) throw new Error('deltaTPsnr: lists differ in length');
  return mean(truePsnr.map((p, i) => p - randomPsnr[i]));
}
