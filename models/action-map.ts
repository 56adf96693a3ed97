// The action map (stage 4): a small MLP from a real action (one-hot over Breakout's minimal set), and
// optionally a few features of the current frames, to a distribution over the latent action model's
// codes. Browser-safe (TensorFlow.js only): the web player, the terminal player and the evaluation
// all load it through here.
//
// Why frame features: the latent code says what *happened*, and the same action can do different
// things: LEFT against the left wall moves nothing (it looks like NOOP), FIRE with the ball in play
// does nothing. The paddle and ball positions tell the map which case it is in. And some things
// happen a fixed while after something the context frames no longer show: a lost ball's life goes
// 8 steps after the ball left, and only from then does FIRE serve the next one. The ball clock
// (steps since the ball was last seen) carries that.
import * as tf from '@tensorflow/tfjs';
import { fetchCheckpointIndex, fetchModel, type CheckpointMeta } from './checkpoint-io';

export const ACTION_MAP_KIND = 'action-map';

/**
 * From a real action to a distribution over latent codes: what the evaluation and the players ask of
 * an action map. `action` indexes the minimal action set (0 NOOP, 1 FIRE, 2 RIGHT, 3 LEFT), `context`
 * holds the current class frames (oldest first), `previous` the actions taken before it in this
 * episode (oldest first, indices), when known, and `ballClock` the ball clock (ballClockAfter).
 */
export interface ActionToCode {
  readonly codebookSize: number;
  codeProbabilities(action: number, context: readonly Uint8Array[], previous?: ArrayLike<number> | null, ballClock?: number): ArrayLike<number>;
}

/** A fixed action -> code-probabilities table (a hand-made stand-in, or a table fitted to code counts). */
export class TableActionMap implements ActionToCode {
  readonly codebookSize: number;
  constructor(readonly table: readonly (readonly number[])[]) {
    this.codebookSize = table[0]?.length ?? 0;
    if (table.length === 0 || table.some((row) => row.length !== this.codebookSize)) throw new Error('action map table: rows missing or of different lengths');
  }
  codeProbabilities(action: number): ArrayLike<number> {
    const row = this.table[action];
    if (!row) throw new RangeError(`action map table: no row for action ${action}`);
    return row;
  }
}

/** The `codeTable` of an action-map checkpoint's meta as a TableActionMap; throws an Error naming `where`. */
export function tableActionMapFromMeta(meta: { kind?: unknown; codeTable?: unknown }, where: string): TableActionMap {
  const table = meta.codeTable;
  if (!Array.isArray(table) || !table.every((row) => Array.isArray(row))) {
    throw new Error(`${where} is not an action map (checkpoint.json kind ${String(meta.kind)}, no config or codeTable)`);
  }
  try {
    return new TableActionMap(table as number[][]);
  } catch (err) {
    throw new Error(`${where}: ${(err as Error).message}`);
  }
}

export interface ActionMapConfig {
  /** Actions of the minimal set (Breakout: NOOP, FIRE, RIGHT, LEFT). */
  numActions: number;
  codebookSize: number;
  /** Use frameFeatures() of the context as extra input (false: the one-hot action alone). */
  frameFeatures: boolean;
  /**
   * Previous actions given as extra one-hot inputs (most recent first; 0 = none). Breakout's paddle
   * lags its controller: how far it moves now depends on what was pressed one and two steps ago,
   * and at a wall on how long the key was held. An unknown history (absent, or the start of a game)
   * is all zeros, which training also shows the map (history dropout).
   */
  history: number;
  /** Give the ball clock (ballClockAfter) as a one-hot extra input. */
  ballClock: boolean;
  /** Hidden layer widths (empty: a linear map, i.e. a learned table). */
  hidden: number[];
}

export const DEFAULT_ACTION_MAP_CONFIG: ActionMapConfig = { numActions: 4, codebookSize: 8, frameFeatures: true, history: 4, ballClock: false, hidden: [64, 64] };

