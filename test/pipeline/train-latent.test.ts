// A tiny latent action model learns synthetic transitions where the action shows as the colour of a
// lamp (red after RIGHT, blue after LEFT; grey in between) while a paddle moves: its codes must
// separate the two actions and its decoder must draw the lamp's colour from the code alone.
import * as tf from '@tensorflow/tfjs';
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import { initBackend } from '../../models/backend';
import { DEFAULT_LATENT_ACTION_CONFIG } from '../../models/latent-action';
import { LatentDataset, MemoryFrameStore, type EpisodeInfo } from '../../pipeline/latent-dataset';
import { DEFAULT_TRAIN_LATENT_CONFIG, learningRate, trainLatent } from '../../pipeline/train-latent';
import { WorldModel } from '../../pipeline/world-model';
import { readMetrics } from '../../pipeline/run';

const RIGHT = 3, LEFT = 4;

// 24x32 frames: background 0, a 2-row red (class 2) paddle of 6 px whose left edge is x, and an
// 8x4 lamp at rows 4-7 whose colour is the last action (2 red = RIGHT, 7 blue = LEFT, 1 grey = none).
const FH = 24, FW = 32;
function scene(x: number, lamp: number): Uint8Array {
  const f = new Uint8Array(FH * FW);
  for (let y = 18; y < 20; y++) for (let i = x; i < x + 6; i++) f[y * FW + i] = 2;
  for (let y = 4; y < 8; y++) for (let i = 12; i < 20; i++) f[y * FW + i] = lamp;
  return f;
}
const lampOf = (f: Uint8Array): number => f[5 * FW + 15];

function syntheticEpisodes(n: number, len: number): { infos: EpisodeInfo[]; frames: Uint8Array[][] } {
  const infos: EpisodeInfo[] = [], frames: Uint8Array[][] = [];
  let seed = 7;
  const rand = () => ((seed = (seed * 1103515245 + 12345) >>> 0) >>> 8) / 16777216;
  for (let e = 0; e < n; e++) {
    let x = 6 + Math.floor(rand() * 16);
    const fs = [scene(x, 1)];
    const actions: number[] = [];
    for (let k = 0; k < len - 1; k++) {
      const a = x > 22 ? LEFT : x < 4 ? RIGHT : rand() < 0.5 ? LEFT : RIGHT;
      x += a === RIGHT ? 3 : -3;
      actions.push(a);
      fs.push(scene(x, a === RIGHT ? 2 : 7));
    }
    frames.push(fs);
    infos.push({ id: `syn-${e}`, source: 'synthetic', frames: len, actions, resets: [], split: e === n - 1 ? 'val' : 'train' });
  }
  return { infos, frames };
}

/** Codes the encoder gives each action, and the share of training windows whose lamp the decoder draws right. */
async function judge(ds: LatentDataset, checkpoint: string): Promise<{ byAction: Map<number, number[]>; lampAccuracy: number }> {
  const wm = await WorldModel.load(checkpoint);
  const byAction = new Map<number, number[]>();
  let lampRight = 0, total = 0;
  for (const w of ds.windows('train')) {
    const { context, target } = ds.frames(w);
    const code = wm.inferCodes([context], [target])[0];
    const a = ds.action(w);
    byAction.set(a, [...(byAction.get(a) ?? []), code]);
    const pred = wm.predict([context], [code])[0];
    total++;
    if (lampOf(pred) === lampOf(target)) lampRight++;
  }
  wm.model.dispose();
  return { byAction, lampAccuracy: lampRight / total };
}

