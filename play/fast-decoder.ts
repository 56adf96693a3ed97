// The world model's decoder for play: the same function as LatentActionModel.decode + argmax, computed
// with fewer, fused ops (test/play/neural-env.test.ts holds it to the model's own decode):
//  - the stem (a 1x1 convolution over one-hot cells, so a sum of kernel rows) is kept in plain JS and
//    updated incrementally: as the context slides, each position's frame changes only where
//    consecutive frames differ, so only those pixels' rows are swapped (recomputed in full every
//    REFRESH frames so float rounding cannot drift);
//  - the refine layer convolves concat(up, stem); its stem half changes only around the touched stem
//    cells, so it is kept in JS too, updated through the 3x3 kernel from those cells alone (in a
//    game broken into pieces, when too many cells change, it is convolved in WebAssembly instead);
//  - each code's contribution to a layer (a dense layer of the code vector) is a per-code bias,
//    folded into the convolution's bias once at load, so every conv is a fused conv+bias(+relu);
//  - depth-to-space as the model's reshape + transpose (tf.depthToSpace is a slow fallback on wasm);
//  - the learned class-to-class prior (with the keep bias on its diagonal) and the decoding to classes
//    are done in plain JS on the read-back logits (pipeline/breakout-decode.ts): the prior only adds
//    prior[last class][c] to each sub-pixel's logits.
// Browser-safe (TensorFlow.js only).
import * as tf from '@tensorflow/tfjs';
import { depthToSpace, type LatentActionModel, padding } from '../models/latent-action';
import { decodeBreakoutFrame, type DecodeHeads, PIXEL_OF } from '../pipeline/breakout-decode';
import { FRAME_HEIGHT, FRAME_WIDTH } from '../pipeline/frame-classes';

const EXPECTED = ['dec/stem_last/kernel', 'dec/down/kernel', 'dec/up/kernel', 'dec/refine/kernel', 'dec/head/kernel', 'dec/prior'];

/** Frames between full recomputations of the stem sum (bounds float drift). */
const REFRESH = 64;

/** Above this many touched stem cells in a step, the refine layer's stem share is convolved in full. */
const MAX_TOUCHED = 160;

export class FastDecoder {
  /** Per context position p (0 = oldest): kernel rows [16*C, S] of the stem for that frame slot. */
  private readonly stemRows: Float32Array[];
  private readonly stemBias: Float32Array;
  private readonly stemChannels: number;
  /** The stem's grid at 1/4 resolution (padded rows included): h4 x w4 cells. */
  private readonly h4: number;
  private readonly w4: number;
  private readonly cells: number;
  /** Context frames (class frames, oldest first). */
  private frames: Uint8Array[] = [];
  /** Pixels that differ between context frames p and p+1 (K-1 lists). */
  private changes: Int32Array[] = [];
  private sinceFull = 0;
  /** The stem before bias and ReLU: the sum over positions of each context frame's kernel rows. */
  private readonly stemSum: Float32Array;
  /** The stem, ReLU(stemSum + bias), [cells, S]. */
  private readonly stem: Float32Array;
  /** The refine convolution's share from the stem (its input is concat(up, stem)), [cells, R]; valid while refineFresh. */
  private readonly refineFromStem: Float32Array;
  private refineFresh = false;
  /** The refine kernel split by input: rows for `up` (a tensor) and for the stem ([3, 3, S, R] in JS). */
  private readonly refineUpKernel: tf.Tensor4D;
  private readonly refineStemKernel: tf.Tensor4D;
  private readonly refineStemWeights: Float32Array;
  /** Stem cells touched by the last push (a marker per cell and the list). */
  private readonly touchedMark: Uint8Array;
  private readonly touched: Int32Array;
  /** Per code: the bias of each code-conditioned layer (conv bias + code dense). */
  private readonly codeBias: { down: tf.Tensor1D; body: tf.Tensor1D[]; refine: tf.Tensor1D; coarse: tf.Tensor1D[] }[];
  private readonly prior: Float32Array;
  private readonly cellsPerFrame: number;
  /** The last frame's class per sub-pixel in packed order (-1 on padding rows), for the prior. */
  private readonly lastCells: Int8Array;
  /** Per frame pixel: its stem cell's offset (cell * S) and its sub-pixel's row offset (sub * C). */
  private readonly cellOf: Int32Array;
  private readonly subOf: Int32Array;

