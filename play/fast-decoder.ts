// The world model's decoder for play: the same function as LatentActionModel.decode + argmax, computed
// with fewer, fused ops (test/play/fast-decoder.test.ts holds it to the model's own decode):
//  - one stem convolution over all K packed frames (the older and last kernels concatenated);
//  - each code's contribution to a layer (a dense layer of the code vector) is a per-code bias,
//    folded into the convolution's bias once at load, so every conv is a fused conv+bias(+relu);
//  - depth-to-space as the model's reshape + transpose (tf.depthToSpace is a slow fallback on wasm);
//  - the learned class-to-class prior and the per-pixel argmax are done in plain JS on the read-back
//    logits: the prior only adds prior[last class][c] to each sub-pixel's logits.
// Browser-safe (TensorFlow.js only).
import * as tf from '@tensorflow/tfjs';
import { depthToSpace, type LatentActionModel, padding, unpackClasses } from '../models/latent-action';

const EXPECTED = ['dec/stem_last/kernel', 'dec/down/kernel', 'dec/up/kernel', 'dec/refine/kernel', 'dec/head/kernel', 'dec/prior'];

export class FastDecoder {
  private readonly stemKernel: tf.Tensor4D;
  private readonly stemBias: tf.Tensor1D;
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
    this.stemKernel = tf.tidy(() => (cfg.contextFrames > 1 ? tf.concat([p('dec/stem_old/kernel'), p('dec/stem_last/kernel')], 2) : p('dec/stem_last/kernel').clone()) as tf.Tensor4D);
    this.stemBias = p('dec/stem_last/bias').clone() as tf.Tensor1D;
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
    this.cellsPerFrame = (paddedH / 4) * (cfg.width / 4) * 16;
  }

  /**
   * Most likely next class frame. `packed`: the K context frames' packed tensors [1,h4,w4,16C], oldest
   * first; `lastCells`: the last frame's class per sub-pixel in the packed order (-1 on padding rows).
   */
  predict(packed: tf.Tensor4D[], lastCells: Int8Array, code: number): Uint8Array {
    const cfg = this.model.config;
    const p = (n: string) => this.model.params.get(n) as tf.Tensor;
    const cb = this.codeBias[code];
    if (!cb) throw new RangeError(`code ${code} outside the codebook (0..${cfg.codebookSize - 1})`);
    const delta = tf.tidy(() => {
      const input = packed.length === 1 ? packed[0] : tf.concat(packed, 3) as tf.Tensor4D;
      const stem = tf.fused.conv2d({ x: input, filter: this.stemKernel, strides: 1, pad: 'valid', bias: this.stemBias, activation: 'relu' });
      let h = tf.fused.conv2d({ x: stem, filter: p('dec/down/kernel') as tf.Tensor4D, strides: 2, pad: 'valid', bias: cb.down, activation: 'relu' });
      for (let i = 0; i < cfg.bodyBlocks; i++) {
        const r = tf.fused.conv2d({ x: h, filter: p(`dec/body${i}/kernel`) as tf.Tensor4D, strides: 1, pad: 'same', bias: cb.body[i] });
        h = tf.relu(h.add(r)) as tf.Tensor4D;
      }
      const up = depthToSpace(tf.fused.conv2d({ x: h, filter: p('dec/up/kernel') as tf.Tensor4D, strides: 1, pad: 'valid', bias: p('dec/up/bias') as tf.Tensor1D, activation: 'relu' }), 2);
      const refined = tf.fused.conv2d({ x: tf.concat([up, stem], 3), filter: p('dec/refine/kernel') as tf.Tensor4D, strides: 1, pad: 'same', bias: cb.refine, activation: 'relu' });
      return tf.fused.conv2d({ x: refined, filter: p('dec/head/kernel') as tf.Tensor4D, strides: 1, pad: 'valid', bias: p('dec/head/bias') as tf.Tensor1D });
    });
    let logits: Float32Array;
    try {
      logits = delta.dataSync() as Float32Array;
    } finally {
      delta.dispose();
    }
    const C = cfg.numClasses;
    const prior = this.prior;
    const cells = new Uint8Array(this.cellsPerFrame);
    for (let i = 0, o = 0; i < this.cellsPerFrame; i++, o += C) {
      const last = lastCells[i];
      const pr = last >= 0 ? last * C : -1;
      let best = 0;
      let bestV = -Infinity;
      for (let c = 0; c < C; c++) {
        const v = logits[o + c] + (pr >= 0 ? prior[pr + c] : 0);
        // Strictly greater: ties go to the lowest class, as tf.argMax does.
        if (v > bestV) { bestV = v; best = c; }
      }
      cells[i] = best;
    }
    return unpackClasses(cfg, cells);
  }

  /** The last frame's class per sub-pixel in packed order, -1 on padding rows. */
  static lastCells(cfg: LatentActionModel['config'], classes: Uint8Array, out?: Int8Array): Int8Array {
    const { top, paddedH } = padding(cfg);
    const w4 = cfg.width / 4;
    const cells = out ?? new Int8Array((paddedH / 4) * w4 * 16);
    cells.fill(-1);
    for (let y = 0; y < cfg.height; y++) {
      const py = y + top;
      const rowBase = (py >> 2) * w4 * 16 + (py & 3) * 4;
      for (let x = 0; x < cfg.width; x++) cells[rowBase + (x >> 2) * 16 + (x & 3)] = classes[y * cfg.width + x];
    }
    return cells;
  }

  dispose(): void {
    this.stemKernel.dispose();
    this.stemBias.dispose();
    for (const b of this.codeBias) {
      b.down.dispose();
      b.refine.dispose();
      for (const t of b.body) t.dispose();
    }
  }
}
