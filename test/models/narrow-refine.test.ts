import * as tf from '@tensorflow/tfjs';
import { beforeAll, describe, expect, it } from 'vitest';
import { initBackend } from '../../models/backend';
import { DEFAULT_LATENT_ACTION_CONFIG, type LatentActionConfig, LatentActionModel } from '../../models/latent-action';
import { narrowRefine, strongestRefineChannels } from '../../models/narrow-refine';

const WIDE: LatentActionConfig = { ...DEFAULT_LATENT_ACTION_CONFIG, encoderChannels: [8, 8, 8], stemChannels: 8, bodyChannels: 8, bodyBlocks: 1, refineChannels: 8 };

beforeAll(async () => {
  await initBackend('wasm', { log: () => {} });
});

function weights(model: LatentActionModel): Record<string, tf.Tensor> {
  const out: Record<string, tf.Tensor> = Object.fromEntries([...model.params].map(([n, v]) => [n, v.clone()]));
  out['vq/codebook'] = tf.tensor2d(model.codebook, [model.config.codebookSize, model.config.codeDim]);
  return out;
}

describe('narrowRefine', () => {
  it('keeps the channels that reach the head, and the narrower decoder predicts what the wide one did', () => {
    const wide = new LatentActionModel(WIDE, 3);
    // A head that reads every refine channel but 2 and 5: those two cannot matter to the output.
    const head = wide.params.get('dec/head/kernel')!;
    const mask = tf.tensor4d([1, 1, 0, 1, 1, 0, 1, 1], [1, 1, 8, 1]);
    head.assign(tf.randomNormal(head.shape, 0, 0.5, 'float32', 5).mul(mask));
    const named = weights(wide);
    expect(strongestRefineChannels(named, 6)).toEqual([0, 1, 3, 4, 6, 7]);
    const narrow = new LatentActionModel({ ...WIDE, refineChannels: 6 }, 9);
    narrow.setWeights(narrowRefine(named, 6));
    expect(narrow.params.get('dec/refine/kernel')!.shape).toEqual([3, 3, 16, 6]);

    const { h4, w4, channels } = { h4: 54, w4: 40, channels: 16 * WIDE.numClasses };
    const frames: tf.Tensor4D = tf.tidy(() => tf.oneHot(tf.randomUniform([1, h4, w4, 16 * WIDE.contextFrames], 0, WIDE.numClasses, 'int32', 7), WIDE.numClasses).toFloat().reshape([1, h4, w4, channels * WIDE.contextFrames]) as tf.Tensor4D);
    const older = frames.slice([0, 0, 0, 0], [1, h4, w4, channels * (WIDE.contextFrames - 1)]);
    const last = frames.slice([0, 0, 0, channels * (WIDE.contextFrames - 1)], [1, h4, w4, channels]);
    for (const code of [0, 5]) {
      const a = wide.decode(older, last, wide.codeVectors([code]));
      const b = narrow.decode(older, last, narrow.codeVectors([code]));
      expect(tf.max(tf.abs(a.sub(b))).dataSync()[0]).toBeLessThan(1e-4);
      // And it is not a trivially zero output.
      expect(tf.max(tf.abs(a)).dataSync()[0]).toBeGreaterThan(0.1);
    }
    expect(() => narrowRefine(named, 9)).toThrow(/9 channels/);
  });
});