  /** Whether `model` has the decoder layout this fast path implements (and Breakout's screen and 9 colour classes). */
  static supports(model: LatentActionModel): boolean {
    const cfg = model.config;
    return EXPECTED.every((n) => model.params.has(n)) && (cfg.contextFrames === 1 || model.params.has('dec/stem_old/kernel'))
      && cfg.numClasses === 9 && cfg.height === FRAME_HEIGHT && cfg.width === FRAME_WIDTH;
  }

  /** `heads` place the ball and the paddle of each predicted frame (models/ball-head.ts, models/paddle-head.ts). */
  constructor(readonly model: LatentActionModel, private readonly heads: DecodeHeads = {}) {
    if (!FastDecoder.supports(model)) throw new Error('FastDecoder: unknown decoder layout');
    const cfg = model.config;
    const p = (n: string) => this.param(n);
    const K = cfg.contextFrames;
    const C = cfg.numClasses;
    const S = cfg.stemChannels;
    const cell = 16 * C;
    const old = K > 1 ? p('dec/stem_old/kernel').dataSync() : new Float32Array(0);
    this.stemRows = Array.from({ length: K }, (_, pos) =>
      pos === K - 1 ? new Float32Array(p('dec/stem_last/kernel').dataSync()) : new Float32Array(old.subarray(pos * cell * S, (pos + 1) * cell * S)),
    );
    this.stemBias = new Float32Array(p('dec/stem_last/bias').dataSync());
    this.stemChannels = S;
    this.codeBias = [];
    for (let k = 0; k < cfg.codebookSize; k++) {
      this.codeBias.push(tf.tidy(() => {
        const code = model.codeVectors([k]);
        const bias = (layer: string, codeLayer: string) =>
          tf.keep(p(`${layer}/bias`).add(tf.matMul(code, p(`${codeLayer}/kernel`)).add(p(`${codeLayer}/bias`)).reshape([-1])) as tf.Tensor1D);
        return {
          down: bias('dec/down', 'dec/code_down'),
          body: Array.from({ length: cfg.bodyBlocks }, (_, i) => bias(`dec/body${i}`, `dec/code_body${i}`)),
          refine: bias('dec/refine', 'dec/code_refine'),
          // The 1/16 path's down layer, then its blocks (none without the path).
          coarse: cfg.coarseBlocks > 0
            ? [bias('dec/coarse_down', 'dec/code_coarse_down'), ...Array.from({ length: cfg.coarseBlocks }, (_, i) => bias(`dec/coarse${i}`, `dec/code_coarse${i}`))]
            : [],
        };
      }));
    }
    this.prior = new Float32Array(p('dec/prior').dataSync());
    for (let c = 0; c < C; c++) this.prior[c * C + c] += cfg.keepBias; // see LatentActionConfig.keepBias
    const { paddedH, top } = padding(cfg);
    const w4 = cfg.width / 4;
    this.h4 = paddedH / 4;
    this.w4 = w4;
    this.cells = this.h4 * w4;
    this.cellsPerFrame = this.cells * 16;
    this.stemSum = new Float32Array(this.cells * S);
    this.stem = new Float32Array(this.cells * S);
    const R = cfg.refineChannels;
    const refine = p('dec/refine/kernel');
    this.refineUpKernel = tf.slice(refine, [0, 0, 0, 0], [3, 3, S, R]) as tf.Tensor4D;
    this.refineStemKernel = tf.slice(refine, [0, 0, S, 0], [3, 3, S, R]) as tf.Tensor4D;
    this.refineStemWeights = new Float32Array(this.refineStemKernel.dataSync());
    this.refineFromStem = new Float32Array(this.cells * R);
    this.touchedMark = new Uint8Array(this.cells);
    this.touched = new Int32Array(this.cells);
    this.lastCells = new Int8Array(this.cellsPerFrame);
    this.cellOf = new Int32Array(cfg.height * cfg.width);
    this.subOf = new Int32Array(cfg.height * cfg.width);
    for (let y = 0; y < cfg.height; y++) {
      const py = y + top;
      for (let x = 0; x < cfg.width; x++) {
        const cellIndex = (py >> 2) * w4 + (x >> 2), sub = (py & 3) * 4 + (x & 3), i = y * cfg.width + x;
        this.cellOf[i] = cellIndex * S;
        this.subOf[i] = sub * C;
      }
    }
  }

