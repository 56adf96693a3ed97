// Random network distillation (Burda et al. 2018): a fixed, randomly initialised target network maps
// an observation to features; a predictor network learns to reproduce them. The predictor's error is
// large on observations unlike those it has trained on, so it serves as a novelty bonus.
// Input: the newest single observation (84x84x1 frame or the normalised RAM vector), not the stack.
import * as tf from '@tensorflow/tfjs';

export interface RndConfig {
  kind: 'conv' | 'mlp';
  inputShape: number[];
  /** Output feature width of both networks. */
  features: number;
  seed: number;
}

function body(cfg: RndConfig, name: string, deep: boolean, seed: number): tf.LayersModel {
  let s = seed;
  const init = () => tf.initializers.varianceScaling({ scale: 2, mode: 'fanIn', distribution: 'normal', seed: s++ });
  const input = tf.input({ shape: cfg.inputShape });
  let x: tf.SymbolicTensor = input;
  if (cfg.kind === 'conv') {
    x = tf.layers.conv2d({ filters: 32, kernelSize: 8, strides: 4, activation: 'relu', kernelInitializer: init() }).apply(x) as tf.SymbolicTensor;
    x = tf.layers.conv2d({ filters: 64, kernelSize: 4, strides: 2, activation: 'relu', kernelInitializer: init() }).apply(x) as tf.SymbolicTensor;
    x = tf.layers.conv2d({ filters: 64, kernelSize: 3, strides: 1, activation: 'relu', kernelInitializer: init() }).apply(x) as tf.SymbolicTensor;
    x = tf.layers.flatten().apply(x) as tf.SymbolicTensor;
  } else {
    x = tf.layers.dense({ units: 256, activation: 'relu', kernelInitializer: init() }).apply(x) as tf.SymbolicTensor;
  }
  if (deep) x = tf.layers.dense({ units: 256, activation: 'relu', kernelInitializer: init() }).apply(x) as tf.SymbolicTensor;
  const out = tf.layers.dense({ units: cfg.features, kernelInitializer: init() }).apply(x) as tf.SymbolicTensor;
  return tf.model({ inputs: input, outputs: out, name });
}

export interface Rnd {
  target: tf.LayersModel;
  predictor: tf.LayersModel;
}

/** The target (fixed) and predictor (trained; one layer deeper, as in the paper) networks. */
export function buildRnd(cfg: RndConfig): Rnd {
  const target = body(cfg, 'rnd_target', false, cfg.seed);
  target.trainable = false;
  return { target, predictor: body(cfg, 'rnd_predictor', true, cfg.seed + 1000) };
}

/**
 * Forward pass with plain tf ops over a model built from Conv2D (valid padding), Flatten and Dense
 * layers (ReLU or linear): cheaper than `model.apply` for training (see models/dqn.ts `forward`).
 */
export function sequentialForward(model: tf.LayersModel, x: tf.Tensor): tf.Tensor {
  let h = x;
  for (const layer of model.layers) {
    const cls = layer.getClassName();
    if (cls === 'InputLayer') continue;
    if (cls === 'Flatten') {
      h = tf.reshape(h, [h.shape[0], -1]);
      continue;
    }
    const cfg = layer.getConfig() as { activation?: string; strides?: number[] };
    const [k, b] = layer.weights.map((w) => w.read());
    if (cls === 'Conv2D') h = tf.add(tf.conv2d(h as tf.Tensor4D, k as tf.Tensor4D, cfg.strides as [number, number], 'valid'), b);
    else if (cls === 'Dense') h = tf.add(tf.matMul(h as tf.Tensor2D, k as tf.Tensor2D), b);
    else throw new Error(`sequentialForward: unsupported layer ${cls}`);
    if (cfg.activation === 'relu') h = tf.relu(h);
    else if (cfg.activation !== 'linear') throw new Error(`sequentialForward: unsupported activation ${cfg.activation}`);
  }
  return h;
}

/** Per-sample novelty: mean squared error between predictor and target features. */
export function rndNovelty(rnd: Rnd, obs: Float32Array, batch: number, inputShape: number[]): Float32Array {
  return tf.tidy(() => {
    const x = tf.tensor(obs, [batch, ...inputShape]);
    const err = tf.mean(tf.square(tf.sub(sequentialForward(rnd.predictor, x), sequentialForward(rnd.target, x))), 1);
    return err.dataSync() as Float32Array;
  }).slice();
}

/** One predictor step on a batch; returns the mean loss. */
export function rndUpdate(rnd: Rnd, optimizer: tf.Optimizer, obs: Float32Array, batch: number, inputShape: number[]): number {
  return tf.tidy(() => {
    const x = tf.tensor(obs, [batch, ...inputShape]);
    const target = sequentialForward(rnd.target, x);
    const vars = rnd.predictor.trainableWeights.map((w) => w.read() as tf.Variable);
    const { value, grads } = tf.variableGrads(() => tf.mean(tf.square(tf.sub(sequentialForward(rnd.predictor, x), target))) as tf.Scalar, vars);
    optimizer.applyGradients(grads);
    return value.dataSync()[0];
  });
}
