// The latent action model (Genie-style VQ-VAE) whose decoder is the world model.
//
//   encoder(last 2 context frames, next frame) -> z (D floats) -> nearest of N codes (N ~ 8)
//   decoder(K context frames, code vector)      -> per-pixel logits over the palette classes
//
// One code per transition from a tiny codebook: 3 bits can carry "what the player did" but not the
// next frame, so the decoder must get everything else (ball flight, bricks, score) from the context.
// The decoder works on colour classes at native 210x160: a 4x4-stride stem to 1/4 resolution, a small
// residual body at 1/8 (with a 1/16 path before it for reach: a fast ball or paddle moves 14-24 px a
// step, so seeing where it was two steps ago takes ~50 px), back up to 1/4, and a pixel-shuffle head
// that emits 16 sub-pixels x classes per 1/4-resolution cell (exact 2-pixel ball placement without any
// full-resolution convolution). A learned class-to-class prior from the last frame is added to the
// logits, so the network only has to say what changes; its last layer starts at zero, i.e. the
// untrained model copies the last frame.
//
// Every op here has a gradient on the WebAssembly backend with the project's kernels: no gather (code
// lookup is a one-hot matmul), no transposed convolution, and depth-to-space as reshape + transpose.
import * as tf from '@tensorflow/tfjs';
import type { BenchNet, BenchNetSpec } from './reference-nets';

export interface LatentActionConfig {
  /** Frame size (native Atari screen). */
  height: number;
  width: number;
  /** Palette classes per pixel. */
  numClasses: number;
  /** K: context frames the decoder sees (2..4, so the ball's velocity is visible). */
  contextFrames: number;
  /** N: codebook entries. */
  codebookSize: number;
  /** D: code vector size. */
  codeDim: number;
  /** Encoder channels at 1/4, 1/8, 1/16 resolution. */
  encoderChannels: [number, number, number];
  /** Decoder channels at 1/4 (stem), 1/8 (body) and the 1/4 refinement layer. */
  stemChannels: number;
  bodyChannels: number;
  bodyBlocks: number;
  /** Residual blocks of the 1/16 path (0 = none): 3x3 at 16 px per cell, the reach a fast ball or paddle needs. */
  coarseBlocks: number;
  /**
   * A whole-screen summary (mean and max over the 1/8 cells, one dense layer) added to every 1/8 cell
   * before the body. The score and lives digits sit 80+ px above the ball's field, beyond the convs'
   * reach, yet which one changes depends on whether the ball was lost (a life) or hit a brick (a point).
   */
  globalPath: boolean;
  refineChannels: number;
  /** Initial logit bonus for keeping the last frame's class. */
  priorInit: number;
  /**
   * Logit bonus for keeping the last frame's class when predicting (never in the loss). The loss weighs
   * changing pixels 1 + dynamicWeight times more, so the trained logits over-predict change: ln(31) ~ 3.4
   * would undo that exactly, but then a ball whose next position is uncertain is drawn nowhere. 2.5 was
   * chosen on the validation split, together with the ball placement (README, "Keep bias").
   */
  keepBias: number;
  /**
   * Rows of the next frame above this one reach the encoder as they were in the last context frame
   * (0 = it sees the whole next frame). On Breakout 93, the bricks' bottom edge: what the player does
   * (the paddle, a serve) shows below it, while a ball hidden among the bricks, the bricks it breaks
   * and the score are not the player's doing; seeing them, the encoder would spend codes on them that
   * no action map can name from the action.
   */
  encoderFromRow: number;
}

export const DEFAULT_LATENT_ACTION_CONFIG: LatentActionConfig = {
  height: 210,
  width: 160,
  numClasses: 9,
  contextFrames: 3,
  codebookSize: 8,
  codeDim: 16,
  encoderChannels: [32, 48, 64],
  stemChannels: 32,
  bodyChannels: 48,
  bodyBlocks: 2,
  coarseBlocks: 2,
  globalPath: true,
  refineChannels: 32,
  priorInit: 4,
  keepBias: 2.5,
  encoderFromRow: 0,
};