  /** Start from K context class frames (oldest first). */
  reset(frames: readonly Uint8Array[]): void {
    const K = this.model.config.contextFrames;
    if (frames.length !== K) throw new Error(`FastDecoder.reset: ${frames.length} frames, the model needs ${K}`);
    this.frames = frames.map((f) => f.slice());
    this.changes = this.frames.slice(1).map((f, p) => changedPixels(this.frames[p], f));
    this.rebuildStem();
    this.setLastCells(this.frames[K - 1]);
  }

  /**
   * Slide a new class frame into the context. Every frame moves one position older, so the stem sum
   * changes only at the pixels where consecutive frames differ: at position p, the rows of frame p's
   * classes are swapped for frame p+1's (a few hundred pixels a step, not the 33,600 of a frame).
   * The stem and the refine layer's share from it then change only around the touched cells.
   */
  push(frame: Uint8Array): void {
    if (this.frames.length === 0) throw new Error('FastDecoder.push before reset');
    const K = this.frames.length;
    const newest = changedPixels(this.frames[K - 1], frame);
    this.frames.push(frame.slice());
    this.changes.push(newest);
    // The prior's last class per sub-pixel changes where the new frame does.
    const S = this.stemChannels, C = this.model.config.numClasses;
    for (const i of newest) this.lastCells[(this.cellOf[i] / S) * 16 + this.subOf[i] / C] = frame[i];
    if (++this.sinceFull >= REFRESH) {
      this.frames.shift();
      this.changes.shift();
      this.rebuildStem();
    } else {
      const sum = this.stemSum, cellOf = this.cellOf, subOf = this.subOf;
      const mark = this.touchedMark, touched = this.touched;
      let n = 0;
      for (let pos = 0; pos < K; pos++) {
        const rows = this.stemRows[pos], before = this.frames[pos], after = this.frames[pos + 1];
        for (const i of this.changes[pos]) {
          const o = cellOf[i], rNew = (subOf[i] + after[i]) * S, rOld = (subOf[i] + before[i]) * S;
          for (let k = 0; k < S; k++) sum[o + k] += rows[rNew + k] - rows[rOld + k];
          const c = o / S;
          if (!mark[c]) { mark[c] = 1; touched[n++] = c; }
        }
      }
      this.frames.shift();
      this.changes.shift();
      for (let j = 0; j < n; j++) mark[touched[j]] = 0;
      this.updateStem(touched.subarray(0, n));
    }
  }

  /** Stem sum and stem from scratch (at reset, and every REFRESH frames so float rounding cannot drift). */
  private rebuildStem(): void {
    const S = this.stemChannels, sum = this.stemSum, cellOf = this.cellOf, subOf = this.subOf;
    sum.fill(0);
    this.frames.forEach((frame, pos) => {
      const rows = this.stemRows[pos];
      for (let i = 0; i < frame.length; i++) {
        const o = cellOf[i], r = (subOf[i] + frame[i]) * S;
        for (let k = 0; k < S; k++) sum[o + k] += rows[r + k];
      }
    });
    const stem = this.stem, bias = this.stemBias;
    for (let o = 0; o < sum.length; o += S) {
      for (let k = 0; k < S; k++) {
        const v = sum[o + k] + bias[k];
        stem[o + k] = v > 0 ? v : 0;
      }
    }
    this.refineFresh = false;
    this.sinceFull = 0;
  }

