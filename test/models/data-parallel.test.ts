// Data-parallel gradients: two replicas (the main thread and a worker thread) on two halves of a batch
// give the gradients of one replica on the whole batch, and the weights and codebook a worker uses are
// the main thread's current ones.
import * as tf from '@tensorflow/tfjs';
import { beforeAll, describe, expect, it } from 'vitest';
import { initBackend } from '../../models/backend';
import { DataParallel } from '../../models/data-parallel';
import { DEFAULT_LATENT_ACTION_CONFIG, type LatentActionConfig, LatentActionModel } from '../../models/latent-action';
import { type FrameWindow, type LatentReplicaOptions, type LatentShard, latentReplica, windowWeight } from '../../pipeline/latent-batch';

const CFG: LatentActionConfig = {
  ...DEFAULT_LATENT_ACTION_CONFIG, height: 16, width: 24, contextFrames: 2, codebookSize: 4, codeDim: 4,
  encoderChannels: [4, 4, 4], stemChannels: 4, bodyChannels: 8, bodyBlocks: 1, refineChannels: 4,
};
const OPTS: LatentReplicaOptions = { model: CFG, dynamicWeight: 5, commitment: 0.25, freezeEncoder: false };

function randomWindows(n: number, seed: number): FrameWindow[] {
  let s = seed;
  const rand = () => ((s = (s * 1103515245 + 12345) >>> 0) >>> 8) / 16777216;
  const frame = () => Uint8Array.from({ length: CFG.height * CFG.width }, () => (rand() < 0.9 ? 0 : 1 + Math.floor(rand() * 8)));
  return Array.from({ length: n }, () => ({ context: [frame(), frame()], target: frame() }));
}

function shardsOf(windows: FrameWindow[], parts: number, warm: boolean): LatentShard[] {
  const batchWeight = windows.reduce((a, w) => a + windowWeight(w, OPTS.dynamicWeight), 0);
  return Array.from({ length: parts }, (_, i) => ({
    windows: windows.slice((i * windows.length) / parts, ((i + 1) * windows.length) / parts),
    warm, batchWeight, batchWindows: windows.length,
  }));
}

const maxRelErr = (a: Float32Array, b: Float32Array) => {
  let num = 0, den = 0;
  for (let i = 0; i < a.length; i++) { num = Math.max(num, Math.abs(a[i]! - b[i]!)); den = Math.max(den, Math.abs(b[i]!)); }
  return num / Math.max(den, 1e-12);
};

describe('data-parallel gradients', () => {
  beforeAll(async () => { await initBackend('wasm', { log: () => {} }); });

  it('two replicas sum to the whole batch\'s gradients, with the main thread\'s weights and codebook', async () => {
    const model = new LatentActionModel(CFG, 3);
    const replica = latentReplica(model, OPTS);
    const one = await DataParallel.start(replica, { module: new URL('../../pipeline/latent-batch.ts', import.meta.url), options: OPTS }, 1, 'wasm');
    const two = await DataParallel.start(replica, { module: new URL('../../pipeline/latent-batch.ts', import.meta.url), options: OPTS }, 2, 'wasm');
    try {
      expect(two.size).toBe(2);
      const windows = randomWindows(6, 11);
      for (const warm of [true, false]) {
        const whole = await one.gradients(shardsOf(windows, 1, warm));
        const split = await two.gradients(shardsOf(windows, 2, warm));
        expect(split.results.reduce((a, r) => a + r.loss, 0)).toBeCloseTo(whole.results[0]!.loss, 4);
        expect([...split.results.flatMap((r) => [...r.aux.codes])]).toEqual([...whole.results[0]!.aux.codes]);
        for (const name of Object.keys(whole.grads)) {
          expect(maxRelErr(split.grads[name]!.dataSync() as Float32Array, whole.grads[name]!.dataSync() as Float32Array)).toBeLessThan(1e-4);
        }
        [whole, split].forEach((g) => Object.values(g.grads).forEach((t) => t.dispose()));
        // Change the weights and the codebook: the worker must follow on the next step.
        for (const v of replica.variables) v.assign(tf.tidy(() => v.add(tf.randomNormal(v.shape, 0, 0.05, 'float32', 5))));
        model.codebook.set(model.codebook.map((x) => x * 1.5 + 0.1));
      }
    } finally {
      await one.close();
      await two.close();
    }
  });

  it('with a frozen encoder, returns the decoder\'s gradients only, the same as unfrozen, the encoder\'s weights still shared', async () => {
    const model = new LatentActionModel(CFG, 3);
    const source = (freezeEncoder: boolean) => ({ module: new URL('../../pipeline/latent-batch.ts', import.meta.url), options: { ...OPTS, freezeEncoder } });
    const all = await DataParallel.start(latentReplica(model, OPTS), source(false), 1, 'wasm');
    const frozen = await DataParallel.start(latentReplica(model, { ...OPTS, freezeEncoder: true }), source(true), 2, 'wasm');
    try {
      // The workers' encoders start from other weights than the main thread's: only sharing makes them equal.
      for (const v of model.encoderVariables()) v.assign(tf.tidy(() => v.add(tf.randomNormal(v.shape, 0, 0.05, 'float32', 7))));
      const windows = randomWindows(6, 12);
      const whole = await all.gradients(shardsOf(windows, 1, false));
      const split = await frozen.gradients(shardsOf(windows, 2, false));
      const decoderNames = model.decoderVariables().map((v) => v.name);
      expect(Object.keys(split.grads).sort()).toEqual([...decoderNames].sort());
      for (const name of decoderNames) {
        expect(maxRelErr(split.grads[name]!.dataSync() as Float32Array, whole.grads[name]!.dataSync() as Float32Array)).toBeLessThan(1e-4);
      }
      [whole, split].forEach((g) => Object.values(g.grads).forEach((t) => t.dispose()));
    } finally {
      await all.close();
      await frozen.close();
    }
  });

  it('reports a replica that cannot be built', async () => {
    const model = new LatentActionModel(CFG, 3);
    await expect(DataParallel.start(latentReplica(model, OPTS), { module: new URL('../../pipeline/latent-batch.ts', import.meta.url), options: { ...OPTS, model: { ...CFG, width: 20 } } }, 2, 'wasm'))
      .rejects.toThrow(/multiple of 8/);
  });
});
