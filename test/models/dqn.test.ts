import * as tf from '@tensorflow/tfjs';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { initBackend } from '../../models/backend';
import { optimizerState, restoreOptimizerState, saveCheckpoint, loadCheckpoint } from '../../models/checkpoint';
import { buildQNetwork, copyWeights, dqnUpdate, forward, type QNetworkConfig } from '../../models/dqn';
import { buildRnd, rndNovelty, rndUpdate, sequentialForward } from '../../models/rnd';
import { loadDqnAgent, type DqnCheckpointMeta } from '../../pipeline/dqn-policy';
import { Prng } from '../../pipeline/prng';

const dir = mkdtempSync(join(tmpdir(), 'dqn-model-test-'));
beforeAll(async () => {
  await initBackend('wasm', { log: () => {} });
});
afterAll(() => rmSync(dir, { recursive: true, force: true }));

function randomArray(n: number, rng: Prng): Float32Array {
  return Float32Array.from({ length: n }, () => rng.next());
}

const mlp = (dueling: boolean): QNetworkConfig => ({ kind: 'mlp', inputShape: [20], numActions: 4, dueling, hidden: [16, 8], seed: 3 });

function batchFor(cfg: QNetworkConfig, B: number, rng: Prng) {
  const n = cfg.inputShape.reduce((a, b) => a * b, 1);
  return {
    obs: randomArray(B * n, rng),
    nextObs: randomArray(B * n, rng),
    actions: Int32Array.from({ length: B }, () => rng.int(cfg.numActions)),
    returns: randomArray(B, rng),
    discounts: Float32Array.from({ length: B }, () => (rng.next() < 0.2 ? 0 : 0.97)),
    weights: Float32Array.from({ length: B }, () => 0.5 + rng.next() / 2),
  };
}

const upd = (cfg: QNetworkConfig) => ({ inputShape: cfg.inputShape, numActions: cfg.numActions, double: true, huberDelta: 1, maxGradNorm: 10 });

describe('Q-networks', () => {
  it.each([false, true])('raw forward equals the layers model (mlp, dueling=%s)', (dueling) => {
    const cfg = mlp(dueling);
    const model = buildQNetwork(cfg);
    const x = tf.tensor(randomArray(5 * 20, new Prng(1)), [5, 20]);
    const a = (model.predict(x) as tf.Tensor).arraySync() as number[][];
    const b = forward(model, x).arraySync();
    a.forEach((row, i) => row.forEach((v, j) => expect(b[i][j]).toBeCloseTo(v, 5)));
  });

  it('the Nature CNN raw forward equals the layers model', () => {
    const cfg: QNetworkConfig = { kind: 'nature', inputShape: [84, 84, 4], numActions: 4, dueling: true, hidden: [], seed: 1 };
    const model = buildQNetwork(cfg);
    const x = tf.tensor(randomArray(2 * 84 * 84 * 4, new Prng(2)), [2, 84, 84, 4]);
    const a = (model.predict(x) as tf.Tensor).dataSync();
    const b = forward(model, x).dataSync();
    a.forEach((v, i) => expect(b[i]).toBeCloseTo(v, 4));
  });

  it('the dueling head outputs V + A - mean(A): the mean over actions is the value stream', () => {
    const model = buildQNetwork(mlp(true));
    const x = tf.tensor(randomArray(3 * 20, new Prng(4)), [3, 20]);
    const q = forward(model, x);
    // Value stream alone: the network with advantages zeroed.
    const [ak, ab] = model.getLayer('advantage_out').getWeights();
    model.getLayer('advantage_out').setWeights([tf.zerosLike(ak), tf.zerosLike(ab)]);
    const v = forward(model, x).arraySync();
    const meanQ = tf.mean(q, 1).arraySync() as number[];
    meanQ.forEach((m, i) => v[i].forEach((vi) => expect(vi).toBeCloseTo(m, 5)));
    expect(model.getLayer('dueling_combine').trainable).toBe(false);
  });

  it('a Double-DQN update lowers the loss on a fixed batch and changes only trainable weights', () => {
    const cfg = mlp(true);
    const online = buildQNetwork(cfg);
    const target = buildQNetwork(cfg);
    copyWeights(online, target);
    const combine = online.getLayer('dueling_combine').getWeights()[0].dataSync().slice();
    const opt = tf.train.adam(1e-2);
    const batch = batchFor(cfg, 16, new Prng(5));
    const first = dqnUpdate(online, target, opt, batch, upd(cfg));
    let last = first;
    for (let i = 0; i < 150; i++) last = dqnUpdate(online, target, opt, batch, upd(cfg));
    expect(last.loss).toBeLessThan(first.loss * 0.5);
    expect(first.tdErrors.length).toBe(16);
    expect(Array.from(online.getLayer('dueling_combine').getWeights()[0].dataSync())).toEqual(Array.from(combine));
  });
});