  /**
   * ReLU the touched stem cells and pass each one's change through the refine layer's 3x3 stem
   * kernel to its 9 neighbours (only the channels that changed: after the ReLU most stay 0). With
   * many touched cells (a game in pieces) that costs more than the convolution in WebAssembly, so
   * predict() convolves the stem there instead until a quiet step brings the JS copy back.
   */
  private updateStem(touched: Int32Array): void {
    const cfg = this.model.config;
    const S = this.stemChannels, R = cfg.refineChannels, { h4, w4 } = this;
    const sum = this.stemSum, stem = this.stem, bias = this.stemBias;
    const out = this.refineFromStem, w = this.refineStemWeights;
    const quiet = touched.length <= MAX_TOUCHED;
    const incremental = quiet && this.refineFresh;
    for (const c of touched) {
      const cy = (c / w4) | 0, cx = c - cy * w4;
      for (let k = 0; k < S; k++) {
        const v = sum[c * S + k] + bias[k];
        const now = v > 0 ? v : 0;
        const d = now - stem[c * S + k];
        if (d === 0) continue;
        stem[c * S + k] = now;
        if (!incremental) continue;
        // out[y, x] += stem[y + ky - 1, x + kx - 1] * w[ky, kx] (a 'same' cross-correlation).
        for (let ky = 0; ky < 3; ky++) {
          const y = cy - ky + 1;
          if (y < 0 || y >= h4) continue;
          for (let kx = 0; kx < 3; kx++) {
            const x = cx - kx + 1;
            if (x < 0 || x >= w4) continue;
            const o = (y * w4 + x) * R, wo = ((ky * 3 + kx) * S + k) * R;
            for (let r = 0; r < R; r++) out[o + r] += d * w[wo + r];
          }
        }
      }
    }
    if (quiet && !this.refineFresh) {
      const t = tf.tidy(() => tf.conv2d(this.stemTensor(), this.refineStemKernel, 1, 'same'));
      out.set(t.dataSync());
      t.dispose();
    }
    this.refineFresh = quiet;
  }

  private stemTensor(): tf.Tensor4D {
    return tf.tensor4d(this.stem, [1, this.h4, this.w4, this.stemChannels]);
  }

  /** Most likely next class frame after the current context for `code`. */
  predict(code: number): Uint8Array {
    const delta = this.forward(code);
    // On WebAssembly, read the logits where they lie on the wasm heap instead of copying ~1 MB.
    const heap = tf.backend() as { typedArrayFromHeap?: (t: tf.TensorInfo) => ArrayLike<number> };
    try {
      const logits = heap.typedArrayFromHeap ? heap.typedArrayFromHeap(delta) : delta.dataSync();
      return decodeBreakoutFrame(logits, 0, PIXEL_OF, this.prior, this.lastCells, this.frames, this.heads, code);
    } finally {
      delta.dispose();
    }
  }

  /** The decoder's logits for `code` before the class prior, packed [h4, w4, 16 * C] (what tests hold to the model). */
  logits(code: number): Float32Array {
    const delta = this.forward(code);
    try {
      return delta.dataSync() as Float32Array;
    } finally {
      delta.dispose();
    }
  }

  /** A decoder parameter of the model (throws when its layout lacks it). */
  private param(name: string): tf.Tensor {
    const v = this.model.params.get(name);
    if (!v) throw new Error(`FastDecoder: no parameter ${name}`);
    return v;
  }