/** The next frame as the encoder sees it: rows above `encoderFromRow` are the last context frame's. */
export function encoderNextFrame(cfg: Pick<LatentActionConfig, 'width' | 'encoderFromRow'>, last: Uint8Array, next: Uint8Array): Uint8Array {
  if (cfg.encoderFromRow <= 0) return next;
  const view = next.slice();
  view.set(last.subarray(0, cfg.encoderFromRow * cfg.width));
  return view;
}

/** Rows padded so the height divides by 8 (210 -> 216): 3 on top, the rest below. */
export function padding(cfg: Pick<LatentActionConfig, 'height'>): { top: number; bottom: number; paddedH: number } {
  const paddedH = Math.ceil(cfg.height / 8) * 8;
  const top = Math.floor((paddedH - cfg.height) / 2);
  return { top, bottom: paddedH - cfg.height - top, paddedH };
}

/**
 * The networks' input layout: frames of class indices packed as one-hot 4x4 cells, i.e.
 * [rows/4, cols/4, F*16*C] with channel f*16*C + (dy*4+dx)*C + class (F frames). Built in plain JS:
 * on the WebAssembly backend a full-resolution one-hot + concat + pad costs more than the whole network.
 * Padding rows (see padding()) are all-zero.
 */
export interface PackedShape { h4: number; w4: number; channels: number }

export function packedShape(cfg: Pick<LatentActionConfig, 'height' | 'width' | 'numClasses'>, frames: number): PackedShape {
  return { h4: padding(cfg).paddedH / 4, w4: cfg.width / 4, channels: frames * 16 * cfg.numClasses };
}

/** Pack F class frames (each H*W, values < numClasses) into `out` at sample offset `sample`. */
export function packFrames(
  cfg: Pick<LatentActionConfig, 'height' | 'width' | 'numClasses'>,
  frames: Uint8Array[],
  out: Float32Array,
  sample = 0,
): Float32Array {
  const { h4, w4, channels } = packedShape(cfg, frames.length);
  const { top } = padding(cfg);
  const C = cfg.numClasses;
  const base = sample * h4 * w4 * channels;
  out.fill(0, base, base + h4 * w4 * channels);
  frames.forEach((frame, f) => {
    if (frame.length !== cfg.height * cfg.width) throw new Error(`packFrames: frame of ${frame.length} pixels, expected ${cfg.height * cfg.width}`);
    for (let y = 0; y < cfg.height; y++) {
      const py = y + top;
      const rowBase = base + (py >> 2) * w4 * channels + f * 16 * C + (py & 3) * 4 * C;
      for (let x = 0; x < cfg.width; x++) {
        const c = frame[y * cfg.width + x];
        out[rowBase + (x >> 2) * channels + (x & 3) * C + c] = 1;
      }
    }
  });
  return out;
}

/** Unpack per-cell sub-pixel classes [h4*w4*16] (from argMax of the packed logits) into an H*W frame. */
export function unpackClasses(cfg: Pick<LatentActionConfig, 'height' | 'width'>, cells: ArrayLike<number>, offset = 0): Uint8Array {
  const { top } = padding(cfg);
  const w4 = cfg.width / 4;
  const out = new Uint8Array(cfg.height * cfg.width);
  for (let y = 0; y < cfg.height; y++) {
    const py = y + top;
    for (let x = 0; x < cfg.width; x++) {
      out[y * cfg.width + x] = cells[offset + ((py >> 2) * w4 + (x >> 2)) * 16 + (py & 3) * 4 + (x & 3)];
    }
  }
  return out;
}

/** Per sub-pixel loss weights in the packed layout: 0 on padding rows, else `weight(y, x)`. */
export function packWeights(
  cfg: Pick<LatentActionConfig, 'height' | 'width'>,
  weight: (pixel: number) => number,
  out: Float32Array,
  sample = 0,
): void {
  const { top, paddedH } = padding(cfg);
  const w4 = cfg.width / 4;
  const base = sample * (paddedH / 4) * w4 * 16;
  out.fill(0, base, base + (paddedH / 4) * w4 * 16);
  for (let y = 0; y < cfg.height; y++) {
    const py = y + top;
    for (let x = 0; x < cfg.width; x++) {
      out[base + ((py >> 2) * w4 + (x >> 2)) * 16 + (py & 3) * 4 + (x & 3)] = weight(y * cfg.width + x);
    }
  }
}

interface ParamSpec {
  name: string;
  shape: number[];
  init: 'he' | 'zeros' | 'prior' | 'small';
  fanIn?: number;
}

