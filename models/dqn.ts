// Q-networks for DQN and the Double-DQN update step.
//
// - 'nature': Mnih et al. 2015 on an 84x84xK stack (K = 4 or 8): conv 32@8x8/4, conv 64@4x4/2,
//   conv 64@3x3/1, dense 512, one output per action; ReLU throughout.
// - 'mlp': dense layers on a flat vector (the 128 RAM bytes of the last K steps, already normalised).
// - dueling (Wang et al. 2016): separate value and advantage streams combined as V + A - mean(A).
//   The combination is linear, so it is one frozen dense layer over [V, A] with kernel
//   M[0][j] = 1, M[1+i][j] = delta_ij - 1/numActions; tfjs-layers has no Lambda layer, and this
//   keeps the model a plain LayersModel that loads unchanged in the browser.
import * as tf from '@tensorflow/tfjs';

export interface QNetworkConfig {
  kind: 'nature' | 'mlp';
  /** [84, 84, K] for 'nature'; [n] for 'mlp'. */
  inputShape: number[];
  numActions: number;
  dueling: boolean;
  /** Hidden layer widths of the 'mlp' body (the 'nature' body is fixed; its head is 512 wide). */
  hidden: number[];
  /** Seed for the weight initialisers (so two runs with one seed start from the same weights). */
  seed: number;
}

export function buildQNetwork(cfg: QNetworkConfig): tf.LayersModel {
  let seed = cfg.seed;
  const init = () => tf.initializers.varianceScaling({ scale: 2, mode: 'fanIn', distribution: 'truncatedNormal', seed: seed++ });
  const input = tf.input({ shape: cfg.inputShape, name: 'obs' });
  let x: tf.SymbolicTensor = input;
  let headWidth: number;
  if (cfg.kind === 'nature') {
    if (cfg.inputShape.length !== 3) throw new Error(`nature Q-network needs an [H, W, K] input, got [${cfg.inputShape}]`);
    x = tf.layers.conv2d({ filters: 32, kernelSize: 8, strides: 4, activation: 'relu', kernelInitializer: init(), name: 'conv1' }).apply(x) as tf.SymbolicTensor;
    x = tf.layers.conv2d({ filters: 64, kernelSize: 4, strides: 2, activation: 'relu', kernelInitializer: init(), name: 'conv2' }).apply(x) as tf.SymbolicTensor;
    x = tf.layers.conv2d({ filters: 64, kernelSize: 3, strides: 1, activation: 'relu', kernelInitializer: init(), name: 'conv3' }).apply(x) as tf.SymbolicTensor;
    x = tf.layers.flatten({ name: 'flatten' }).apply(x) as tf.SymbolicTensor;
    headWidth = 512;
  } else {
    if (cfg.inputShape.length !== 1) throw new Error(`mlp Q-network needs a flat [n] input, got [${cfg.inputShape}]`);
    // All but the last width form the shared body; the last is the width of the head's hidden layer.
    const body = cfg.hidden.slice(0, -1);
    body.forEach((units, i) => {
      x = tf.layers.dense({ units, activation: 'relu', kernelInitializer: init(), name: `fc${i + 1}` }).apply(x) as tf.SymbolicTensor;
    });
    headWidth = cfg.hidden[cfg.hidden.length - 1] ?? 256;
  }
  const head = (name: string, units: number, from: tf.SymbolicTensor): tf.SymbolicTensor => {
    const h = tf.layers.dense({ units: headWidth, activation: 'relu', kernelInitializer: init(), name: `${name}_hidden` }).apply(from) as tf.SymbolicTensor;
    return tf.layers
      .dense({ units, kernelInitializer: tf.initializers.varianceScaling({ scale: 1, mode: 'fanIn', distribution: 'truncatedNormal', seed: seed++ }), name: `${name}_out` })
      .apply(h) as tf.SymbolicTensor;
  };
  let q: tf.SymbolicTensor;
  if (!cfg.dueling) {
    q = head('q', cfg.numActions, x);
  } else {
    const v = head('value', 1, x);
    const a = head('advantage', cfg.numActions, x);
    const va = tf.layers.concatenate({ name: 'value_advantage' }).apply([v, a]) as tf.SymbolicTensor;
    const combine = tf.layers.dense({ units: cfg.numActions, useBias: false, trainable: false, name: 'dueling_combine' });
    q = combine.apply(va) as tf.SymbolicTensor;
    combine.setWeights([duelingMatrix(cfg.numActions)]);
  }
  return tf.model({ inputs: input, outputs: q, name: `q_${cfg.kind}${cfg.dueling ? '_dueling' : ''}` });
}

/** [1 + A, A] matrix mapping [V, A_1..A_A] to V + A_j - mean(A). */
export function duelingMatrix(numActions: number): tf.Tensor2D {
  const m = new Float32Array((numActions + 1) * numActions);
  for (let j = 0; j < numActions; j++) {
    m[j] = 1;
    for (let i = 0; i < numActions; i++) m[(1 + i) * numActions + j] = (i === j ? 1 : 0) - 1 / numActions;
  }
  return tf.tensor2d(m, [numActions + 1, numActions]);
}

/**
 * The network's forward pass written with plain tf ops on the model's own variables. Training and
 * acting use this instead of `model.apply`: tfjs-layers adds ~5x overhead per step on a small MLP
 * (22 ms vs 4 ms for a batch-32 gradient on wasm), and the variables are shared, so `model.save`
 * still writes the trained weights in the standard format.
 */
