// The neural game itself, with no file system: the world model (the latent action model's decoder)
// behind the reset/step interface of the real environment. Browser-safe (TensorFlow.js and pure code
// only), so the terminal player, the benchmark and the web page all run exactly this.
//
// State: the last K colour-class frames. step(action): the action map gives a distribution over the
// codebook, we take the most likely code (temperature 0) or sample one, the serve rule may swap it
// (only FIRE serves a new ball: serveCode), the decoder predicts the next frame's classes, and the frame
// slides into the context. The decoder runs through the fused, incremental play-time path
// (play/fast-decoder.ts) or, for reference, LatentActionModel.decode.
import * as tf from '@tensorflow/tfjs';
import { BALL_CLOCK_MAX, ballClockAfter, ballClockOf, serveCode, type ActionToCode } from '../models/action-map';
import { type LatentActionModel, packFrames, packedShape } from '../models/latent-action';
import { type DecodeHeads, decodeFrames, fieldBall } from '../pipeline/breakout-decode';
import { classesToRgb, FRAME_HEIGHT, FRAME_PIXELS, FRAME_WIDTH, rgbToClasses } from '../pipeline/frame-classes';
import { Prng } from '../pipeline/prng';
import { FastDecoder } from './fast-decoder';

/** Breakout's minimal action set, as indices (the same order as AtariEnv.actionSet). */
export const ACTION_NAMES = ['NOOP', 'FIRE', 'RIGHT', 'LEFT'] as const;
export const NOOP = 0;
export const FIRE = 1;
export const RIGHT = 2;
export const LEFT = 3;

/** Actions remembered for maps that look at the action history (more than any map uses). */
const HISTORY = 16;

/** A sequence of real screens to start from: at least K RGB frames (210x160x3), oldest first. */
export interface StartFrames {
  name: string;
  frames: Uint8Array[];
}

/** Picks a code: argmax at temperature 0 (ties -> lowest index), else a sample of p^(1/T). */
export function chooseCode(probs: ArrayLike<number>, temperature: number, random: () => number): number {
  const n = probs.length;
  if (n === 0) throw new Error('chooseCode: empty distribution');
  if (!(temperature > 0)) {
    let best = 0;
    for (let i = 1; i < n; i++) if (probs[i] > probs[best]) best = i;
    return best;
  }
  // Work in log space so tiny probabilities and small temperatures stay finite.
  const logits = new Float64Array(n);
  let max = -Infinity;
  for (let i = 0; i < n; i++) {
    logits[i] = Math.log(Math.max(probs[i], 1e-30)) / temperature;
    if (logits[i] > max) max = logits[i];
  }
  let sum = 0;
  for (let i = 0; i < n; i++) { logits[i] = Math.exp(logits[i] - max); sum += logits[i]; }
  let u = random() * sum;
  for (let i = 0; i < n; i++) { u -= logits[i]; if (u < 0) return i; }
  return n - 1;
}

export interface NeuralStepInfo {
  /** Steps since the last reset. */
  step: number;
  /** The latent code used for this step (-1 after reset). */
  code: number;
  /** Milliseconds the model took for this step (code choice + decode + readback). */
  latencyMs: number;
  /** Which start sequence the episode began from. */
  start: string;
}

export interface NeuralStepResult {
  /** The predicted screen, 210x160x3 RGB. */
  observation: Uint8Array;
  /** The neural game has no score or lives of its own: always 0 / false. */
  reward: number;
  terminated: boolean;
  truncated: boolean;
  info: NeuralStepInfo;
}

export interface NeuralGameOptions {
  /** 0 = most likely code (deterministic), > 0 = sample codes with this temperature. */
  temperature?: number;
  /** Seed of the code sampler and of the start choice in reset() without a seed. */
  seed?: number;
  /** Use the fused play-time decoder (play/fast-decoder.ts) when the model's layout allows. Default true. */
  fast?: boolean;
  /** The serve rule: FIRE serves a new ball once the old one has been gone long enough, nothing else does (models/action-map.ts serveCode). Default true. */
  serveRule?: boolean;
  /** Place the ball and the paddle of each predicted frame (models/ball-head.ts, models/paddle-head.ts); none = the decoder alone. */
  heads?: DecodeHeads;
}

export class NeuralGame {
  readonly numActions = ACTION_NAMES.length;
  readonly actionNames = ACTION_NAMES;
  readonly observationShape = [FRAME_HEIGHT, FRAME_WIDTH, 3] as const;
  readonly temperature: number;
  readonly serveRule: boolean;

  private rng: Prng;
  /** Class frames of the context, oldest first (K of them). */
  private context: Uint8Array[] = [];
  private stepCount = 0;
  /** Actions since the reset, oldest first (at most HISTORY). */
  private history: number[] = [];
  /** Steps since the ball was last on screen, for the action map (models/action-map.ts ballClockAfter). */
  private ballClock = BALL_CLOCK_MAX;
  private startName = '';
  private rgb = new Uint8Array(FRAME_PIXELS * 3);
  private readonly fast: FastDecoder | null;
  private readonly heads: DecodeHeads;