// Breakout's screen in colour-class frames (pipeline/frame-classes.ts, 210x160, one byte per pixel):
// the ball and the paddle are red, class 2 of BREAKOUT_PALETTE (a test checks it against the palette),
// as is the top row of bricks; the other brick rows are classes 3-7.
const WIDTH = 160;
const HEIGHT = 210;
const RED_CLASS = 2;
const PADDLE_ROWS = [189, 192] as const;
/** The ball's rows: from under the top wall to the paddle, through the bricks. */
const BALL_ROWS = [32, 188] as const;
/** The bricks' rows, and those of the red top row, where a red pixel is a brick, not the ball. */
const BRICK_ROWS = [57, 92] as const;
const RED_BRICK_ROWS = [57, 62] as const;
const WALL_LEFT_END = 8;
const WALL_RIGHT_START = 152;

/** Number of values frameFeatures() returns. */
export const FRAME_FEATURES = 15;

interface Objects {
  paddle: { x: number; left: number; right: number } | null;
  ball: { x: number; y: number } | null;
}

function findObjects(f: Uint8Array): Objects {
  if (f.length !== WIDTH * HEIGHT) throw new Error(`action map: a class frame has ${f.length} pixels, expected ${WIDTH}x${HEIGHT}`);
  let sum = 0, n = 0, left = WIDTH, right = -1;
  for (let y = PADDLE_ROWS[0]; y <= PADDLE_ROWS[1]; y++) {
    const row = y * WIDTH;
    for (let x = WALL_LEFT_END; x < WALL_RIGHT_START; x++) {
      if (f[row + x] === RED_CLASS) { sum += x; n++; if (x < left) left = x; if (x > right) right = x; }
    }
  }
  const paddle = n === 0 ? null : { x: sum / n, left, right };
  let sx = 0, sy = 0, m = 0;
  for (let y = BALL_ROWS[0]; y <= BALL_ROWS[1]; y++) {
    if (y >= RED_BRICK_ROWS[0] && y <= RED_BRICK_ROWS[1]) continue;
    const row = y * WIDTH;
    for (let x = WALL_LEFT_END; x < WALL_RIGHT_START; x++) if (f[row + x] === RED_CLASS) { sx += x; sy += y; m++; }
  }
  return { paddle, ball: m === 0 ? null : { x: sx / m, y: sy / m } };
}

const isBrick = (f: Uint8Array, y: number, x: number): boolean => {
  if (y < BRICK_ROWS[0] || y > BRICK_ROWS[1] || x < WALL_LEFT_END || x >= WALL_RIGHT_START) return false;
  const c = f[y * WIDTH + x];
  return y <= RED_BRICK_ROWS[1] ? c === RED_CLASS : c > RED_CLASS;
};

/**
 * The largest share of brick pixels in a ball-sized box (with a pixel's margin) at four points of the
 * ball's path over the next step, if it keeps its velocity: whether it is about to break a brick.
 */
function brickAhead(f: Uint8Array, x: number, y: number, dx: number, dy: number): number {
  let most = 0;
  for (const t of [0.25, 0.5, 0.75, 1]) {
    const cx = Math.round(x + t * dx), cy = Math.round(y + t * dy);
    let bricks = 0;
    for (let yy = cy - 3; yy <= cy + 3; yy++) for (let xx = cx - 2; xx <= cx + 2; xx++) if (isBrick(f, yy, xx)) bricks++;
    most = Math.max(most, bricks / 35);
  }
  return most;
}

/** How much brick went between two frames: the share of one brick's 48 pixels, capped at 1. */
function brickGone(before: Uint8Array, now: Uint8Array): number {
  let gone = 0;
  for (let y = BRICK_ROWS[0]; y <= BRICK_ROWS[1]; y++) for (let x = WALL_LEFT_END; x < WALL_RIGHT_START; x++) if (isBrick(before, y, x) && !isBrick(now, y, x)) gone++;
  return Math.min(1, gone / 48);
}

/**
 * A few numbers about the current screen (the last context frame) and its motion (against the one
 * before), each scaled to about [-1, 1]: paddle present, x, room to the left and right walls (capped
 * at 16 px), width, dx; ball present, x, y, dx, dy; whether the paddle moved at all; whether the ball
 * is about to hit a brick (the code also tells when a brick breaks); whether the ball is hidden (gone
 * since the frame before, into the bricks, where the screen does not always show it: x and y are
 * then where it was last seen); whether a brick broke since the frame before (its point may show a step
 * later).
 */
