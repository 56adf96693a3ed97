// The paddle head: a small MLP that says where the paddle goes next, from the latent code and the
// paddle's last places. The game moves the paddle by a hidden knob (ALE turns a paddle resistance a
// fixed amount a frame) that shows only as whole pixels, a frame late, and clamped at the walls; so a
// step's travel after a given code varies by a pixel or two with where the knob sits between pixels,
// which the last steps' travel tells. The world model's decoder often misses by that pixel or two
// (README, "The paddle head"); a table keyed by the last two steps' travel and the action already names
// 96% of the recorded steps. So the decoder's frame is drawn with the paddle where this head puts it.
//
// Inference is plain JavaScript (models/plain-mlp.ts); training (pipeline/train-paddle-head.ts) uses tfjs.
import type * as tf from '@tensorflow/tfjs';
import { lastPaddle, PADDLE_X, type PaddlePredictor } from '../pipeline/breakout-decode';
import { buildMlp, PlainMlp } from './plain-mlp';

export const PADDLE_HEAD_KIND = 'paddle-head';

/** The travel of the paddle's left edge in one step the head can predict, and the travel it reads (recorded games: at most 27 px). */
export const MAX_TRAVEL = 32;
export const TRAVEL_CLASSES = 2 * MAX_TRAVEL + 1;
const LEFT_EDGES = PADDLE_X[1] - PADDLE_X[0] + 1;

export interface PaddleHeadConfig {
  /** The world model's codebook size (the code is an input, one-hot). */
  codes: number;
  hidden: number[];
}

export const DEFAULT_PADDLE_HEAD_CONFIG: PaddleHeadConfig = { codes: 8, hidden: [128, 128] };

/** Inputs: the code, the last left edge, the last two steps' travel (each one-hot, with a flag where it is unknown), a shrunk paddle. */
export function paddleFeatureSize(cfg: Pick<PaddleHeadConfig, 'codes'>): number {
  return cfg.codes + LEFT_EDGES + 2 * (TRAVEL_CLASSES + 1) + 1;
}

/**
 * The features of a paddle step: `context` the K >= 1 context frames (class frames, oldest first), `code` the
 * transition's latent code. Null when the last context frame shows no paddle (nothing to go on).
 */
export function paddleFeatures(cfg: Pick<PaddleHeadConfig, 'codes'>, context: readonly Uint8Array[], code: number): Float32Array | null {
  const n = context.length;
  const [a, b, c] = [n >= 3 ? lastPaddle(context[n - 3]) : null, n >= 2 ? lastPaddle(context[n - 2]) : null, lastPaddle(context[n - 1])];
  if (c === null) return null;
  const f = new Float32Array(paddleFeatureSize(cfg));
  let i = 0;
  if (code >= 0 && code < cfg.codes) f[i + code] = 1;
  i += cfg.codes;
  f[i + c.left - PADDLE_X[0]] = 1;
  i += LEFT_EDGES;
  for (const [from, to] of [[b, c], [a, b]] as const) {
    const travel = from && to ? to.left - from.left : null;
    if (travel !== null && Math.abs(travel) <= MAX_TRAVEL) f[i + travel + MAX_TRAVEL] = 1;
    else f[i + TRAVEL_CLASSES] = 1;
    i += TRAVEL_CLASSES + 1;
  }
  f[i] = c.width < 16 ? 1 : 0;
  return f;
}

/** The travel class of a step from left edge `from` to `to`, or null when it is beyond what the head predicts. */
export function travelClass(from: number, to: number): number | null {
  const d = to - from;
  return Math.abs(d) > MAX_TRAVEL ? null : d + MAX_TRAVEL;
}

export function buildPaddleHeadModel(cfg: PaddleHeadConfig, seed = 0): tf.LayersModel {
  return buildMlp(paddleFeatureSize(cfg), cfg.hidden, TRAVEL_CLASSES, seed, 'travel');
}

/** The trained head, run in plain JavaScript. */
export class PaddleHead implements PaddlePredictor {
  private constructor(readonly config: Pick<PaddleHeadConfig, 'codes'>, private readonly mlp: PlainMlp) {}

  /** From the trained network (buildPaddleHeadModel's layers, as saved in the checkpoint) and its config. */
  static fromModel(model: tf.LayersModel, cfg: Pick<PaddleHeadConfig, 'codes'>): PaddleHead {
    return new PaddleHead(cfg, PlainMlp.fromModel(model, paddleFeatureSize(cfg), TRAVEL_CLASSES, 'paddle head'));
  }

  logits(features: Float32Array): Float32Array {
    return this.mlp.logits(features);
  }

  /** The paddle's most likely next left edge after `context` for `code`, or null when the last frame shows none. */
  next(context: readonly Uint8Array[], code: number): number | null {
    const f = paddleFeatures(this.config, context, code);
    if (f === null) return null;
    const out = this.logits(f);
    let best = 0;
    for (let j = 1; j < out.length; j++) if (out[j] > out[best]) best = j;
    return lastPaddle(context[context.length - 1])!.left + best - MAX_TRAVEL;
  }
}