function paramSpecs(cfg: LatentActionConfig): ParamSpec[] {
  const C = cfg.numClasses;
  const [e1, e2, e3] = cfg.encoderChannels;
  const cell = 16 * C; // one packed frame's channels
  const conv = (name: string, k: number, cin: number, cout: number, init: ParamSpec['init'] = 'he', bias = true): ParamSpec[] => [
    { name: `${name}/kernel`, shape: [k, k, cin, cout], init, fanIn: k * k * cin },
    ...(bias ? [{ name: `${name}/bias`, shape: [cout], init: 'zeros' as const }] : []),
  ];
  const dense = (name: string, cin: number, cout: number, init: ParamSpec['init'] = 'he'): ParamSpec[] => [
    { name: `${name}/kernel`, shape: [cin, cout], init, fanIn: cin },
    { name: `${name}/bias`, shape: [cout], init: 'zeros' },
  ];
  const specs: ParamSpec[] = [
    ...(cfg.contextFrames > 1 ? conv('enc/in_old', 1, cell * (cfg.contextFrames - 1), e1, 'he', false) : []),
    ...conv('enc/in_last', 1, cell, e1, 'he', false),
    ...conv('enc/in_next', 1, cell, e1),
    ...conv('enc/conv2', 3, e1, e2),
    ...conv('enc/conv3', 3, e2, e3),
    ...dense('enc/fc1', 2 * e3, 64),
    ...dense('enc/fc2', 64, cfg.codeDim, 'he'),
    ...(cfg.contextFrames > 1 ? conv('dec/stem_old', 1, cell * (cfg.contextFrames - 1), cfg.stemChannels, 'he', false) : []),
    ...conv('dec/stem_last', 1, cell, cfg.stemChannels),
    ...conv('dec/down', 2, cfg.stemChannels, cfg.bodyChannels),
    ...dense('dec/code_down', cfg.codeDim, cfg.bodyChannels, 'he'),
  ];
  for (let b = 0; b < cfg.bodyBlocks; b++) {
    specs.push(...conv(`dec/body${b}`, 3, cfg.bodyChannels, cfg.bodyChannels));
    specs.push(...dense(`dec/code_body${b}`, cfg.codeDim, cfg.bodyChannels, 'he'));
  }
  if (cfg.coarseBlocks > 0) {
    specs.push(...conv('dec/coarse_down', 2, cfg.bodyChannels, cfg.bodyChannels), ...dense('dec/code_coarse_down', cfg.codeDim, cfg.bodyChannels, 'he'));
    for (let b = 0; b < cfg.coarseBlocks; b++) {
      specs.push(...conv(`dec/coarse${b}`, 3, cfg.bodyChannels, cfg.bodyChannels), ...dense(`dec/code_coarse${b}`, cfg.codeDim, cfg.bodyChannels, 'he'));
    }
    // Starts at zero: a model that gains this path (train-latent --init) keeps its function.
    specs.push(...conv('dec/coarse_up', 1, cfg.bodyChannels, 4 * cfg.bodyChannels, 'zeros'));
  }
  // Starts at zero too (see coarse_up).
  if (cfg.globalPath) specs.push(...dense('dec/global', 2 * cfg.bodyChannels, cfg.bodyChannels, 'zeros'));
  specs.push(
    ...conv('dec/up', 1, cfg.bodyChannels, 4 * cfg.stemChannels),
    ...conv('dec/refine', 3, 2 * cfg.stemChannels, cfg.refineChannels),
    ...dense('dec/code_refine', cfg.codeDim, cfg.refineChannels, 'he'),
    ...conv('dec/head', 1, cfg.refineChannels, cell, 'zeros'),
    { name: 'dec/prior', shape: [C, C], init: 'prior' },
  );
  return specs;
}

function initTensor(spec: ParamSpec, cfg: LatentActionConfig, seed: number): tf.Tensor {
  switch (spec.init) {
    case 'zeros': return tf.zeros(spec.shape);
    case 'prior': return tf.eye(spec.shape[0]).mul(cfg.priorInit);
    case 'small': return tf.randomNormal(spec.shape, 0, 0.1 / Math.sqrt(spec.fanIn ?? 1), 'float32', seed);
    case 'he': return tf.randomNormal(spec.shape, 0, Math.sqrt(2 / (spec.fanIn ?? 1)), 'float32', seed);
  }
}