export function frameFeatures(context: readonly Uint8Array[], out: Float32Array = new Float32Array(FRAME_FEATURES)): Float32Array {
  if (context.length === 0) throw new Error('action map: frame features need at least one context frame');
  const last = context[context.length - 1];
  const now = findObjects(last);
  const before = context.length > 1 ? findObjects(context[context.length - 2]) : now;
  const p = now.paddle, b = now.ball, pb = before.paddle, bb = before.ball;
  const span = WALL_RIGHT_START - WALL_LEFT_END;
  out.fill(0);
  if (p) {
    out[0] = 1;
    out[1] = (p.x - WALL_LEFT_END) / span;
    out[2] = Math.min(p.left - WALL_LEFT_END, 16) / 16;
    out[3] = Math.min(WALL_RIGHT_START - 1 - p.right, 16) / 16;
    out[4] = (p.right - p.left + 1) / 16;
    if (pb) {
      out[5] = Math.max(-1, Math.min(1, (p.x - pb.x) / 16));
      out[11] = p.x !== pb.x ? 1 : 0;
    }
  }
  if (b) {
    out[6] = 1;
    out[7] = (b.x - WALL_LEFT_END) / span;
    out[8] = (b.y - BALL_ROWS[0]) / (BALL_ROWS[1] - BALL_ROWS[0]);
    if (bb) {
      out[9] = Math.max(-1, Math.min(1, (b.x - bb.x) / 16));
      out[10] = Math.max(-1, Math.min(1, (b.y - bb.y) / 16));
      out[12] = brickAhead(last, b.x, b.y, b.x - bb.x, b.y - bb.y);
    }
  } else if (bb) {
    out[7] = (bb.x - WALL_LEFT_END) / span;
    out[8] = (bb.y - BALL_ROWS[0]) / (BALL_ROWS[1] - BALL_ROWS[0]);
    out[13] = 1;
  }
  if (context.length > 1) out[14] = brickGone(context[context.length - 2], last);
  return out;
}

/**
 * The ball clock's top: the lives digit drops on the 8th step without the ball (recorded games), so
 * the clock must count past it. It also stands for "not served yet this game", when FIRE serves at once.
 */
export const BALL_CLOCK_MAX = 12;

/**
 * The ball clock after one more frame: 0 when the frame shows the ball, else one more step without
 * it (capped at BALL_CLOCK_MAX). Start a game at BALL_CLOCK_MAX, or use ballClockOf.
 */
export function ballClockAfter(clock: number, frame: Uint8Array): number {
  return findObjects(frame).ball ? 0 : Math.min(clock + 1, BALL_CLOCK_MAX);
}

/** The ball clock after a game's first frames (oldest first): BALL_CLOCK_MAX while none has shown the ball. */
export const ballClockOf = (frames: readonly Uint8Array[]): number => frames.reduce(ballClockAfter, BALL_CLOCK_MAX);

/** The ball clock from which FIRE serves in the real game: the lost life goes on the 8th step without the ball. */
export const SERVE_CLOCK = 8;
/** Rows where a ball gone for 2+ steps never shows again without FIRE: below the bricks' exits, above the paddle. */
export const SERVE_ONLY_ROWS: readonly [number, number] = [106, 180];
const FIRE = 1;

/**
 * The serve rule: FIRE serves, nothing else does. The encoder names most serves "nothing happened" and
 * the lost life a change of digit, under which the decoder draws a new ball, so the map's code can fail
 * both ways (README, "The serve rule"). When FIRE is pressed with the ball gone for SERVE_CLOCK steps or
 * more, a code must draw a ball; when any other action is taken with the ball gone for 2 steps or more,
 * a code must not draw one in SERVE_ONLY_ROWS (where balls come out of the bricks, it may). If the map's
 * `chosen` code breaks this, play the most likely code (by `probs`) that keeps it; if none does, `chosen`.
 * `ballOf(code)` runs the decoder and finds its ball, so it is asked only as far as needed.
 */