  private forward(code: number): tf.Tensor4D {
    const cfg = this.model.config;
    const p = (n: string) => this.param(n);
    const cb = this.codeBias[code];
    if (!cb) throw new RangeError(`code ${code} outside the codebook (0..${cfg.codebookSize - 1})`);
    if (this.frames.length === 0) throw new Error('FastDecoder.predict before reset');
    const R = cfg.refineChannels, { h4, w4 } = this;
    return tf.tidy(() => {
      const stem = this.stemTensor();
      let h = tf.fused.conv2d({ x: stem, filter: p('dec/down/kernel') as tf.Tensor4D, strides: 2, pad: 'valid', bias: cb.down, activation: 'relu' });
      if (cb.coarse.length > 0) h = this.coarsePath(h, cb.coarse);
      h = this.model.withGlobal(h);
      for (let i = 0; i < cfg.bodyBlocks; i++) {
        const r = tf.fused.conv2d({ x: h, filter: p(`dec/body${i}/kernel`) as tf.Tensor4D, strides: 1, pad: 'same', bias: cb.body[i] });
        h = tf.relu(h.add(r)) as tf.Tensor4D;
      }
      const up = depthToSpace(tf.fused.conv2d({ x: h, filter: p('dec/up/kernel') as tf.Tensor4D, strides: 1, pad: 'valid', bias: p('dec/up/bias') as tf.Tensor1D, activation: 'relu' }), 2);
      // The refine conv over concat(up, stem) as the sum of its two halves: the stem's half mostly comes from JS.
      const fromUp = tf.fused.conv2d({ x: up, filter: this.refineUpKernel, strides: 1, pad: 'same', bias: cb.refine });
      const fromStem = this.refineFresh ? tf.tensor4d(this.refineFromStem, [1, h4, w4, R]) : tf.conv2d(stem, this.refineStemKernel, 1, 'same');
      const refined = tf.relu(fromUp.add(fromStem)) as tf.Tensor4D;
      return tf.fused.conv2d({ x: refined, filter: p('dec/head/kernel') as tf.Tensor4D, strides: 1, pad: 'valid', bias: p('dec/head/bias') as tf.Tensor1D });
    });
  }

  /** LatentActionModel.coarsePath with each layer's code term folded into its bias (fused convs). */
  private coarsePath(h: tf.Tensor4D, [downBias, ...blockBias]: tf.Tensor1D[]): tf.Tensor4D {
    const p = (n: string) => this.param(n);
    const [, rows, cols] = h.shape;
    let c = tf.fused.conv2d({ x: h, filter: p('dec/coarse_down/kernel') as tf.Tensor4D, strides: 2, pad: 'same', bias: downBias, activation: 'relu' });
    for (let i = 0; i < blockBias.length; i++) {
      const r = tf.fused.conv2d({ x: c, filter: p(`dec/coarse${i}/kernel`) as tf.Tensor4D, strides: 1, pad: 'same', bias: blockBias[i] });
      c = tf.relu(c.add(r)) as tf.Tensor4D;
    }
    const up = depthToSpace(tf.fused.conv2d({ x: c, filter: p('dec/coarse_up/kernel') as tf.Tensor4D, strides: 1, pad: 'valid', bias: p('dec/coarse_up/bias') as tf.Tensor1D }), 2);
    return h.add(up.shape[1] === rows && up.shape[2] === cols ? up : up.slice([0, 0, 0, 0], [-1, rows, cols, -1])) as tf.Tensor4D;
  }

  /** lastCells from a whole frame (at reset; push updates it where frames change). */
  private setLastCells(classes: Uint8Array): void {
    const { lastCells } = this;
    for (let i = 0; i < PIXEL_OF.length; i++) lastCells[i] = PIXEL_OF[i] >= 0 ? classes[PIXEL_OF[i]] : -1;
  }

  dispose(): void {
    this.refineUpKernel.dispose();
    this.refineStemKernel.dispose();
    for (const b of this.codeBias) {
      b.down.dispose();
      b.refine.dispose();
      for (const t of [...b.body, ...b.coarse]) t.dispose();
    }
  }
}

/** Indices of the pixels where two class frames differ. */
function changedPixels(a: Uint8Array, b: Uint8Array): Int32Array {
  let n = 0;
  for (let i = 0; i < a.length; i++) if (a[i] !== b[i]) n++;
  const out = new Int32Array(n);
  for (let i = 0, j = 0; i < a.length; i++) if (a[i] !== b[i]) out[j++] = i;
  return out;
}
