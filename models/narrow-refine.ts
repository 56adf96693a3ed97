// Start a narrower decoder from a trained one: keep the refine layer's strongest channels.
//
// The refine layer (3x3 conv at 1/4 resolution + its code bias) and the head after it are ~45% of
// the decoder's multiply-adds, so a narrower refine is the cheapest way to a faster world model.
// Fine-tuned from the kept channels (train-latent --init with a smaller --channels R), the shipped
// model was back at its validation accuracy within 200 steps.
import * as tf from '@tensorflow/tfjs';

/** Tensors whose refine-channel axis is narrowed, with that axis. */
const REFINE_AXES: Record<string, number> = {
  'dec/refine/kernel': 3,
  'dec/refine/bias': 0,
  'dec/code_refine/kernel': 1,
  'dec/code_refine/bias': 0,
  'dec/head/kernel': 2,
};

/**
 * The `channels` refine channels with the largest weight in and out (norm of the refine kernel's
 * filter times the norm of the head's row for it), in their original order.
 */
export function strongestRefineChannels(named: Record<string, tf.Tensor>, channels: number): number[] {
  const kernel = named['dec/refine/kernel'];
  const head = named['dec/head/kernel'];
  if (!kernel || !head) throw new Error('narrowRefine: the checkpoint has no dec/refine or dec/head kernel');
  const width = kernel.shape[3] ?? 0;
  if (!(Number.isInteger(channels) && channels >= 1 && channels <= width)) throw new Error(`narrowRefine: ${channels} channels, the checkpoint's refine layer has ${width}`);
  const score = tf.tidy(() => tf.norm(kernel.reshape([-1, width]), 'euclidean', 0).mul(tf.norm(head.reshape([width, -1]), 'euclidean', 1)).dataSync());
  return Array.from({ length: width }, (_, c) => c)
    .sort((a, b) => score[b] - score[a] || a - b)
    .slice(0, channels)
    .sort((a, b) => a - b);
}

/** The same weights with the refine layer cut to `channels` (new tensors for the narrowed ones, the rest as given). */
export function narrowRefine(named: Record<string, tf.Tensor>, channels: number): Record<string, tf.Tensor> {
  const keep = strongestRefineChannels(named, channels);
  const index = tf.tensor1d(keep, 'int32');
  const out = { ...named };
  for (const [name, axis] of Object.entries(REFINE_AXES)) {
    const t = named[name];
    if (!t) throw new Error(`narrowRefine: the checkpoint lacks ${name}`);
    out[name] = tf.gather(t, index, axis);
  }
  index.dispose();
  return out;
}
