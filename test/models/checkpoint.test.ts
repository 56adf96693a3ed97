import * as tf from '@tensorflow/tfjs';
import { mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import {
  loadCheckpoint,
  loadModel,
  loadTensorGroup,
  optimizerState,
  readCheckpointMeta,
  recordCheckpointEval,
  restoreOptimizerState,
  saveCheckpoint,
  tensorRecord,
  SHARD_BYTES,
} from '../../models/checkpoint';

function smallModel(): tf.LayersModel {
  const m = tf.sequential();
  m.add(tf.layers.dense({ units: 8, inputShape: [4], activation: 'relu' }));
  m.add(tf.layers.dense({ units: 3 }));
  return m;
}

async function trainSteps(model: tf.LayersModel, opt: tf.Optimizer, x: tf.Tensor, y: tf.Tensor, n: number): Promise<void> {
  for (let i = 0; i < n; i++) {
    opt.minimize(() => tf.losses.meanSquaredError(y, model.predict(x) as tf.Tensor) as tf.Scalar, false, model.trainableWeights.map((w) => (w as unknown as { val: tf.Variable }).val));
  }
}

describe('checkpoints', () => {
  beforeAll(async () => {
    await tf.setBackend('cpu');
  });

  it('round-trips a model, Adam state and meta: training continues as without the break', async () => {
    const dir = join(mkdtempSync(join(tmpdir(), 'ckpt-')), 'dqn');
    const x = tf.randomNormal([16, 4], 0, 1, 'float32', 1);
    const y = tf.randomNormal([16, 3], 0, 1, 'float32', 2);
    const model = smallModel();
    const opt = tf.train.adam(0.01);
    await trainSteps(model, opt, x, y, 5);
    await saveCheckpoint(dir, {
      models: { model, target: model },
      tensors: { optimizer: await optimizerState(opt) },
      meta: { kind: 'test', config: { units: 8 }, command: 'npm test', step: 5 },
    });
    expect(readdirSync(dir).sort()).toEqual([
      'checkpoint.json',
      'model.json',
      'model.weights.bin',
      'optimizer.tensors.bin',
      'optimizer.tensors.json',
      'target.model.json',
      'target.weights.bin',
    ]);
    const restored = await loadModel(dir);
    const fresh = await loadModel(dir);
    expect(Array.from((restored.predict(x) as tf.Tensor).dataSync())).toEqual(Array.from((model.predict(x) as tf.Tensor).dataSync()));
    // Continue the original for 3 steps, and the restored copy (model + Adam moments) for the same 3.
    await trainSteps(model, opt, x, y, 3);
    const expected = (model.predict(x) as tf.Tensor).dataSync();
    const opt2 = tf.train.adam(0.01);
    await restoreOptimizerState(opt2, loadTensorGroup(dir, 'optimizer'));
    await trainSteps(restored, opt2, x, y, 3);
    // A copy with a fresh Adam (no moments) drifts away: the restored state matters.
    await trainSteps(fresh, tf.train.adam(0.01), x, y, 3);
    const maxDiff = (t: tf.Tensor) => Math.max(...Array.from(t.dataSync()).map((v, i) => Math.abs(v - expected[i]!)));
    // tfjs recomputes Adam's beta powers as pow(beta, t) on restore instead of a running product: float noise only.
    expect(maxDiff(restored.predict(x) as tf.Tensor)).toBeLessThan(1e-5);
    expect(maxDiff(fresh.predict(x) as tf.Tensor)).toBeGreaterThan(1e-3);

    const meta = readCheckpointMeta(dir);
    expect(meta).toMatchObject({ kind: 'test', step: 5, config: { units: 8 } });
    const all = await loadCheckpoint(dir);
    expect(Object.keys(all.models).sort()).toEqual(['model', 'target']);
  });

  it('saves plain named tensors (in order, names may repeat) and shards big ones', async () => {
    const dir = join(mkdtempSync(join(tmpdir(), 'ckpt-')), 'wm');
    const big = tf.randomUniform([SHARD_BYTES / 4 + 10], 0, 1, 'float32', 3);
    const list = [
      { name: 'enc/w', tensor: tf.tensor2d([[1, 2], [3, 4]]) },
      { name: 'big', tensor: big },
      { name: 'count', tensor: tf.scalar(7, 'int32') },
      { name: 'enc/w', tensor: tf.tensor1d([9]) },
    ];
    await saveCheckpoint(dir, { tensors: { weights: list }, meta: { kind: 'world-model' } });
    expect(readdirSync(dir).filter((f) => f.endsWith('.bin')).sort()).toEqual(['weights.tensors.1of2.bin', 'weights.tensors.2of2.bin']);
    const back = loadTensorGroup(dir, 'weights');
    expect(back.map((t) => t.name)).toEqual(['enc/w', 'big', 'count', 'enc/w']);
    expect(back[0]!.tensor.arraySync()).toEqual([[1, 2], [3, 4]]);
    expect(back[2]!.tensor.dtype).toBe('int32');
    const bytes = (t: tf.Tensor) => Buffer.from((t.dataSync() as Float32Array).buffer);
    expect(Buffer.compare(bytes(back[1]!.tensor), bytes(big))).toBe(0);
    expect(tensorRecord(back)['enc/w']!.arraySync()).toEqual([9]);
  });

  it('replaces an existing checkpoint atomically and reports missing or damaged ones clearly', async () => {
    const root = mkdtempSync(join(tmpdir(), 'ckpt-'));
    const dir = join(root, 'c');
    await saveCheckpoint(dir, { models: { model: smallModel() }, meta: { step: 1 } });
    await saveCheckpoint(dir, { models: { model: smallModel() }, meta: { step: 2 } });
    expect(readCheckpointMeta(dir).step).toBe(2);
    expect(readdirSync(root)).toEqual(['c']);

    await expect(loadModel(join(root, 'missing'))).rejects.toMatchObject({ userFacing: true, message: expect.stringMatching(/checkpoint not found: .*missing/) });
    await expect(loadModel(dir, 'target')).rejects.toThrow(/has no model "target"/);
    const bin = join(dir, 'model.weights.bin');
    writeFileSync(bin, readFileSync(bin).subarray(0, 10));
    await expect(loadModel(dir)).rejects.toThrow(/hold 10 bytes, expected \d+ \(truncated or corrupt\)/);
    rmSync(bin);
    await expect(loadModel(dir)).rejects.toThrow(/missing weight file model.weights.bin/);
    writeFileSync(join(dir, 'checkpoint.json'), '{ nope');
    await expect(loadModel(dir)).rejects.toThrow(/checkpoint.json is not valid JSON/);
  });

  it('records evaluation figures in checkpoint.json, keeping the rest of the meta', async () => {
    const dir = join(mkdtempSync(join(tmpdir(), 'ckpt-')), 'wm');
    await saveCheckpoint(dir, { models: { model: smallModel() }, meta: { step: 7, eval: { train: { accuracy: 0.5 } } } });
    recordCheckpointEval(dir, { dynamicAccuracy: 0.7 }, 'reconstruct');
    expect(readCheckpointMeta(dir)).toMatchObject({ step: 7, eval: { train: { accuracy: 0.5 }, reconstruct: { dynamicAccuracy: 0.7 } } });
    recordCheckpointEval(dir, { mean: 19.9 });
    expect(readCheckpointMeta(dir)).toEqual({ step: 7, eval: { mean: 19.9 } });
    expect(readdirSync(dir)).not.toContain('checkpoint.json.tmp');
    await loadModel(dir); // still a loadable checkpoint
  });
});