/** [B,h,w,r*r*C] -> [B,h*r,w*r,C] with the channel order (dy, dx, c); built from ops that have gradients. */
export function depthToSpace(x: tf.Tensor4D, r: number): tf.Tensor4D {
  const [b, h, w, rrc] = x.shape;
  const c = rrc / (r * r);
  return x.reshape([b, h, w, r, r, c]).transpose([0, 1, 3, 2, 4, 5]).reshape([b, h * r, w * r, c]);
}

/** Straight-through estimator: the value of `zq`, the gradient of `z`. */
const straightThrough = tf.customGrad((_z, zq) => ({
  value: (zq as tf.Tensor).clone(),
  gradFunc: (dy: tf.Tensor | tf.Tensor[]) => [dy as tf.Tensor, tf.zerosLike(dy as tf.Tensor)],
}));

export interface EncodeResult {
  /** Continuous encoder output [B, D]. */
  z: tf.Tensor2D;
  /** Chosen code per sample. */
  codes: Int32Array;
}

export class LatentActionModel {
  readonly params = new Map<string, tf.Variable>();
  /** Codebook [N*D] (row-major), updated by EMA outside the gradient (see models/vq.ts). */
  codebook: Float32Array;

  constructor(readonly config: LatentActionConfig = DEFAULT_LATENT_ACTION_CONFIG, seed = 0) {
    if (config.width % 8 !== 0) throw new Error(`latent-action: width ${config.width} must be a multiple of 8`);
    paramSpecs(config).forEach((spec, i) => {
      const t = initTensor(spec, config, seed * 1000 + i);
      this.params.set(spec.name, tf.variable(t, true));
      t.dispose();
    });
    // Codes start spread out on a small sphere; dead-code restarts move them onto real encoder outputs.
    const cb = tf.tidy(() => tf.randomNormal([config.codebookSize, config.codeDim], 0, 1, 'float32', seed + 7).dataSync() as Float32Array);
    this.codebook = new Float32Array(cb);
  }

  private p(name: string): tf.Variable {
    const v = this.params.get(name);
    if (!v) throw new Error(`latent-action: no parameter ${name}`);
    return v;
  }

  encoderVariables(): tf.Variable[] {
    return [...this.params.entries()].filter(([k]) => k.startsWith('enc/')).map(([, v]) => v);
  }

  decoderVariables(): tf.Variable[] {
    return [...this.params.entries()].filter(([k]) => k.startsWith('dec/')).map(([, v]) => v);
  }

  private conv(x: tf.Tensor4D, name: string, stride: number, pad: 'same' | 'valid', relu = true): tf.Tensor4D {
    const y = tf.conv2d(x, this.p(`${name}/kernel`) as tf.Tensor4D, stride, pad).add(this.p(`${name}/bias`)) as tf.Tensor4D;
    return relu ? tf.relu(y) : y;
  }

  private dense(x: tf.Tensor2D, name: string): tf.Tensor2D {
    return tf.matMul(x, this.p(`${name}/kernel`) as tf.Tensor2D).add(this.p(`${name}/bias`)) as tf.Tensor2D;
  }

  private convNoBias(x: tf.Tensor4D, name: string): tf.Tensor4D {
    return tf.conv2d(x, this.p(`${name}/kernel`) as tf.Tensor4D, 1, 'valid');
  }

  /**
   * Continuous encoder output z [B, D] from the packed frames of a transition (see packFrames): the
   * older context frames (null when K = 1), the last context frame, and the next frame.
   */
  encodeContinuous(older: tf.Tensor4D | null, last: tf.Tensor4D, next: tf.Tensor4D): tf.Tensor2D {
    let pre = this.conv(next, 'enc/in_next', 1, 'valid', false).add(this.convNoBias(last, 'enc/in_last'));
    if (older) pre = pre.add(this.convNoBias(older, 'enc/in_old'));
    let h = tf.relu(pre) as tf.Tensor4D;
    h = this.conv(h, 'enc/conv2', 2, 'same');
    h = this.conv(h, 'enc/conv3', 2, 'same');
    const pooled = tf.concat([tf.max(h, [1, 2]), tf.mean(h, [1, 2])], 1) as tf.Tensor2D;
    return this.dense(tf.relu(this.dense(pooled, 'enc/fc1')), 'enc/fc2');
  }

