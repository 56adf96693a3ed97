// The reference networks of ../shared/peer-bench.md, built the way the project's own networks are
// (tf.layers for the DQN, functional tfjs for the VQ-VAE), and the small interface `npm run bench:nn`
// times. Project networks join the benchmark by exporting a BenchNetSpec and adding it to the list
// in scripts/bench-nn.ts.
import * as tf from '@tensorflow/tfjs';

/** One built network, ready to time. */
export interface BenchNet {
  /** Trainable variables (what Adam updates). */
  variables: tf.Variable[];
  /** Random inputs and targets for one batch. */
  makeBatch(batchSize: number): tf.Tensor[];
  /** Scalar training loss of a batch (forward pass, differentiable w.r.t. `variables`). */
  loss(batch: tf.Tensor[]): tf.Scalar;
  /** Inference pass (what acting / real-time play runs), for batch-1 latency. */
  predict(batch: tf.Tensor[]): tf.Tensor;
  dispose(): void;
}

export interface BenchNetSpec {
  /** Benchmark key prefix: results are named `${name}-b${batch}`. */
  name: string;
  description: string;
  /** Batch sizes to time training steps at. */
  trainBatches: number[];
  /** Batch sizes to time inference at (usually [1]). */
  forwardBatches: number[];
  /** Forward multiply-accumulates per sample (for GMAC/s; a training step is about 3x). */
  forwardMacs: number;
  build(): BenchNet;
}

// ---------------------------------------------------------------------------------------------
// dqn-nature: Mnih et al. 2015. 84x84x4 -> conv 32@8x8/4 -> 64@4x4/2 -> 64@3x3/1 -> 512 -> actions.

export function natureDqnModel(frames = 4, actions = 4): tf.LayersModel {
  return tf.sequential({
    layers: [
      tf.layers.conv2d({ inputShape: [84, 84, frames], filters: 32, kernelSize: 8, strides: 4, activation: 'relu' }),
      tf.layers.conv2d({ filters: 64, kernelSize: 4, strides: 2, activation: 'relu' }),
      tf.layers.conv2d({ filters: 64, kernelSize: 3, strides: 1, activation: 'relu' }),
      tf.layers.flatten(),
      tf.layers.dense({ units: 512, activation: 'relu' }),
      tf.layers.dense({ units: actions }),
    ],
  });
}

function convMacs(oh: number, ow: number, k: number, ci: number, co: number): number {
  return oh * ow * k * k * ci * co;
}

function dqnSpec(name: string, frames: number, trainBatches: number[]): BenchNetSpec {
  const actions = 4;
  return {
    name,
    description: `Nature DQN, 84x84x${frames}, Huber loss on the taken action`,
    trainBatches,
    forwardBatches: [1],
    forwardMacs:
      convMacs(20, 20, 8, frames, 32) + convMacs(9, 9, 4, 32, 64) + convMacs(7, 7, 3, 64, 64) + 3136 * 512 + 512 * actions,
    build() {
      const model = natureDqnModel(frames, actions);
      return {
        variables: model.trainableWeights.map((w) => w.read() as tf.Variable),
        makeBatch: (n) => [
          tf.randomUniform([n, 84, 84, frames], 0, 1),
          tf.oneHot(tf.randomUniform([n], 0, actions, 'int32'), actions),
          tf.randomNormal([n]),
        ],
        loss: ([x, actionMask, target]) => {
          const q = model.apply(x, { training: true }) as tf.Tensor2D;
          const qa = tf.sum(tf.mul(q, actionMask), 1);
          return tf.losses.huberLoss(target, qa) as tf.Scalar;
        },
        predict: ([x]) => model.predict(x) as tf.Tensor,
        dispose: () => model.dispose(),
      };
    },
  };
}

// ---------------------------------------------------------------------------------------------
// vqvae-small: latent action model at 105x80. Encoder over (previous, next) RGB frames: 4 stride-2
// 4x4 convs (32, 64, 128, 128) + 1x1 to 64 -> latent 7x5x64, per-position codebook 64x64 looked up
// as a one-hot matmul (straight-through gradient). Decoder: the same 4-conv encoder over the
// previous frame alone, concatenated with the quantised latent, then 4 stride-2 4x4 transposed
// convs (128, 64, 32, 3) to 112x80, cropped to 105x80. MSE + 0.25 commitment + codebook loss.

/** Identity forward, zero gradient (PyTorch's .detach()). */
const stopGradient: (x: tf.Tensor) => tf.Tensor = tf.customGrad(((x: tf.Tensor) => ({
  value: x.clone(),
  gradFunc: (dy: tf.Tensor) => tf.zerosLike(dy),
})) as unknown as Parameters<typeof tf.customGrad>[0]);

interface ConvParam {
  w: tf.Variable;
  b: tf.Variable;
}
function convParam(k: number, ci: number, co: number, transposed = false): ConvParam {
  const std = Math.sqrt(2 / (k * k * (transposed ? co : ci)));
  return {
    w: tf.variable(tf.randomNormal(transposed ? [k, k, co, ci] : [k, k, ci, co], 0, std)),
    b: tf.variable(tf.zeros([co])),
  };
}

export interface VqvaeSmallConfig {
  height: number;
  width: number;
  channels: number[]; // encoder conv widths; the decoder mirrors them
  latentDim: number;
  codes: number;
  commitment: number;
}
export const VQVAE_SMALL: VqvaeSmallConfig = {
  height: 105, width: 80, channels: [32, 64, 128, 128], latentDim: 64, codes: 64, commitment: 0.25,
};