export function serveCode(action: number, clock: number, probs: ArrayLike<number>, chosen: number, ballOf: (code: number) => { y: number } | null): number {
  let allowed: (code: number) => boolean;
  if (action === FIRE && clock >= SERVE_CLOCK) allowed = (c) => ballOf(c) !== null;
  else if (action !== FIRE && clock >= 2) allowed = (c) => { const y = ballOf(c)?.y; return y === undefined || y < SERVE_ONLY_ROWS[0] || y > SERVE_ONLY_ROWS[1]; };
  else return chosen;
  if (allowed(chosen)) return chosen;
  const byProbability = Array.from(probs, (_, c) => c).filter((c) => c !== chosen).sort((a, b) => probs[b] - probs[a] || a - b);
  return byProbability.find(allowed) ?? chosen;
}

export const inputSize = (cfg: ActionMapConfig): number =>
  cfg.numActions * (1 + cfg.history) + (cfg.frameFeatures ? FRAME_FEATURES : 0) + (cfg.ballClock ? BALL_CLOCK_MAX + 1 : 0);

/**
 * Write one input row into `out` at row `row`: the one-hot action, the one-hot previous actions (most
 * recent first; `previous` is oldest first, as taken; missing or negative entries stay zero), the
 * frame features, then the one-hot ball clock (unknown: BALL_CLOCK_MAX, as at a game's start).
 */
export function encodeInput(
  cfg: ActionMapConfig, action: number, context: readonly Uint8Array[] | null, out: Float32Array, row = 0, previous?: ArrayLike<number> | null, ballClock = BALL_CLOCK_MAX,
): void {
  if (cfg.frameFeatures && !context) throw new Error('action map: this map needs the context frames');
  encodeRow(cfg, action, previous ?? null, cfg.frameFeatures ? frameFeatures(context!) : null, out, row, ballClock);
}

/** encodeInput with the frame features already computed (training keeps them per pair). */
export function encodeRow(
  cfg: ActionMapConfig, action: number, previous: ArrayLike<number> | null, features: Float32Array | null, out: Float32Array, row: number, ballClock = BALL_CLOCK_MAX,
): void {
  if (!Number.isInteger(action) || action < 0 || action >= cfg.numActions) throw new RangeError(`action map: action ${action} outside 0..${cfg.numActions - 1}`);
  const n = inputSize(cfg);
  const base = row * n;
  out.fill(0, base, base + n);
  out[base + action] = 1;
  if (previous) {
    for (let j = 0; j < cfg.history && j < previous.length; j++) {
      const a = previous[previous.length - 1 - j];
      if (a >= 0 && a < cfg.numActions) out[base + cfg.numActions * (1 + j) + a] = 1;
    }
  }
  const featuresAt = base + cfg.numActions * (1 + cfg.history);
  if (cfg.frameFeatures && features) out.set(features, featuresAt);
  if (cfg.ballClock) {
    if (!Number.isInteger(ballClock) || ballClock < 0 || ballClock > BALL_CLOCK_MAX) throw new RangeError(`action map: ball clock ${ballClock} outside 0..${BALL_CLOCK_MAX}`);
    out[featuresAt + (cfg.frameFeatures ? FRAME_FEATURES : 0) + ballClock] = 1;
  }
}

/** The MLP: input → hidden ReLU layers → one logit per code (softmax applied by the caller). */
export function buildActionMapModel(cfg: ActionMapConfig, seed = 0): tf.LayersModel {
  if (cfg.codebookSize < 2) throw new Error(`action map: codebookSize ${cfg.codebookSize} < 2`);
  const model = tf.sequential({ name: 'action_map' });
  let first = true;
  cfg.hidden.forEach((units, i) => {
    model.add(tf.layers.dense({
      units, activation: 'relu', name: `fc${i + 1}`,
      kernelInitializer: tf.initializers.heNormal({ seed: seed + i }),
      ...(first ? { inputShape: [inputSize(cfg)] } : {}),
    }));
    first = false;
  });
  model.add(tf.layers.dense({
    units: cfg.codebookSize, name: 'logits',
    kernelInitializer: tf.initializers.glorotUniform({ seed: seed + 100 }),
    ...(first ? { inputShape: [inputSize(cfg)] } : {}),
  }));
  return model;
}