export function forward(model: tf.LayersModel, x: tf.Tensor): tf.Tensor2D {
  const layer = (name: string) => model.getLayer(name);
  const dense = (name: string, h: tf.Tensor, relu: boolean): tf.Tensor => {
    const [k, b] = layer(name).weights.map((w) => w.read());
    const y = tf.add(tf.matMul(h as tf.Tensor2D, k as tf.Tensor2D), b);
    return relu ? tf.relu(y) : y;
  };
  let h: tf.Tensor = x;
  const names = model.layers.map((l) => l.name);
  if (names.includes('conv1')) {
    const conv = (name: string, stride: number) => {
      const [k, b] = layer(name).weights.map((w) => w.read());
      h = tf.relu(tf.add(tf.conv2d(h as tf.Tensor4D, k as tf.Tensor4D, stride, 'valid'), b));
    };
    conv('conv1', 4);
    conv('conv2', 2);
    conv('conv3', 1);
    h = tf.reshape(h, [h.shape[0], -1]);
  }
  for (let i = 1; names.includes(`fc${i}`); i++) h = dense(`fc${i}`, h, true);
  if (names.includes('dueling_combine')) {
    const v = dense('value_out', dense('value_hidden', h, true), false);
    const a = dense('advantage_out', dense('advantage_hidden', h, true), false);
    return tf.add(v, tf.sub(a, tf.mean(a, 1, true))) as tf.Tensor2D;
  }
  return dense('q_out', dense('q_hidden', h, true), false) as tf.Tensor2D;
}

/** Copy every weight of `from` into `to` (the target-network update). */
export function copyWeights(from: tf.LayersModel, to: tf.LayersModel): void {
  to.setWeights(from.getWeights());
}

/** Q-values for a batch as a flat Float32Array (batch x numActions). */
export function qValues(model: tf.LayersModel, obs: Float32Array, batch: number, inputShape: number[]): Float32Array {
  return tf.tidy(() => {
    const x = tf.tensor(obs, [batch, ...inputShape]);
    return forward(model, x).dataSync() as Float32Array;
  }).slice();
}

export interface DqnBatch {
  obs: Float32Array;
  actions: Int32Array;
  /** n-step return of the reward this network learns (extrinsic, or extrinsic + intrinsic). */
  returns: Float32Array;
  discounts: Float32Array;
  nextObs: Float32Array;
  weights: Float32Array;
}

export interface DqnUpdateOptions {
  inputShape: number[];
  numActions: number;
  /** Double DQN: the online network picks the next action, the target network values it. */
  double: boolean;
  /** Huber loss threshold (1 = the classic "clip the TD error to [-1, 1]"). */
  huberDelta: number;
  /** Global gradient-norm clip (0 = none). */
  maxGradNorm: number;
}

export interface DqnUpdateResult {
  loss: number;
  meanQ: number;
  gradNorm: number;
  /** Per-sample TD errors (for the replay priorities). */
  tdErrors: Float32Array;
}

/** One gradient step on a batch: Double-DQN targets, importance-weighted Huber loss, clipped Adam step. */
export function dqnUpdate(
  online: tf.LayersModel,
  target: tf.LayersModel,
  optimizer: tf.Optimizer,
  batch: DqnBatch,
  opts: DqnUpdateOptions,
): DqnUpdateResult {
  const B = batch.actions.length;
  const A = opts.numActions;
  return tf.tidy(() => {
    const obs = tf.tensor(batch.obs, [B, ...opts.inputShape]);
    const nextObs = tf.tensor(batch.nextObs, [B, ...opts.inputShape]);
    const actionMask = tf.oneHot(tf.tensor1d(batch.actions, 'int32'), A);
    const weights = tf.tensor1d(batch.weights);
    const y = tf.tidy(() => {
      const qNextTarget = forward(target, nextObs);
      const nextAction = (opts.double ? forward(online, nextObs) : qNextTarget).argMax(1);
      const qNext = tf.sum(tf.mul(qNextTarget, tf.oneHot(nextAction, A)), 1);
      return tf.add(tf.tensor1d(batch.returns), tf.mul(tf.tensor1d(batch.discounts), qNext));
    });
    let td: tf.Tensor1D | undefined;
    let meanQ: tf.Scalar | undefined;
    const vars = online.trainableWeights.map((w) => w.read() as tf.Variable);
    const { value: loss, grads } = tf.variableGrads(() => {
      const q = forward(online, obs);
      const qa = tf.sum(tf.mul(q, actionMask), 1);
      const err = tf.sub(qa, y);
      td = tf.keep(err) as tf.Tensor1D;
      meanQ = tf.keep(tf.mean(q)) as tf.Scalar;
      const abs = tf.abs(err);
      const quad = tf.minimum(abs, opts.huberDelta);
      const huber = tf.add(tf.mul(0.5, tf.square(quad)), tf.mul(opts.huberDelta, tf.sub(abs, quad)));
      return tf.mean(tf.mul(weights, huber)) as tf.Scalar;
    }, vars);
    const names = Object.keys(grads);
    const norm = tf.sqrt(tf.addN(names.map((n) => tf.sum(tf.square(grads[n])))));
    let applied: tf.NamedTensorMap = grads;
    if (opts.maxGradNorm > 0) {
      const scale = tf.minimum(1, tf.div(opts.maxGradNorm, tf.add(norm, 1e-6)));
      applied = {};
      for (const n of names) applied[n] = tf.mul(grads[n], scale);
    }
    optimizer.applyGradients(applied);
    const tdErrors = (td as unknown as tf.Tensor).dataSync() as Float32Array;
    const out = { loss: loss.dataSync()[0], meanQ: (meanQ as unknown as tf.Tensor).dataSync()[0], gradNorm: norm.dataSync()[0], tdErrors: tdErrors.slice() };
    (td as unknown as tf.Tensor).dispose();
    (meanQ as unknown as tf.Tensor).dispose();
    return out;
  });
}