  codebookTensor(): tf.Tensor2D {
    return tf.tensor2d(this.codebook, [this.config.codebookSize, this.config.codeDim]);
  }

  /** Index of the nearest code for each row of z. */
  nearestCodes(z: tf.Tensor2D): Int32Array {
    return tf.tidy(() => {
      const e = this.codebookTensor();
      // |z|^2 - 2 z.e + |e|^2 (matMul against e^T done via an explicit transpose: fast path on wasm)
      const dist = tf.sum(z.square(), 1, true).sub(tf.matMul(z, e.transpose()).mul(2)).add(tf.sum(e.square(), 1).reshape([1, -1]));
      return tf.argMin(dist, 1).dataSync() as Int32Array;
    });
  }

  /** Code vectors for code indices [B, D] (one-hot matmul: no gather, so no UnsortedSegmentSum in training). */
  codeVectors(codes: Int32Array | number[]): tf.Tensor2D {
    return tf.tidy(() => {
      const oh = tf.oneHot(tf.tensor1d(Array.from(codes), 'int32'), this.config.codebookSize).cast('float32');
      return tf.matMul(oh, this.codebookTensor()) as tf.Tensor2D;
    });
  }

  encode(older: tf.Tensor4D | null, last: tf.Tensor4D, next: tf.Tensor4D): EncodeResult {
    const z = this.encodeContinuous(older, last, next);
    return { z, codes: this.nearestCodes(z) };
  }

  /** The quantized code vector with the straight-through gradient to z. */
  quantize(z: tf.Tensor2D, codes: Int32Array): tf.Tensor2D {
    const zq = this.codeVectors(codes);
    const out = straightThrough(z, zq) as tf.Tensor2D;
    zq.dispose();
    return out;
  }

  /**
   * Next-frame logits in the packed layout [B, h4, w4, 16*C] (sub-pixel major, class minor) from the
   * older context frames packed [B,h4,w4,(K-1)*16*C] (null when K = 1), the last context frame packed
   * [B,h4,w4,16*C], and a code vector [B,D].
   */
  decode(older: tf.Tensor4D | null, last: tf.Tensor4D, code: tf.Tensor2D): tf.Tensor4D {
    const cfg = this.config;
    const C = cfg.numClasses;
    const [b, h4, w4] = last.shape;
    const codeBias = (name: string): tf.Tensor4D => this.dense(code, name).reshape([b, 1, 1, -1]) as tf.Tensor4D;
    let stemPre = this.conv(last, 'dec/stem_last', 1, 'valid', false);
    if (older) stemPre = stemPre.add(this.convNoBias(older, 'dec/stem_old'));
    const stem = tf.relu(stemPre) as tf.Tensor4D; // 1/4 resolution
    let h = tf.relu(this.conv(stem, 'dec/down', 2, 'valid', false).add(codeBias('dec/code_down'))) as tf.Tensor4D; // 1/8
    h = this.withGlobal(this.coarsePath(h, codeBias));
    for (let i = 0; i < cfg.bodyBlocks; i++) {
      const r = this.conv(h, `dec/body${i}`, 1, 'same', false).add(codeBias(`dec/code_body${i}`));
      h = tf.relu(h.add(r)) as tf.Tensor4D;
    }
    const up = depthToSpace(this.conv(h, 'dec/up', 1, 'valid'), 2); // back to 1/4
    const refined = tf.relu(this.conv(tf.concat([up, stem], 3), 'dec/refine', 1, 'same', false).add(codeBias('dec/code_refine'))) as tf.Tensor4D;
    const delta = this.conv(refined, 'dec/head', 1, 'valid', false);
    // The last frame's class per sub-pixel, through a learned class-to-class prior (starts as "keep").
    const prior = tf.matMul(last.reshape([-1, C]), this.p('dec/prior') as tf.Tensor2D).reshape([b, h4, w4, 16 * C]);
    return delta.add(prior) as tf.Tensor4D;
  }