/** Row-wise softmax of logits^(1/T) over a flat [rows, n] array. */
function softmaxRows(logits: Float32Array, n: number): Float32Array {
  const out = new Float32Array(logits.length);
  for (let r = 0; r < logits.length / n; r++) {
    let max = -Infinity, sum = 0;
    for (let i = 0; i < n; i++) max = Math.max(max, logits[r * n + i]);
    for (let i = 0; i < n; i++) { out[r * n + i] = Math.exp(logits[r * n + i] - max); sum += out[r * n + i]; }
    for (let i = 0; i < n; i++) out[r * n + i] /= sum;
  }
  return out;
}

/**
 * One input row through a stack of dense layers (ReLU between, linear on top) in plain JS: a player
 * asks for one row per frame, and model.predict's fixed cost (~0.8 ms) is far more than the maths.
 * The weights are read on each call, so a map still in training answers with its current ones.
 */
function denseForward(model: tf.LayersModel, x: Float32Array): Float32Array {
  let h = x;
  model.layers.forEach((layer, i) => {
    const [kernel, bias] = layer.getWeights().map((w) => w.dataSync() as Float32Array);
    const out = Float32Array.from(bias);
    const n = out.length;
    for (let j = 0; j < h.length; j++) {
      const v = h[j];
      if (v === 0) continue; // the one-hot inputs are mostly zeros
      for (let o = 0, k = j * n; o < n; o++, k++) out[o] += v * kernel[k];
    }
    if (i < model.layers.length - 1) for (let o = 0; o < n; o++) out[o] = Math.max(0, out[o]);
    h = out;
  });
  return h;
}

/**
 * A trained action map (an ActionToCode). Action-only maps answer from a table
 * computed once (no model call per step).
 */
export class ActionMap implements ActionToCode {
  readonly codebookSize: number;
  private readonly table: Float32Array[] | null;
  private readonly input: Float32Array;
  /** Whether single rows can go through denseForward (a stack of ReLU dense layers, linear on top). */
  private readonly plainDense: boolean;

  constructor(readonly config: ActionMapConfig, readonly model: tf.LayersModel) {
    this.codebookSize = config.codebookSize;
    const out = model.outputs[0].shape[1];
    const inp = model.inputs[0].shape[1];
    if (out !== config.codebookSize) throw new Error(`action map: the network has ${out} outputs, the config says ${config.codebookSize} codes`);
    if (inp !== inputSize(config)) throw new Error(`action map: the network takes ${inp} inputs, the config implies ${inputSize(config)} (made by another version? collect the pairs and train it again)`);
    this.input = new Float32Array(inputSize(config));
    this.plainDense = model.layers.every((l, i) => {
      const { activation } = l.getConfig() as { activation?: string };
      return l.getClassName() === 'Dense' && activation === (i < model.layers.length - 1 ? 'relu' : 'linear');
    });
    this.table = config.frameFeatures || config.history > 0 || config.ballClock ? null : Array.from({ length: config.numActions }, (_, a) => this.probabilitiesBatch([a], null)[0]);
  }

  /**
   * Probabilities of each code for an action (index into the minimal set), the current class frames
   * (oldest first) and, when known, the actions taken before it (oldest first, indices) and the ball clock.
   */
  codeProbabilities(action: number, context: readonly Uint8Array[] = [], previous?: ArrayLike<number> | null, ballClock?: number): Float32Array {
    if (this.table) {
      if (!Number.isInteger(action) || action < 0 || action >= this.config.numActions) throw new RangeError(`action map: action ${action} outside 0..${this.config.numActions - 1}`);
      return this.table[action];
    }
    encodeInput(this.config, action, context, this.input, 0, previous, ballClock);
    if (this.plainDense) return softmaxRows(denseForward(this.model, this.input), this.codebookSize);
    return this.probabilitiesOfInputs(this.input, 1)[0];
  }

