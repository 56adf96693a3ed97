// The standard Atari preprocessing (Mnih et al. 2015; Machado et al. 2018 for the v5 settings) in one
// place, on top of AtariEnv run with frame skip 1 so we see every emulated frame:
//
// - frame skip 4: the chosen action is sent for 4 frames (sticky actions 0.25 happen inside ALE per
//   frame, as in ALE v5) and the rewards are summed;
// - the observation is the pixel-wise max of the last two frames' grayscale screens (removes the
//   flicker of objects drawn on alternate frames), resized to 84x84 by area averaging;
// - or, with obs 'ram', the 128 RAM bytes after the last frame;
// - FIRE after reset and after each lost life (Breakout waits for FIRE to serve the ball);
// - life loss, reward clipping and frame stacking are applied by the learner (for learning only), so
//   this wrapper reports raw rewards and `lifeLost` and never ends a game early.
//
// Resize: INTER_AREA as OpenCV computes it when shrinking by a non-integer factor: each output pixel is
// the average of the source area it covers, with fractional weights for source pixels cut by its
// border (210x160 -> 84x84: 2.5 rows x 1.905 columns per output pixel), rounded to the nearest integer.
import type { AtariEnv } from '../atari/env';

export const FRAME_SIZE = 84;
export const RAM_BYTES = 128;
export const SCREEN_H = 210;
export const SCREEN_W = 160;

export type ObsKind = 'frames' | 'ram';

export interface PreprocessOptions {
  obs: ObsKind;
  /** Emulated frames per agent step (default 4). */
  frameSkip: number;
  /** Press FIRE after reset and after a lost life (default true). */
  fireOnLifeStart: boolean;
}

export interface PreprocessedStep {
  /** The observation after the step (84*84 grayscale bytes, or 128 RAM bytes). */
  frame: Uint8Array;
  /** Raw (unclipped) reward summed over the skipped frames. */
  reward: number;
  terminated: boolean;
  truncated: boolean;
  /** A life was lost in this step (and the game may go on). */
  lifeLost: boolean;
  lives: number;
  /** Emulated frames in this step. */
  frames: number;
}

/** Sparse area-resize weights along one axis: for each output index, source indices and weights summing to 1. */
export interface AxisWeights {
  start: Int32Array;
  count: Int32Array;
  weight: Float64Array; // [out * maxTaps]
  maxTaps: number;
}

export function areaWeights(src: number, dst: number): AxisWeights {
  const scale = src / dst;
  const maxTaps = Math.ceil(scale) + 1;
  const start = new Int32Array(dst);
  const count = new Int32Array(dst);
  const weight = new Float64Array(dst * maxTaps);
  for (let o = 0; o < dst; o++) {
    const lo = o * scale;
    const hi = (o + 1) * scale;
    const first = Math.floor(lo);
    const last = Math.min(src - 1, Math.ceil(hi) - 1);
    start[o] = first;
    count[o] = last - first + 1;
    for (let s = first; s <= last; s++) {
      const overlap = Math.min(hi, s + 1) - Math.max(lo, s);
      weight[o * maxTaps + (s - first)] = overlap / scale;
    }
  }
  return { start, count, weight, maxTaps };
}

const ROWS = areaWeights(SCREEN_H, FRAME_SIZE);
const COLS = areaWeights(SCREEN_W, FRAME_SIZE);

