// A trained tfjs MLP (dense layers, ReLU between them) run in plain JavaScript: the heads that place
// the ball and the paddle (models/ball-head.ts, models/paddle-head.ts) are small enough that a tf round
// trip would cost more than their arithmetic, and the players, the web player and evaluation share them.
import * as tf from '@tensorflow/tfjs';

/** One dense layer as plain arrays: kernel [in, out] row-major, bias [out]. */
interface Dense { kernel: Float32Array; bias: Float32Array; inputs: number; outputs: number }

export class PlainMlp {
  private constructor(private readonly layers: Dense[]) {}

  /** From a trained network of dense layers; `what` names it in the error when it does not take `inputs` to `outputs`. */
  static fromModel(model: tf.LayersModel, inputs: number, outputs: number, what: string): PlainMlp {
    const layers: Dense[] = model.layers.filter((l) => l.getWeights().length > 0).map((l) => {
      const [kernel, bias] = l.getWeights();
      const [i, o] = kernel.shape as [number, number];
      return { kernel: Float32Array.from(kernel.dataSync()), bias: Float32Array.from(bias.dataSync()), inputs: i, outputs: o };
    });
    if (layers.length === 0 || layers[0].inputs !== inputs || layers.at(-1)!.outputs !== outputs) {
      throw new Error(`${what}: the network takes ${layers[0]?.inputs} features to ${layers.at(-1)?.outputs} outputs; this version needs ${inputs} to ${outputs}`);
    }
    return new PlainMlp(layers);
  }

  /** The output logits for one feature vector. */
  logits(features: Float32Array): Float32Array {
    let x = features;
    for (let k = 0; k < this.layers.length; k++) {
      const { kernel, bias, inputs, outputs } = this.layers[k];
      const y = Float32Array.from(bias);
      for (let i = 0; i < inputs; i++) {
        const v = x[i];
        if (v === 0) continue; // most inputs are one-hot, and ReLU zeroes about half of each layer
        for (let j = 0, r = i * outputs; j < outputs; j++, r++) y[j] += v * kernel[r];
      }
      if (k < this.layers.length - 1) for (let j = 0; j < outputs; j++) if (y[j] < 0) y[j] = 0;
      x = y;
    }
    return x;
  }
}

/** Hidden ReLU layers, then `outputs` logits; `seed` fixes the initial weights. */
export function buildMlp(inputs: number, hidden: readonly number[], outputs: number, seed: number, outName: string): tf.LayersModel {
  const input = tf.input({ shape: [inputs] });
  let h: tf.SymbolicTensor = input;
  hidden.forEach((units, k) => {
    h = tf.layers.dense({ units, activation: 'relu', kernelInitializer: tf.initializers.heNormal({ seed: seed + k }), name: `hidden${k}` }).apply(h) as tf.SymbolicTensor;
  });
  const out = tf.layers.dense({ units: outputs, kernelInitializer: tf.initializers.glorotUniform({ seed: seed + 100 }), name: outName }).apply(h) as tf.SymbolicTensor;
  return tf.model({ inputs: input, outputs: out });
}