  /** Probabilities for many (action, context, previous actions, ball clock) cases in one model call. */
  probabilitiesBatch(
    actions: readonly number[], contexts: readonly (readonly Uint8Array[])[] | null, previous?: readonly (ArrayLike<number> | null)[], ballClocks?: readonly number[],
  ): Float32Array[] {
    const n = inputSize(this.config);
    const x = new Float32Array(actions.length * n);
    actions.forEach((a, i) => encodeInput(this.config, a, contexts ? contexts[i] : null, x, i, previous?.[i], ballClocks?.[i]));
    return this.probabilitiesOfInputs(x, actions.length);
  }

  /** Probabilities for precomputed input rows ([rows, inputSize]). */
  probabilitiesOfInputs(x: Float32Array, rows: number): Float32Array[] {
    const logits = tf.tidy(() => (this.model.predict(tf.tensor2d(x, [rows, inputSize(this.config)])) as tf.Tensor).dataSync() as Float32Array);
    const p = softmaxRows(logits, this.codebookSize);
    return Array.from({ length: rows }, (_, r) => p.subarray(r * this.codebookSize, (r + 1) * this.codebookSize));
  }

  dispose(): void {
    this.model.dispose();
  }
}

/** The config of an action-map checkpoint's meta, checked. */
export function actionMapConfigFromMeta(meta: CheckpointMeta, where: string): ActionMapConfig {
  if (meta.kind !== ACTION_MAP_KIND) throw new Error(`${where} holds a ${String(meta.kind)}, not an action map`);
  const c = meta.config as Partial<ActionMapConfig> | undefined;
  if (!c || typeof c.numActions !== 'number' || typeof c.codebookSize !== 'number' || typeof c.frameFeatures !== 'boolean' || !Array.isArray(c.hidden)) {
    throw new Error(`${where}: checkpoint.json has no action-map config (numActions, codebookSize, frameFeatures, hidden)`);
  }
  if (c.history !== undefined && !(Number.isInteger(c.history) && c.history >= 0)) throw new Error(`${where}: history ${String(c.history)} is not a count`);
  // Maps from before the ball clock (session 15) have no such field.
  return { numActions: c.numActions, codebookSize: c.codebookSize, frameFeatures: c.frameFeatures, history: c.history ?? 0, ballClock: c.ballClock === true, hidden: c.hidden };
}

/** Whether a checkpoint meta describes a trained MLP action map (rather than a bare code table). */
export const isMlpActionMeta = (meta: CheckpointMeta): boolean => meta.kind === ACTION_MAP_KIND && typeof meta.config === 'object' && meta.config !== null;

/** An action map served over HTTP (the web player): checkpoint.json + model.json + weights at `baseUrl`. */
export async function fetchActionMap(baseUrl: string): Promise<ActionMap> {
  const index = await fetchCheckpointIndex(baseUrl);
  const cfg = actionMapConfigFromMeta(index.meta, baseUrl);
  return new ActionMap(cfg, await fetchModel(baseUrl));
}

/** p^(1/T), renormalised; T = 0 gives all the mass to the most likely code (ties: lowest index). */
export function temperatureProbabilities(p: ArrayLike<number>, temperature: number): Float64Array {
  const n = p.length;
  const out = new Float64Array(n);
  if (n === 0) return out;
  if (!(temperature > 0)) {
    let best = 0;
    for (let i = 1; i < n; i++) if (p[i] > p[best]) best = i;
    out[best] = 1;
    return out;
  }
  // Log space keeps small temperatures finite.
  let max = -Infinity, sum = 0;
  for (let i = 0; i < n; i++) { out[i] = Math.log(Math.max(p[i], 1e-30)) / temperature; max = Math.max(max, out[i]); }
  for (let i = 0; i < n; i++) { out[i] = Math.exp(out[i] - max); sum += out[i]; }
  for (let i = 0; i < n; i++) out[i] /= sum;
  return out;
}

/** A code drawn from p at a temperature (0 = most likely code); `random` returns uniform [0, 1). */
export function sampleCode(p: ArrayLike<number>, temperature: number, random: () => number): number {
  const q = temperatureProbabilities(p, temperature);
  let u = random();
  for (let i = 0; i < q.length; i++) { u -= q[i]; if (u < 0) return i; }
  for (let i = q.length - 1; i >= 0; i--) if (q[i] > 0) return i;
  return 0;
}
