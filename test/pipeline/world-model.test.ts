import * as tf from '@tensorflow/tfjs';
import { existsSync, mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import { initBackend } from '../../models/backend';
import { DEFAULT_LATENT_ACTION_CONFIG, LatentActionModel, packedShape, packFrames } from '../../models/latent-action';
import { evalStarts, evalWorldModel, formatEvalTable } from '../../pipeline/eval-world-model';
import { rgbToClasses } from '../../pipeline/frame-classes';
import { DEFAULT_BALL_HEAD, DEFAULT_PADDLE_HEAD, headDir, paddleHeadDirFor, WorldModel, saveWorldModel } from '../../pipeline/world-model';
import type { Trajectory } from '../../pipeline/trajectory';
import { drawScene } from './breakout-frames';

describe('world model checkpoint and evaluation', () => {
  beforeAll(async () => { await initBackend('wasm', { log: () => {} }); });

  it('saves and loads a model that predicts exactly the same frames', async () => {
    const cfg = { ...DEFAULT_LATENT_ACTION_CONFIG, height: 24, width: 32, contextFrames: 2, codebookSize: 4, codeDim: 8, encoderChannels: [4, 4, 4] as [number, number, number], stemChannels: 4, bodyChannels: 8, bodyBlocks: 1, refineChannels: 4 };
    const model = new LatentActionModel(cfg, 5);
    // Give the (zero-initialised) head some weights so predictions depend on the code.
    model.params.get('dec/head/kernel')!.assign(tf.randomNormal(model.params.get('dec/head/kernel')!.shape, 0, 3, 'float32', 9));
    const dir = join(mkdtempSync(join(tmpdir(), 'wm-')), 'ckpt');
    await saveWorldModel(dir, model, { step: 7 });
    const loaded = await WorldModel.load(dir);
    expect(loaded.meta.step).toBe(7);
    expect(Array.from(loaded.model.codebook)).toEqual(Array.from(model.codebook));
    const ctx = [0, 1].map((k) => Uint8Array.from({ length: 24 * 32 }, (_, i) => ((i * 7 + k) % 5 === 0 ? 2 : 0)));
    const original = new WorldModel(model);
    for (const code of [0, 3]) expect(Array.from(loaded.predict([ctx], [code])[0])).toEqual(Array.from(original.predict([ctx], [code])[0]));
    expect(Array.from(loaded.inferCodes([ctx], [ctx[1]]))).toEqual(Array.from(original.inferCodes([ctx], [ctx[1]])));
  });

  it('with encoderFromRow, the encoder does not see the next frame above that row (saved with the model)', async () => {
    const cfg = { ...DEFAULT_LATENT_ACTION_CONFIG, height: 24, width: 32, contextFrames: 2, codebookSize: 4, codeDim: 8, encoderChannels: [4, 4, 4] as [number, number, number], stemChannels: 4, bodyChannels: 8, bodyBlocks: 1, refineChannels: 4 };
    const ctx = [0, 1].map((k) => Uint8Array.from({ length: 24 * 32 }, (_, i) => ((i * 7 + k) % 5 === 0 ? 2 : 0)));
    // Next frames that differ from the last context frame, and from each other, only above row 12.
    const nexts = [0, 1, 2, 3].map((k) => Uint8Array.from({ length: 24 * 32 }, (_, i) => (i < 12 * 32 ? Math.floor(i / (k + 1)) % 3 : ctx[1][i])));
    // A codebook of the encoder's outputs for those frames seen whole, so seeing them whole names 4 codes.
    const whole = new LatentActionModel(cfg, 5);
    const s1 = packedShape(cfg, 1);
    const packed = (frames: Uint8Array[]) => tf.tensor4d(packFrames(cfg, frames, new Float32Array(s1.h4 * s1.w4 * s1.channels)), [1, s1.h4, s1.w4, s1.channels]);
    whole.codebook.set(nexts.flatMap((n) => Array.from(tf.tidy(() => whole.encodeContinuous(packed([ctx[0]]), packed([ctx[1]]), packed([n])).dataSync()))));
    expect(Array.from(new WorldModel(whole).inferCodes(nexts.map(() => ctx), nexts))).toEqual([0, 1, 2, 3]);

    const dir = join(mkdtempSync(join(tmpdir(), 'wm-')), 'ckpt');
    const viewing = new LatentActionModel({ ...cfg, encoderFromRow: 12 }, 5);
    viewing.codebook.set(whole.codebook);
    await saveWorldModel(dir, viewing, { step: 1 });
    const wm = await WorldModel.load(dir);
    expect(wm.config.encoderFromRow).toBe(12);
    expect(Array.from(wm.inferCodes(nexts.map(() => ctx), nexts))).toEqual(Array(4).fill(wm.inferCodes([ctx], [ctx[1]])[0]));
  });

  it('refuses a folder that is not a world model with a clear message', async () => {
    await expect(WorldModel.load(join(tmpdir(), 'no-such-world-model'))).rejects.toThrow(/checkpoint not found/);
  });

  it('evaluates from every stride-th start, writes the predicted frames, and scores an untrained model near the copy baseline', async () => {
    const frames = Array.from({ length: 9 }, (_, k) => drawScene({ paddleX: 30 + 4 * k, ball: { x: 40 + 6 * k, y: 100 + 8 * k } }));
    const traj: Trajectory = { source: 'synthetic', frames, actions: [3, 3, 3, 3, 3, 3, 3, 3], resets: [6] };
    const wm = new WorldModel(new LatentActionModel({ ...DEFAULT_LATENT_ACTION_CONFIG, contextFrames: 2 }, 1));
    // Starts need 2 real context frames of one game: s = 5 is skipped (its next frame 6 is a reset);
    // s = 7 has frames 6, 7 of the new game as context.
    expect(evalStarts(traj, 2, 2)).toEqual([1, 3, 7]);
    const out = mkdtempSync(join(tmpdir(), 'wm-eval-'));
    const r = await evalWorldModel(wm, traj, { horizon: 3, stride: 2, report: [1, 3], outDir: out });
    expect(r.starts).toBe(3);
    expect(existsSync(join(out, 'start-0001', 'pred-001.png'))).toBe(true);
    expect(existsSync(join(out, 'start-0003', 'pred-002.png'))).toBe(true);
    // From start 3 the third step would cross the reset at frame 6: it is not predicted.
    expect(existsSync(join(out, 'start-0003', 'pred-003.png'))).toBe(false);
    const h1 = r.horizons[0];
    expect(h1.horizon).toBe(1);
    // The untrained decoder copies the last frame, all but the ball, which flies on (breakout-decode's
    // ballFlight: the rule, not the model): better than copying, short of right (the paddle stays).
    expect(h1.psnr).toBeGreaterThan(h1.copyPsnr);
    expect(h1.dynamicAccuracy).toBeGreaterThan(0);
    expect(h1.dynamicAccuracy).toBeLessThan(0.5);
    expect(r.horizons.find((h) => h.horizon === 1)!.frames).toBe(3);
    expect(r.horizons.find((h) => h.horizon === 3)!.frames).toBe(1);
    expect(formatEvalTable(r)).toMatch(/ΔtPSNR at t=4/);
  });

  it('in act mode takes codes from an action map and checks its codebook size', async () => {
    const frames = Array.from({ length: 5 }, (_, k) => drawScene({ paddleX: 30 + 4 * k }));
    const traj: Trajectory = { source: 'synthetic', frames, actions: [0, 1, 3, 4], resets: [] };
    const wm = new WorldModel(new LatentActionModel({ ...DEFAULT_LATENT_ACTION_CONFIG, contextFrames: 2 }, 1));
    const seen: number[] = [];
    const map = { codebookSize: 8, codeProbabilities: (a: number) => { seen.push(a); return Array.from({ length: 8 }, (_, c) => (c === a ? 1 : 0)); } };
    const r = await evalWorldModel(wm, traj, { mode: 'act', actionMap: map, horizon: 2, stride: 1, report: [1] });
    expect(new Set(seen)).toEqual(new Set([1, 2, 3])); // ALE ids 1, 3, 4 -> action indices 1, 2, 3
    expect(r.codeCounts.slice(1, 4).every((c) => c > 0)).toBe(true);
    await expect(evalWorldModel(wm, traj, { mode: 'act', actionMap: { ...map, codebookSize: 4 }, horizon: 1 })).rejects.toThrow(/4 codes/);
  });

  it('in act mode the serve rule holds: FIRE plays the most likely code that draws a ball, NOOP one that draws none', async () => {
    const noBall = rgbToClasses(drawScene({ paddleX: 40 })), ball = rgbToClasses(drawScene({ paddleX: 40, ball: { x: 75, y: 125 } }));
    const frames = Array.from({ length: 4 }, () => drawScene({ paddleX: 40 }));
    const traj: Trajectory = { source: 'synthetic', frames, actions: [1, 1, 1], resets: [] }; // FIRE before the first serve
    // A stand-in decoder: code 6 serves, every other code leaves the screen as it is.
    const wm = { contextFrames: 2, codebookSize: 8, predict: (_ctx: Uint8Array[][], codes: ArrayLike<number>) => Array.from(codes, (c) => (c === 6 ? ball : noBall)) } as unknown as WorldModel;
    const map = { codebookSize: 8, codeProbabilities: () => [0.7, 0, 0, 0, 0, 0.1, 0.2, 0] };
    const withRule = await evalWorldModel(wm, traj, { mode: 'act', actionMap: map, horizon: 1, stride: 1, report: [1] });
    expect(withRule.codeCounts).toEqual([0, 0, 0, 0, 0, 0, 2, 0]);
    const without = await evalWorldModel(wm, traj, { mode: 'act', actionMap: map, serveRule: false, horizon: 1, stride: 1, report: [1] });
    expect(without.codeCounts).toEqual([2, 0, 0, 0, 0, 0, 0, 0]);
    // And NOOP does not serve: where the map names the serving code, the next most likely plays.
    const noop: Trajectory = { ...traj, actions: [0, 0, 0] };
    const servingMap = { codebookSize: 8, codeProbabilities: () => [0.2, 0, 0, 0, 0, 0.1, 0.7, 0] };
    expect((await evalWorldModel(wm, noop, { mode: 'act', actionMap: servingMap, horizon: 1, stride: 1, report: [1] })).codeCounts).toEqual([2, 0, 0, 0, 0, 0, 0, 0]);
  });
});

describe('which heads a command uses', () => {
  it('headDir: "none" is none, a missing default is none, a named folder is itself', () => {
    expect(headDir('none')).toBeUndefined();
    expect(headDir('some/folder')).toBe('some/folder');
    expect(headDir(DEFAULT_BALL_HEAD)).toBe(existsSync(join(DEFAULT_BALL_HEAD, 'checkpoint.json')) ? DEFAULT_BALL_HEAD : undefined);
  });

  it.skipIf(!existsSync(join(DEFAULT_PADDLE_HEAD, 'checkpoint.json')))('paddleHeadDirFor: the default paddle head only with the world model whose codes it learned', () => {
    expect(paddleHeadDirFor(DEFAULT_PADDLE_HEAD, 'checkpoints/world-model')).toBe(DEFAULT_PADDLE_HEAD);
    expect(paddleHeadDirFor(DEFAULT_PADDLE_HEAD, 'data/runs/another-model')).toBeUndefined();
    expect(paddleHeadDirFor('some/folder', 'data/runs/another-model')).toBe('some/folder');
    expect(paddleHeadDirFor('none', 'checkpoints/world-model')).toBeUndefined();
  });
});