  constructor(
    readonly model: LatentActionModel,
    readonly codeMap: ActionToCode,
    readonly starts: readonly StartFrames[],
    opts: NeuralGameOptions = {},
  ) {
    const k = model.config.contextFrames;
    if (starts.length === 0) throw new Error('neural game: no start frames');
    for (const s of starts) {
      if (s.frames.length < k) throw new Error(`neural game: start ${s.name} has ${s.frames.length} frames, the model needs ${k}`);
      for (const f of s.frames) if (f.length !== FRAME_PIXELS * 3) throw new Error(`neural game: start ${s.name} has a frame of ${f.length} bytes, expected 210x160x3`);
    }
    if (codeMap.codebookSize !== model.config.codebookSize) {
      throw new Error(`neural game: the action map has ${codeMap.codebookSize} codes, the world model ${model.config.codebookSize}`);
    }
    this.temperature = opts.temperature ?? 0;
    this.serveRule = opts.serveRule ?? true;
    if (!(this.temperature >= 0)) throw new Error(`temperature must be >= 0, not ${this.temperature}`);
    this.rng = new Prng(opts.seed ?? 0);
    this.heads = opts.heads ?? {};
    this.fast = opts.fast !== false && FastDecoder.supports(model) ? new FastDecoder(model, this.heads) : null;
  }

  /** Which decoder path runs: 'fused' (play/fast-decoder.ts) or 'model' (LatentActionModel.decode). */
  get decoderPath(): 'fused' | 'model' {
    return this.fast ? 'fused' : 'model';
  }

  get contextFrames(): number {
    return this.model.config.contextFrames;
  }

  /** Current screen, RGB. */
  screenRGB(out = new Uint8Array(FRAME_PIXELS * 3)): Uint8Array {
    out.set(this.rgb);
    return out;
  }

  /** Current context as class frames (oldest first). */
  contextClasses(): Uint8Array[] {
    return this.context.map((f) => f.slice());
  }

  /**
   * New episode from a start sequence: `start` picks one by index, else `seed` (or the game's own
   * generator) chooses. A seed also reseeds the code sampler, so (seed, actions) fixes the episode.
   */
  reset(opts: { seed?: number; start?: number } = {}): { observation: Uint8Array; info: NeuralStepInfo } {
    if (opts.seed !== undefined) this.rng = new Prng(opts.seed);
    const index = opts.start ?? this.rng.int(this.starts.length);
    const start = this.starts[index];
    if (!start) throw new RangeError(`start index ${index} out of range 0..${this.starts.length - 1}`);
    return this.resetFrom(start);
  }

  /** New episode from given real screens (at least K, oldest first), e.g. the real game's, side by side. */
  resetFrom(start: StartFrames): { observation: Uint8Array; info: NeuralStepInfo } {
    if (start.frames.length < this.contextFrames) throw new Error(`neural game: start ${start.name} has ${start.frames.length} frames, the model needs ${this.contextFrames}`);
    const k = this.contextFrames;
    const classes = start.frames.map((rgb) => rgbToClasses(rgb));
    this.context = classes.slice(classes.length - k);
    // A start is taken as a game's first frames: with no ball in them, FIRE serves at once.
    this.ballClock = ballClockOf(classes);
    this.fast?.reset(this.context);
    this.rgb.set(start.frames[start.frames.length - 1]);
    this.stepCount = 0;
    this.history = [];
    this.startName = start.name;
    return { observation: this.rgb.slice(), info: { step: 0, code: -1, latencyMs: 0, start: start.name } };
  }

  step(action: number): NeuralStepResult {
    if (this.context.length === 0) throw new Error('neural game: call reset() before step()');
    this.checkAction(action);
    const t0 = now();
    const probs = this.codeMap.codeProbabilities(action, this.context, this.history, this.ballClock);
    const predicted = new Map<number, Uint8Array>();
    const predictOnce = (c: number): Uint8Array => predicted.get(c) ?? predicted.set(c, this.predict(c)).get(c)!;
    const chosen = chooseCode(probs, this.temperature, () => this.rng.next());
    const code = this.serveRule ? serveCode(action, this.ballClock, probs, chosen, (c) => fieldBall(predictOnce(c))) : chosen;
    const next = predictOnce(code);
    this.push(next);
    this.history.push(action);
    if (this.history.length > HISTORY) this.history.shift();
    classesToRgb(next, this.rgb);
    this.stepCount++;
    const latencyMs = now() - t0;
    return {
      observation: this.rgb.slice(),
      reward: 0,
      terminated: false,
      truncated: false,
      info: { step: this.stepCount, code, latencyMs, start: this.startName },
    };
  }

  /** The decoder's most likely next class frame for `code` from the current context. */
  predict(code: number): Uint8Array {
    if (this.fast) return this.fast.predict(code);
    return this.predictWithModel(code);
  }

  /** The same prediction through LatentActionModel.decode (the reference the fused path is held to). */
  predictWithModel(code: number): Uint8Array {
    const m = this.model;
    const k = this.contextFrames;
    const cfg = m.config;
    const pack = (frames: Uint8Array[]) => {
      const s = packedShape(cfg, frames.length);
      return tf.tensor4d(packFrames(cfg, frames, new Float32Array(s.h4 * s.w4 * s.channels)), [1, s.h4, s.w4, s.channels]);
    };
    const logits = tf.tidy(() => {
      const older = k > 1 ? pack(this.context.slice(0, k - 1)) : null;
      const last = pack([this.context[k - 1]]);
      return m.keepBiased(m.decode(older, last, m.codeVectors([code])), last);
    });
    try {
      return decodeFrames(m, logits, [this.context], this.heads, [code])[0];
    } finally {
      logits.dispose();
    }
  }

  private push(classes: Uint8Array): void {
    this.context.push(classes);
    this.ballClock = ballClockAfter(this.ballClock, classes);
    while (this.context.length > this.contextFrames) this.context.shift();
    this.fast?.push(classes);
  }

  private checkAction(action: number): void {
    if (!Number.isInteger(action) || action < 0 || action >= this.numActions) {
      throw new RangeError(`action must be an integer index in 0..${this.numActions - 1}, not ${action}`);
    }
  }

  dispose(): void {
    this.context = [];
    this.fast?.dispose();
  }
}

function now(): number {
  return globalThis.performance?.now() ?? Date.now();
}