/** Area-resize a 210x160 grayscale screen to 84x84 (see the header). */
export function resizeArea(src: Uint8Array, out: Uint8Array = new Uint8Array(FRAME_SIZE * FRAME_SIZE), rows = ROWS, cols = COLS, srcW = SCREEN_W): Uint8Array {
  const dstH = rows.start.length;
  const dstW = cols.start.length;
  const tmp = new Float64Array(dstW);
  for (let oy = 0; oy < dstH; oy++) {
    tmp.fill(0);
    for (let t = 0; t < rows.count[oy]; t++) {
      const wy = rows.weight[oy * rows.maxTaps + t];
      const rowBase = (rows.start[oy] + t) * srcW;
      for (let ox = 0; ox < dstW; ox++) {
        let acc = 0;
        const c0 = cols.start[ox];
        for (let u = 0; u < cols.count[ox]; u++) acc += cols.weight[ox * cols.maxTaps + u] * src[rowBase + c0 + u];
        tmp[ox] += wy * acc;
      }
    }
    for (let ox = 0; ox < dstW; ox++) out[oy * dstW + ox] = Math.min(255, Math.round(tmp[ox]));
  }
  return out;
}

/** Pixel-wise max of two equally sized byte images, into `out`. */
export function maxPool(a: Uint8Array, b: Uint8Array, out: Uint8Array): Uint8Array {
  for (let i = 0; i < a.length; i++) out[i] = a[i] > b[i] ? a[i] : b[i];
  return out;
}

/** Learning-only reward clipping: the sign of the reward. */
export function clipReward(r: number): number {
  return r > 0 ? 1 : r < 0 ? -1 : 0;
}

/** The Breakout minimal action set index of FIRE. */
export const FIRE_INDEX = 1;

export class AtariPreprocessing {
  readonly env: AtariEnv;
  readonly opts: PreprocessOptions;
  readonly frameSize: number;
  private readonly screenA = new Uint8Array(SCREEN_H * SCREEN_W);
  private readonly screenB = new Uint8Array(SCREEN_H * SCREEN_W);
  private readonly pooled = new Uint8Array(SCREEN_H * SCREEN_W);
  private lives = 0;
  private readonly fireIndex: number;

  /** `env` must be built with frameSkip 1 (this wrapper skips frames itself). */
  constructor(env: AtariEnv, opts: Partial<PreprocessOptions> = {}) {
    this.env = env;
    this.opts = { obs: opts.obs ?? 'frames', frameSkip: opts.frameSkip ?? 4, fireOnLifeStart: opts.fireOnLifeStart ?? true };
    this.frameSize = this.opts.obs === 'ram' ? RAM_BYTES : FRAME_SIZE * FRAME_SIZE;
    // FIRE is ALE action 1; find it in the env's action set (index 1 in Breakout's minimal set).
    this.fireIndex = env.actionSet.indexOf(1);
  }

  get numActions(): number {
    return this.env.numActions;
  }

  /** Start a game; presses FIRE once if configured. Returns the first observation the agent sees. */
  reset(seed?: number): { frame: Uint8Array; lives: number; reward: number } {
    const r = this.env.reset(seed === undefined ? {} : { seed });
    this.lives = r.info.lives;
    let frame = this.observe(false);
    let reward = 0;
    if (this.opts.fireOnLifeStart && this.fireIndex >= 0) {
      const s = this.step(this.fireIndex);
      frame = s.frame;
      reward = s.reward;
    }
    return { frame, lives: this.lives, reward };
  }

  /** One agent step: `frameSkip` emulated frames of `action`, max-pooled and resized (or RAM). */
  step(action: number): PreprocessedStep {
    const skip = this.opts.frameSkip;
    let reward = 0;
    let terminated = false;
    let truncated = false;
    let frames = 0;
    let lives = this.lives;
    let pooledTwo = false;
    for (let i = 0; i < skip; i++) {
      const r = this.env.step(action);
      frames++;
      reward += r.reward;
      lives = r.info.lives;
      terminated = r.terminated;
      truncated = r.truncated;
      if (this.opts.obs === 'frames') {
        if (i === skip - 2) this.env.screenGrayscale(this.screenA);
        if (i === skip - 1) {
          this.env.screenGrayscale(this.screenB);
          pooledTwo = skip >= 2;
        }
      }
      if (terminated || truncated) break;
    }
    if (this.opts.obs === 'frames' && !pooledTwo) {
      // The game ended early (or frameSkip 1): no pair of final frames, use the last screen alone.
      this.env.screenGrayscale(this.screenB);
      this.screenA.set(this.screenB);
    }
    const lifeLost = lives < this.lives;
    this.lives = lives;
    return { frame: this.observe(true), reward, terminated, truncated, lifeLost, lives, frames };
  }