  /** decode's logits as a prediction: keepBias added to each sub-pixel's last class (`last` is its one-hot). */
  keepBiased(logits: tf.Tensor4D, last: tf.Tensor4D): tf.Tensor4D {
    return this.config.keepBias === 0 ? logits : tf.tidy(() => logits.add(last.mul(this.config.keepBias)));
  }

  /**
   * The 1/16 path added to the 1/8 features h: down, residual blocks, back up. `codeBias(layer)` is the
   * code's term of a code-conditioned layer (broadcast over cells). Identity when coarseBlocks is 0.
   */
  private coarsePath(h: tf.Tensor4D, codeBias: (codeLayer: string) => tf.Tensor): tf.Tensor4D {
    const cfg = this.config;
    if (cfg.coarseBlocks === 0) return h;
    const [, rows, cols] = h.shape;
    // 'same' padding at stride 2 gives an odd side (27 rows at 1/8) one zero row at the end; cut off below.
    let c = tf.relu(this.conv(h, 'dec/coarse_down', 2, 'same', false).add(codeBias('dec/code_coarse_down'))) as tf.Tensor4D;
    for (let i = 0; i < cfg.coarseBlocks; i++) {
      c = tf.relu(c.add(this.conv(c, `dec/coarse${i}`, 1, 'same', false).add(codeBias(`dec/code_coarse${i}`)))) as tf.Tensor4D;
    }
    const up = depthToSpace(this.conv(c, 'dec/coarse_up', 1, 'valid', false), 2);
    return h.add(up.shape[1] === rows && up.shape[2] === cols ? up : up.slice([0, 0, 0, 0], [-1, rows, cols, -1])) as tf.Tensor4D;
  }

  /** h [B,h,w,c] plus the global path's term (mean and max of h over its cells, through dec/global) at every cell; h when there is no such path. */
  withGlobal(h: tf.Tensor4D): tf.Tensor4D {
    if (!this.config.globalPath) return h;
    const [b, , , c] = h.shape;
    const pooled = tf.concat([tf.mean(h, [1, 2]), tf.max(h, [1, 2])], 1) as tf.Tensor2D;
    return h.add(this.dense(pooled, 'dec/global').reshape([b, 1, 1, c])) as tf.Tensor4D;
  }

  /** Most likely class per pixel for a batch of packed logits: B frames of H*W class indices. */
  argmaxFrames(logits: tf.Tensor4D): Uint8Array[] {
    const [b, h4, w4] = logits.shape;
    const flat = tf.tidy(() => tf.argMax(logits.reshape([b, h4 * w4 * 16, this.config.numClasses]), 2).dataSync() as Int32Array);
    const out: Uint8Array[] = [];
    for (let i = 0; i < b; i++) out.push(unpackClasses(this.config, flat, i * h4 * w4 * 16));
    return out;
  }

  /** Named tensors for saving (the codebook included as `vq/codebook`). */
  namedWeights(): { name: string; tensor: tf.Tensor }[] {
    const list: { name: string; tensor: tf.Tensor }[] = [...this.params.entries()].map(([name, v]) => ({ name, tensor: v }));
    list.push({ name: 'vq/codebook', tensor: this.codebookTensor() });
    return list;
  }

  /**
   * Load weights saved by namedWeights (shapes must match this config). With `grow`, parameters the
   * checkpoint lacks keep their initial values (a path that starts at zero: see paramSpecs); returns them.
   */
  setWeights(named: Record<string, tf.Tensor>, { grow = false } = {}): string[] {
    const kept: string[] = [];
    for (const [name, v] of this.params) {
      const t = named[name];
      if (!t && grow) { kept.push(name); continue; }
      if (!t) throw new Error(`latent-action checkpoint lacks ${name}`);
      if (t.shape.join('x') !== v.shape.join('x')) throw new Error(`latent-action checkpoint: ${name} has shape ${t.shape} but the config needs ${v.shape}`);
      v.assign(t);
    }
    const cb = named['vq/codebook'];
    if (!cb) throw new Error('latent-action checkpoint lacks vq/codebook');
    this.codebook = new Float32Array(cb.dataSync());
    return kept;
  }

  dispose(): void {
    for (const v of this.params.values()) v.dispose();
  }