function vqvaeSmallMacs(c: VqvaeSmallConfig): number {
  let h = c.height;
  let w = c.width;
  let enc = 0; // per input channel count below
  const sizes: Array<[number, number]> = [];
  let ci = 6;
  let frameCi = 3;
  let frameEnc = 0;
  for (const co of c.channels) {
    h = Math.ceil(h / 2);
    w = Math.ceil(w / 2);
    sizes.push([h, w]);
    enc += convMacs(h, w, 4, ci, co);
    frameEnc += convMacs(h, w, 4, frameCi, co);
    ci = co;
    frameCi = co;
  }
  enc += h * w * ci * c.latentDim + h * w * c.latentDim * c.codes * 2;
  let dec = 0;
  let din = ci + c.latentDim;
  const outs = [...c.channels.slice(0, -1).reverse(), 3];
  for (const co of outs) {
    dec += h * w * 16 * din * co; // each input pixel scatters a 4x4 window
    h *= 2;
    w *= 2;
    din = co;
  }
  return enc + frameEnc + dec;
}

export function vqvaeSmallSpec(cfg: VqvaeSmallConfig = VQVAE_SMALL): BenchNetSpec {
  return {
    name: 'vqvae-small',
    description: `VQ-VAE latent action model ${cfg.height}x${cfg.width}, convs ${cfg.channels.join('/')}, codebook ${cfg.codes}x${cfg.latentDim}`,
    trainBatches: [32],
    forwardBatches: [1],
    forwardMacs: vqvaeSmallMacs(cfg),
    build() {
      const enc: ConvParam[] = [];
      const frameEnc: ConvParam[] = [];
      let ci = 6;
      let fci = 3;
      for (const co of cfg.channels) {
        enc.push(convParam(4, ci, co));
        frameEnc.push(convParam(4, fci, co));
        ci = co;
        fci = co;
      }
      const toLatent = convParam(1, ci, cfg.latentDim);
      const codebook = tf.variable(tf.randomUniform([cfg.codes, cfg.latentDim], -1 / cfg.codes, 1 / cfg.codes));
      const dec: ConvParam[] = [];
      let din = ci + cfg.latentDim;
      for (const co of [...cfg.channels.slice(0, -1).reverse(), 3]) {
        dec.push(convParam(4, din, co, true));
        din = co;
      }
      const encode = (x: tf.Tensor4D, layers: ConvParam[]) =>
        layers.reduce(
          (h, p) => tf.fused.conv2d({ x: h, filter: p.w as tf.Tensor4D, strides: 2, pad: 'same', bias: p.b, activation: 'relu' }),
          x,
        );
      const forward = (prev: tf.Tensor4D, next: tf.Tensor4D) => {
        const n = prev.shape[0];
        const feats = encode(tf.concat([prev, next], 3), enc);
        const ze = tf.fused.conv2d({ x: feats, filter: toLatent.w as tf.Tensor4D, strides: 1, pad: 'valid', bias: toLatent.b });
        const [, lh, lw] = ze.shape;
        const flat = ze.reshape([-1, cfg.latentDim]);
        const dist = tf.sub(
          tf.sum(tf.square(codebook), 1),
          tf.mul(2, tf.matMul(flat, codebook, false, true)),
        ); // |c|^2 - 2 z.c (|z|^2 is the same for every code)
        const codes = tf.argMin(dist, 1);
        const zq = tf.matMul(tf.oneHot(codes, cfg.codes), codebook).reshape(ze.shape) as tf.Tensor4D;
        const zst = tf.add(ze, stopGradient(tf.sub(zq, ze))) as tf.Tensor4D;
        let h = tf.concat([encode(prev, frameEnc), zst], 3) as tf.Tensor4D;
        let [hh, hw] = [lh, lw];
        dec.forEach((p, i) => {
          hh *= 2;
          hw *= 2;
          const co = p.w.shape[2] as number;
          h = tf.add(tf.conv2dTranspose(h, p.w as tf.Tensor4D, [n, hh, hw, co], 2, 'same'), p.b) as tf.Tensor4D;
          if (i < dec.length - 1) h = tf.relu(h);
        });
        const recon = tf.slice(h, [0, 0, 0, 0], [n, cfg.height, cfg.width, 3]);
        return { recon, ze, zq };
      };
      const variables = [
        ...enc.flatMap((p) => [p.w, p.b]), ...frameEnc.flatMap((p) => [p.w, p.b]), toLatent.w, toLatent.b, codebook,
        ...dec.flatMap((p) => [p.w, p.b]),
      ];
      return {
        variables,
        makeBatch: (n) => [
          tf.randomUniform([n, cfg.height, cfg.width, 3]),
          tf.randomUniform([n, cfg.height, cfg.width, 3]),
        ],
        loss: ([prev, next]) => {
          const { recon, ze, zq } = forward(prev as tf.Tensor4D, next as tf.Tensor4D);
          const rec = tf.losses.meanSquaredError(next, recon);
          const commit = tf.mean(tf.square(tf.sub(ze, stopGradient(zq))));
          const book = tf.mean(tf.square(tf.sub(stopGradient(ze), zq)));
          return tf.addN([rec, tf.mul(cfg.commitment, commit), book]) as tf.Scalar;
        },
        predict: ([prev, next]) => forward(prev as tf.Tensor4D, next as tf.Tensor4D).recon,
        dispose: () => tf.dispose(variables),
      };
    },
  };
}

/** The networks of ../shared/peer-bench.md (names as the benchmark reports them). */
export const referenceNets: BenchNetSpec[] = [dqnSpec('dqn-nature', 4, [32, 128]), vqvaeSmallSpec()];