describe('DQN checkpoints', () => {
  it('save -> load gives identical Q-values and next actions, and identical next updates', async () => {
    const cfg = mlp(true);
    const online = buildQNetwork(cfg);
    const target = buildQNetwork(cfg);
    copyWeights(online, target);
    const opt = tf.train.adam(1e-3);
    const rng = new Prng(9);
    for (let i = 0; i < 5; i++) dqnUpdate(online, target, opt, batchFor(cfg, 8, rng), upd(cfg));
    const meta: DqnCheckpointMeta = { kind: 'dqn', network: cfg, obs: 'ram', frameStack: 1, frameSize: 20, frameSkip: 4, byteNorm: null };
    const ckDir = join(dir, 'ck');
    await saveCheckpoint(ckDir, { models: { model: online, target }, tensors: { optimizer: await optimizerState(opt) }, meta });

    // The policy loaded from disk acts exactly as the network in memory.
    const agent = await loadDqnAgent(ckDir);
    const frames = Array.from({ length: 10 }, () => Uint8Array.from({ length: 20 }, () => rng.int(256)));
    for (const f of frames) {
      agent.startLife(f);
      const q = agent.qValues();
      const ref = forward(online, tf.tensor(Float32Array.from(f, (v) => v / 255), [1, 20])).dataSync();
      q.forEach((v, i) => expect(v).toBeCloseTo(ref[i], 6));
      expect(agent.actFromStack()).toBe(ref.indexOf(Math.max(...ref)));
    }

    // Resuming (weights + Adam state) continues training exactly as the original would.
    const loaded = await loadCheckpoint(ckDir);
    const online2 = buildQNetwork(cfg);
    const target2 = buildQNetwork(cfg);
    copyWeights(loaded.models.model, online2);
    copyWeights(loaded.models.target, target2);
    const opt2 = tf.train.adam(1e-3);
    await restoreOptimizerState(opt2, loaded.tensors.optimizer);
    const next = batchFor(cfg, 8, new Prng(77));
    const r1 = dqnUpdate(online, target, opt, next, upd(cfg));
    const r2 = dqnUpdate(online2, target2, opt2, next, upd(cfg));
    expect(r2.loss).toBeCloseTo(r1.loss, 6);
    const w1 = online.getWeights().map((w) => Array.from(w.dataSync()));
    const w2 = online2.getWeights().map((w) => Array.from(w.dataSync()));
    w1.forEach((w, i) => w.forEach((v, j) => expect(w2[i][j]).toBeCloseTo(v, 6)));
  });
});

describe('RND', () => {
  it('the predictor learns the target on seen inputs, so their novelty drops below unseen ones', () => {
    const rnd = buildRnd({ kind: 'mlp', inputShape: [12], features: 8, seed: 5 });
    const rng = new Prng(6);
    const seen = randomArray(16 * 12, rng);
    const unseen = Float32Array.from(randomArray(16 * 12, rng), (v) => 3 * v - 1);
    const x = tf.tensor(seen, [16, 12]);
    expect(Array.from(sequentialForward(rnd.target, x).dataSync())).toEqual(Array.from((rnd.target.predict(x) as tf.Tensor).dataSync()));
    const opt = tf.train.adam(3e-3);
    const before = rndNovelty(rnd, seen, 16, [12]).reduce((a, b) => a + b, 0);
    for (let i = 0; i < 200; i++) rndUpdate(rnd, opt, seen, 16, [12]);
    const after = rndNovelty(rnd, seen, 16, [12]).reduce((a, b) => a + b, 0);
    const other = rndNovelty(rnd, unseen, 16, [12]).reduce((a, b) => a + b, 0);
    expect(after).toBeLessThan(before * 0.2);
    expect(other).toBeGreaterThan(after * 2);
  });
});