  /** Press FIRE for one agent step (used after a lost life). */
  fire(): PreprocessedStep {
    return this.step(this.fireIndex >= 0 ? this.fireIndex : 0);
  }

  private observe(afterStep: boolean): Uint8Array {
    if (this.opts.obs === 'ram') return Uint8Array.from(this.env.ale.getRAM());
    if (!afterStep) {
      this.env.screenGrayscale(this.screenB);
      return resizeArea(this.screenB);
    }
    return resizeArea(maxPool(this.screenA, this.screenB, this.pooled));
  }
}

/**
 * The last K observations of the current life, channels last and scaled by `lut` (or 1/255):
 * what the Q-network sees. Reset at the start of each game and each life.
 */
export class FrameStacker {
  readonly stack: number;
  readonly frameSize: number;
  private readonly frames: Uint8Array[];
  /** Input normalisation table (see ReplayBuffer.lut); bytes / 255 without one. */
  lut?: Float32Array;

  constructor(stack: number, frameSize: number, lut?: Float32Array) {
    this.stack = stack;
    this.frameSize = frameSize;
    this.frames = Array.from({ length: stack }, () => new Uint8Array(frameSize));
    this.lut = lut;
  }

  reset(frame: Uint8Array): void {
    for (const f of this.frames) f.set(frame);
  }

  push(frame: Uint8Array): void {
    const oldest = this.frames.shift() as Uint8Array;
    oldest.set(frame);
    this.frames.push(oldest);
  }

  /** Write the stack into out[base + p*stack + k] (k = stack-1 is the newest). */
  write(out: Float32Array, base = 0): Float32Array {
    const { stack, frameSize, lut } = this;
    for (let k = 0; k < stack; k++) {
      const f = this.frames[k];
      if (lut) for (let p = 0; p < frameSize; p++) out[base + p * stack + k] = lut[p * 256 + f[p]];
      else for (let p = 0; p < frameSize; p++) out[base + p * stack + k] = f[p] * (1 / 255);
    }
    return out;
  }
}

/** Per-byte statistics for standardising RAM observations (saved in the checkpoint). */
export interface ByteNorm {
  mean: number[];
  std: number[];
  /** Standard deviations below this (in byte units) are raised to it, so rarely-changing bytes stay small. */
  minStd: number;
  /** Standardised values are clipped to [-clip, clip]. */
  clip: number;
}

/** Mean and standard deviation of each byte position over `frames`. */
export function byteStats(frames: Uint8Array[], minStd = 8, clip = 5): ByteNorm {
  const n = frames[0].length;
  const mean = new Array(n).fill(0);
  const sq = new Array(n).fill(0);
  for (const f of frames) for (let p = 0; p < n; p++) {
    mean[p] += f[p];
    sq[p] += f[p] * f[p];
  }
  const std = mean.map((m, p) => Math.sqrt(Math.max(0, sq[p] / frames.length - (m / frames.length) ** 2)));
  return { mean: mean.map((m) => m / frames.length), std, minStd, clip };
}

/** Lookup table lut[p * 256 + v] = clip((v - mean_p) / max(std_p, minStd)). */
export function byteNormLut(norm: ByteNorm): Float32Array {
  const n = norm.mean.length;
  const lut = new Float32Array(n * 256);
  for (let p = 0; p < n; p++) {
    const s = Math.max(norm.std[p], norm.minStd);
    for (let v = 0; v < 256; v++) lut[p * 256 + v] = Math.max(-norm.clip, Math.min(norm.clip, (v - norm.mean[p]) / s));
  }
  return lut;
}
