// The world model's decoder for play: the same function as LatentActionModel.decode + argmax, computed
// with fewer, fused ops (test/play/fast-decoder.test.ts holds it to the model's own decode):
//  - the stem (a 1x1 convolution over one-hot cells, so a sum of kernel rows) is kept in plain JS and
//    updated incrementally: consecutive frames differ in a few cells, so each new frame's stem
//    contribution at every context position is the previous frame's plus the rows of the changed
//    sub-pixels (recomputed in full every REFRESH frames so float rounding cannot drift);
//  - each code's contribution to a layer (a dense layer of the code vector) is a per-code bias,
//    folded into the convolution's bias once at load, so every conv is a fused conv+bias(+relu);
//  - depth-to-space as the model's reshape + transpose (tf.depthToSpace is a slow fallback on wasm);
//  - the learned class-to-class prior and the per-pixel argmax are done in plain JS on the read-back
//    logits: the prior only adds prior[last class][c] to each sub-pixel's logits.
// Browser-safe (TensorFlow.js only).
import * as tf from '@tensorflow/tfjs';
import { depthToSpace, type LatentActionModel, padding } from '../models/latent-action';

const EXPECTED = ['dec/stem_last/kernel', 'dec/down/kernel', 'dec/up/kernel', 'dec/refine/kernel', 'dec/head/kernel', 'dec/prior'];

/** Frames between full recomputations of a stem contribution (bounds float drift). */
const REFRESH = 64;

export class FastDecoder {
  /** Per context position p (0 = oldest): kernel rows [16*C, S] of the stem for that frame slot. */
  private readonly stemRows: Float32Array[];
  private readonly stemBias: Float32Array;
  private readonly stemChannels: number;
  private readonly cells: number;
  /** Context frames (class frames, oldest first) and each one's stem contribution at every position. */
  private frames: Uint8Array[] = [];
  private contribs: Float32Array[][] = [];
  private sinceFull = 0;
  private readonly stemPre: Float32Array;
  /** Per code: the bias of each code-conditioned layer (conv bias + code dense). */
  private readonly codeBias: { down: tf.Tensor1D; body: tf.Tensor1D[]; refine: tf.Tensor1D }[];
  private readonly prior: Float32Array;
  private readonly cellsPerFrame: number;

  /** Whether `model` has the decoder layout this fast path implements. */
  static supports(model: LatentActionModel): boolean {
    return EXPECTED.every((n) => model.params.has(n)) && (model.config.contextFrames === 1 || model.params.has('dec/stem_old/kernel'));
  }