describe('train-latent', () => {
  beforeAll(async () => { await initBackend('wasm', { log: () => {} }); });

  it('warms up, then decays the learning rate to its floor', () => {
    const c = { lr: 1e-3, lrFinal: 1e-4, warmupSteps: 10, steps: 110 };
    expect(learningRate(c, 0)).toBeCloseTo(1e-4, 9);
    expect(learningRate(c, 10)).toBeCloseTo(1e-3, 9);
    expect(learningRate(c, 110)).toBeCloseTo(1e-4, 9);
  });

  it('learns codes that separate two actions and decodes the action\'s effect from the code', { timeout: 600_000 }, async () => {
    const { infos, frames } = syntheticEpisodes(8, 12);
    const ds = new LatentDataset(infos, new MemoryFrameStore(frames), 2);
    const root = mkdtempSync(join(tmpdir(), 'train-latent-'));
    const config = {
      ...DEFAULT_TRAIN_LATENT_CONFIG,
      model: { ...DEFAULT_LATENT_ACTION_CONFIG, height: FH, width: FW, contextFrames: 2, codebookSize: 2, codeDim: 8, encoderChannels: [8, 8, 8] as [number, number, number], stemChannels: 8, bodyChannels: 16, bodyBlocks: 1, refineChannels: 8 },
      batchSize: 8, steps: 300, lr: 3e-3, lrFinal: 3e-4, warmupSteps: 10, evalEvery: 150, gridEvery: 300, checkpointEvery: 150,
      valWindows: 8, logEvery: 25, restartEvery: 25, continuousWarmupSteps: 100, backend: 'wasm' as const, contextNoise: 0,
    };
    const result = await trainLatent({ config, dataset: ds, root, name: 'tiny', log: () => {} });
    expect(result.step).toBe(300);
    const { byAction, lampAccuracy } = await judge(ds, join(result.runDir, 'checkpoint-last'));
    const majority = (codes: number[]) => {
      const counts = new Map<number, number>();
      codes.forEach((c) => counts.set(c, (counts.get(c) ?? 0) + 1));
      return [...counts.entries()].sort((a, b) => b[1] - a[1])[0];
    };
    const [codeL, nL] = majority(byAction.get(LEFT)!), [codeR, nR] = majority(byAction.get(RIGHT)!);
    expect(codeL).not.toBe(codeR);
    expect(nL / byAction.get(LEFT)!.length).toBeGreaterThan(0.9);
    expect(nR / byAction.get(RIGHT)!.length).toBeGreaterThan(0.9);
    expect(lampAccuracy).toBeGreaterThan(0.9);

    // Resume from the last checkpoint and train 50 more steps: the step count and the metrics continue.
    const resumed = await trainLatent({ config, dataset: ds, resume: result.runDir, steps: 350, log: () => {} });
    expect(resumed.step).toBe(350);
    const steps = readMetrics(result.runDir).filter((l) => l.split === 'train').map((l) => l.step);
    expect(steps.slice(-3)).toEqual([300, 325, 350]);

    // A new run started from that checkpoint (--init), on windows with painted mistakes, keeps what it
    // learned: 20 steps from scratch would not even end the continuous warm-up.
    const init = join(result.runDir, 'checkpoint-last');
    const tuned = await trainLatent({ config: { ...config, init, steps: 20, contextNoise: 0.5 }, dataset: ds, root, name: 'tuned', log: () => {} });
    expect((await judge(ds, join(tuned.runDir, 'checkpoint-last'))).lampAccuracy).toBeGreaterThan(0.9);
    const [before, after] = await Promise.all([init, join(tuned.runDir, 'checkpoint-last')].map(async (d) => (await WorldModel.load(d)).model.codebook));
    const drift = Math.hypot(...after.map((v, i) => v - before[i])) / Math.hypot(...before);
    expect(drift).toBeLessThan(0.3); // the codes keep their places (and so their meanings)
    // --freeze-encoder: the decoder trains, the encoder and codebook stay exactly as loaded.
    const frozen = await trainLatent({ config: { ...config, init, steps: 20, freezeEncoder: true }, dataset: ds, root, name: 'frozen', log: () => {} });
    const [a, b] = await Promise.all([init, join(frozen.runDir, 'checkpoint-last')].map((d) => WorldModel.load(d)));
    expect(b.model.codebook).toEqual(a.model.codebook);
    const same = (vs: [tf.Variable, tf.Variable][]) => vs.every(([x, y]) => tf.tidy(() => tf.all(tf.equal(x, y)).dataSync()[0] === 1));
    const pairs = (f: (m: typeof a.model) => tf.Variable[]) => f(a.model).map((v, i) => [v, f(b.model)[i]] as [tf.Variable, tf.Variable]);
    expect(same(pairs((m) => m.encoderVariables()))).toBe(true);
    expect(same(pairs((m) => m.decoderVariables()))).toBe(false);
    const scratch = await trainLatent({ config: { ...config, steps: 20 }, dataset: ds, root, name: 'scratch', log: () => {} });
    expect((await judge(ds, join(scratch.runDir, 'checkpoint-last'))).lampAccuracy).toBeLessThan(0.9);
  });

  it('stops within a step on Ctrl-C (with a data-parallel worker) and keeps a resumable checkpoint', async () => {
    const { infos, frames } = syntheticEpisodes(4, 12);
    const ds = new LatentDataset(infos, new MemoryFrameStore(frames), 2);
    const root = mkdtempSync(join(tmpdir(), 'train-latent-int-'));
    const config = {
      ...DEFAULT_TRAIN_LATENT_CONFIG,
      model: { ...DEFAULT_LATENT_ACTION_CONFIG, height: FH, width: FW, contextFrames: 2, codebookSize: 2, codeDim: 4, encoderChannels: [4, 4, 4] as [number, number, number], stemChannels: 4, bodyChannels: 4, bodyBlocks: 1, refineChannels: 4 },
      batchSize: 2, steps: 2_000, evalEvery: 2_000, gridEvery: 2_000, checkpointEvery: 2_000, valWindows: 2, logEvery: 2_000, backend: 'wasm' as const,
      continuousWarmupSteps: 5, workers: 2, // the batch is shared with a worker thread, which must stop with the run
    };
    // The signal arrives while the loop runs (right after the warm-up's last step), as a Ctrl-C would.
    const log = (line: string) => { if (line.includes('codebook set')) setImmediate(() => process.emit('SIGINT', 'SIGINT')); };
    const result = await trainLatent({ config, dataset: ds, root, name: 'interrupted', log });
    expect(result.stopped).toBe(true);
    expect(result.step).toBeGreaterThan(0);
    expect(result.step).toBeLessThanOrEqual(7); // the warm-up ends at step 5
    const resumed = await trainLatent({ config, dataset: ds, resume: result.runDir, steps: result.step + 1, log: () => {} });
    expect(resumed.step).toBe(result.step + 1);
  });
});