  /** Multiply-accumulates of one batch-1 decoder forward (for reports). */
  static decoderMacs(cfg: LatentActionConfig): number {
    const { paddedH } = padding(cfg);
    const h4 = (paddedH / 4) * (cfg.width / 4), h8 = h4 / 4;
    const cell = 16 * cfg.numClasses;
    return h4 * cell * cfg.contextFrames * cfg.stemChannels
      + h8 * 4 * cfg.stemChannels * cfg.bodyChannels
      + cfg.bodyBlocks * h8 * 9 * cfg.bodyChannels * cfg.bodyChannels
      + (cfg.coarseBlocks > 0 ? (h8 / 4) * (4 + 9 * cfg.coarseBlocks + 4) * cfg.bodyChannels * cfg.bodyChannels : 0)
      + h8 * cfg.bodyChannels * 4 * cfg.stemChannels
      + h4 * 9 * 2 * cfg.stemChannels * cfg.refineChannels
      + h4 * cfg.refineChannels * cell
      + h4 * 16 * cfg.numClasses * cfg.numClasses;
  }
}

/** A saved model config made whole: configs saved before the 1/16 path or the keep bias existed have neither (0). */
export function savedLatentActionConfig(saved: Partial<LatentActionConfig>): LatentActionConfig {
  return { ...DEFAULT_LATENT_ACTION_CONFIG, coarseBlocks: 0, globalPath: false, keepBias: 0, ...saved };
}

/** Rebuild a model from its saved config and named weights (see namedWeights; checkpoint tensor group "weights"). */
export function latentActionFromWeights(config: Partial<LatentActionConfig>, named: Record<string, tf.Tensor>): LatentActionModel {
  const model = new LatentActionModel(savedLatentActionConfig(config));
  model.setWeights(named);
  return model;
}

/**
 * `npm run bench:nn` entry: a training step of the whole latent action model (encoder + straight-through
 * quantizer + decoder, weighted per-pixel cross-entropy) and the batch-1 decoder forward that real-time
 * play runs (one predicted frame from packed context frames and a code; packing excluded).
 */
export function latentActionBenchSpec(cfg: LatentActionConfig = DEFAULT_LATENT_ACTION_CONFIG): BenchNetSpec {
  const s = packedShape(cfg, 1);
  return {
    name: 'latent-action',
    description: `latent action model ${cfg.height}x${cfg.width} as ${s.h4}x${s.w4} cells of 16x${cfg.numClasses} classes, K=${cfg.contextFrames}, ${cfg.codebookSize} codes`,
    trainBatches: [8, 16],
    forwardBatches: [1],
    forwardMacs: LatentActionModel.decoderMacs(cfg),
    build(): BenchNet {
      const model = new LatentActionModel(cfg, 1);
      // Sparse one-hot-like inputs: one class per sub-pixel, as packFrames makes them.
      const packed = (n: number, frames: number) => tf.tidy(() => {
        const cls = tf.randomUniform([n, s.h4, s.w4, frames * 16], 0, cfg.numClasses, 'int32');
        return tf.oneHot(cls, cfg.numClasses).cast('float32').reshape([n, s.h4, s.w4, frames * 16 * cfg.numClasses]) as tf.Tensor4D;
      });
      return {
        variables: [...model.params.values()],
        makeBatch: (n) => [packed(n, cfg.contextFrames - 1), packed(n, 1), packed(n, 1), tf.onesLike(tf.zeros([n * s.h4 * s.w4 * 16]))],
        loss: ([older, last, next, w]) => {
          const z = model.encodeContinuous(older as tf.Tensor4D, last as tf.Tensor4D, next as tf.Tensor4D);
          const codes = model.nearestCodes(z);
          const logits = model.decode(older as tf.Tensor4D, last as tf.Tensor4D, model.quantize(z, codes));
          const logp = tf.logSoftmax(logits.reshape([-1, cfg.numClasses]));
          const ce = tf.neg(tf.sum(tf.mul((next as tf.Tensor4D).reshape([-1, cfg.numClasses]), logp), 1));
          return tf.div(tf.sum(tf.mul(ce, w)), tf.sum(w)) as tf.Scalar;
        },
        predict: ([older, last]) => tf.argMax(model.decode(older as tf.Tensor4D, last as tf.Tensor4D, model.codeVectors([0])).reshape([-1, cfg.numClasses]), 1),
        dispose: () => model.dispose(),
      };
    },
  };
}