  constructor(readonly model: LatentActionModel) {
    if (!FastDecoder.supports(model)) throw new Error('FastDecoder: unknown decoder layout');
    const cfg = model.config;
    const p = (n: string) => {
      const v = model.params.get(n);
      if (!v) throw new Error(`FastDecoder: no parameter ${n}`);
      return v;
    };
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
        };
      }));
    }
    this.prior = new Float32Array(p('dec/prior').dataSync());
    const { paddedH } = padding(cfg);
    this.cells = (paddedH / 4) * (cfg.width / 4);
    this.cellsPerFrame = this.cells * 16;
    this.stemPre = new Float32Array(this.cells * S);
    this.lastCells = new Int8Array(this.cellsPerFrame);
    // The frame pixel of each packed sub-pixel (unpackClasses' layout; padding rows map nowhere).
    this.pixelOf = new Int32Array(this.cellsPerFrame).fill(-1);
    const { top } = padding(cfg);
    const w4 = cfg.width / 4;
    for (let y = 0; y < cfg.height; y++) {
      const py = y + top;
      for (let x = 0; x < cfg.width; x++) this.pixelOf[((py >> 2) * w4 + (x >> 2)) * 16 + (py & 3) * 4 + (x & 3)] = y * cfg.width + x;
    }
  }

  private readonly lastCells: Int8Array;
  private readonly pixelOf: Int32Array;

  /** Start from K context class frames (oldest first). */
  reset(frames: readonly Uint8Array[]): void {
    const K = this.model.config.contextFrames;
    if (frames.length !== K) throw new Error(`FastDecoder.reset: ${frames.length} frames, the model needs ${K}`);
    this.frames = frames.map((f) => f.slice());
    this.contribs = this.frames.map((f) => this.fullContribs(f));
    this.sinceFull = 0;
    this.setLastCells(this.frames[K - 1]);
  }

  /** Slide a new class frame into the context. */
  push(frame: Uint8Array): void {
    if (this.frames.length === 0) throw new Error('FastDecoder.push before reset');
    const prev = this.frames[this.frames.length - 1];
    const prevContribs = this.contribs[this.contribs.length - 1];
    this.sinceFull++;
    // The oldest frame's arrays are reused for the new one (no 0.8 MB of garbage per step).
    const recycled = this.contribs.shift() ?? [];
    this.frames.shift();
    const next = this.sinceFull >= REFRESH ? this.fullContribs(frame, recycled) : this.deltaContribs(prev, prevContribs, frame, recycled);
    if (this.sinceFull >= REFRESH) this.sinceFull = 0;
    this.frames.push(frame.slice());
    this.contribs.push(next);
    this.setLastCells(frame);
  }

  /** Stem contribution of one class frame at every context position: K arrays [cells * S]. */
  private fullContribs(frame: Uint8Array, reuse: Float32Array[] = []): Float32Array[] {
    const cfg = this.model.config;
    const { top } = padding(cfg);
    const C = cfg.numClasses, S = this.stemChannels, w4 = cfg.width / 4;
    return this.stemRows.map((rows, pos) => {
      const out = reuse[pos] ?? new Float32Array(this.cells * S);
      out.fill(0);
      for (let y = 0; y < cfg.height; y++) {
        const py = y + top;
        for (let x = 0; x < cfg.width; x++) {
          const o = ((py >> 2) * w4 + (x >> 2)) * S;
          const r = (((py & 3) * 4 + (x & 3)) * C + frame[y * cfg.width + x]) * S;
          for (let k = 0; k < S; k++) out[o + k] += rows[r + k];
        }
      }
      return out;
    });
  }

  /** The same from the previous frame's contributions: swap the rows of the pixels that changed. */
  private deltaContribs(prev: Uint8Array, prevContribs: Float32Array[], frame: Uint8Array, reuse: Float32Array[] = []): Float32Array[] {
    const cfg = this.model.config;
    const { top } = padding(cfg);
    const C = cfg.numClasses, S = this.stemChannels, w4 = cfg.width / 4;
    const out = prevContribs.map((c, pos) => {
      const o = reuse[pos] ?? new Float32Array(c.length);
      o.set(c);
      return o;
    });
    for (let i = 0; i < frame.length; i++) {
      if (frame[i] === prev[i]) continue;
      const y = (i / cfg.width) | 0, x = i - y * cfg.width, py = y + top;
      const o = ((py >> 2) * w4 + (x >> 2)) * S;
      const sub = ((py & 3) * 4 + (x & 3)) * C;
      const rNew = (sub + frame[i]) * S, rOld = (sub + prev[i]) * S;
      for (let pos = 0; pos < out.length; pos++) {
        const rows = this.stemRows[pos], c = out[pos];
        for (let k = 0; k < S; k++) c[o + k] += rows[rNew + k] - rows[rOld + k];
      }
    }
    return out;
  }

  /** Most likely next class frame after the current context for `code`. */
  predict(code: number): Uint8Array {
    const cfg = this.model.config;
    const p = (n: string) => this.model.params.get(n) as tf.Tensor;
    const cb = this.codeBias[code];
    if (!cb) throw new RangeError(`code ${code} outside the codebook (0..${cfg.codebookSize - 1})`);
    if (this.frames.length === 0) throw new Error('FastDecoder.predict before reset');
    // Stem: each context frame's contribution at its position, plus the bias, then ReLU (few passes:
    // this runs every frame).
    const S = this.stemChannels, pre = this.stemPre, bias = this.stemBias;
    pre.set(this.contribs[0][0]);
    for (let pos = 1; pos < this.contribs.length; pos++) {
      const part = this.contribs[pos][pos];
      for (let i = 0; i < pre.length; i++) pre[i] += part[i];
    }
    for (let o = 0; o < pre.length; o += S) {
      for (let k = 0; k < S; k++) {
        const v = pre[o + k] + bias[k];
        pre[o + k] = v > 0 ? v : 0;
      }
    }
    const { paddedH } = padding(cfg);
    const delta = tf.tidy(() => {
      const stem = tf.tensor4d(pre, [1, paddedH / 4, cfg.width / 4, S]);
      let h = tf.fused.conv2d({ x: stem, filter: p('dec/down/kernel') as tf.Tensor4D, strides: 2, pad: 'valid', bias: cb.down, activation: 'relu' });
      for (let i = 0; i < cfg.bodyBlocks; i++) {
        const r = tf.fused.conv2d({ x: h, filter: p(`dec/body${i}/kernel`) as tf.Tensor4D, strides: 1, pad: 'same', bias: cb.body[i] });
        h = tf.relu(h.add(r)) as tf.Tensor4D;
      }
      const up = depthToSpace(tf.fused.conv2d({ x: h, filter: p('dec/up/kernel') as tf.Tensor4D, strides: 1, pad: 'valid', bias: p('dec/up/bias') as tf.Tensor1D, activation: 'relu' }), 2);
      const refined = tf.fused.conv2d({ x: tf.concat([up, stem], 3), filter: p('dec/refine/kernel') as tf.Tensor4D, strides: 1, pad: 'same', bias: cb.refine, activation: 'relu' });
      return tf.fused.conv2d({ x: refined, filter: p('dec/head/kernel') as tf.Tensor4D, strides: 1, pad: 'valid', bias: p('dec/head/bias') as tf.Tensor1D });
    });
    // On WebAssembly, read the logits where they lie on the wasm heap instead of copying ~1 MB.
    const heap = tf.backend() as { typedArrayFromHeap?: (t: tf.TensorInfo) => ArrayLike<number> };
    try {
      return this.argmaxFrame(heap.typedArrayFromHeap ? heap.typedArrayFromHeap(delta) : delta.dataSync());
    } finally {
      delta.dispose();
    }
  }

  /** Argmax of logits + prior[last class] per sub-pixel, written straight to a new frame (padding skipped). */
  private argmaxFrame(logits: ArrayLike<number>): Uint8Array {
    const cfg = this.model.config;
    const lastCells = this.lastCells;
    const C = cfg.numClasses;
    const prior = this.prior, pixelOf = this.pixelOf;
    const frame = new Uint8Array(cfg.height * cfg.width);
    for (let i = 0, o = 0; i < this.cellsPerFrame; i++, o += C) {
      const last = lastCells[i];
      if (last < 0) continue;
      const pr = last * C;
      let best = 0;
      let bestV = logits[o] + prior[pr];
      for (let c = 1; c < C; c++) {
        const v = logits[o + c] + prior[pr + c];
        // Strictly greater: ties go to the lowest class, as tf.argMax does.
        if (v > bestV) { bestV = v; best = c; }
      }
      frame[pixelOf[i]] = best;
    }
    return frame;
  }

  /** Keeps the last frame's class per sub-pixel in packed order (-1 on padding rows) for the prior. */
  private setLastCells(classes: Uint8Array): void {
    const { pixelOf, lastCells } = this;
    for (let i = 0; i < pixelOf.length; i++) lastCells[i] = pixelOf[i] >= 0 ? classes[pixelOf[i]] : -1;
  }

  dispose(): void {
    for (const b of this.codeBias) {
      b.down.dispose();
      b.refine.dispose();
      for (const t of b.body) t.dispose();
    }
  }
}
