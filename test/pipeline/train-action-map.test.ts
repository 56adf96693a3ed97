// Training the action map: scores and confusion counts of known predictions; on synthetic pairs where
// the code is a function of the action and the screen, the map with frame features reaches 100% on
// held-out episodes while the action alone cannot; the checkpoint loads back and agrees.
import { existsSync, mkdtempSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import sharp from 'sharp';
import { beforeAll, describe, expect, it } from 'vitest';
import { BALL_CLOCK_MAX, FRAME_FEATURES, frameFeatures } from '../../models/action-map';
import { initBackend } from '../../models/backend';
import { readCheckpointMeta } from '../../models/checkpoint';
import { loadActionMap } from '../../pipeline/action-map';
import type { ActionPairs } from '../../pipeline/collect-pairs';
import { rgbToClasses } from '../../pipeline/frame-classes';
import { confusionPng, DEFAULT_TRAIN_ACTION_MAP_CONFIG, scorePredictions, trainActionMap } from '../../pipeline/train-action-map';
import { drawScene } from './breakout-frames';

const NOOP = 0, FIRE = 1, RIGHT = 2, LEFT = 3;

/**
 * Pairs from 10 synthetic episodes (8 train, 1 val, 1 test). The code follows the action, except:
 * LEFT/RIGHT into a wall and FIRE with the ball in play give NOOP's code (the screen tells), RIGHT
 * right after LEFT gives code 4 (only the previous action tells), and FIRE without the ball serves
 * (FIRE's code) only once the ball has been gone 8 steps (only the ball clock tells).
 */
function syntheticPairs(): ActionPairs & { contexts: Uint8Array[][] } {
  let s = 99;
  const rand = () => ((s = (s * 1103515245 + 12345) >>> 0) >>> 8) / 16777216;
  const splits = ['train', 'train', 'train', 'train', 'train', 'train', 'train', 'train', 'val', 'test'] as const;
  const actions = splits.map(() => Array.from({ length: 60 }, () => Math.floor(rand() * 4)));
  const p: ActionPairs & { contexts: Uint8Array[][] } = {
    codebookSize: 6, contextFrames: 1,
    episodes: splits.map((split, e) => ({ id: `syn/${e}`, source: 'synthetic', split, frames: 61, actions: actions[e] })),
    episode: [], target: [], action: [], code: [], ballClock: [], relabelled: [], features: new Float32Array(10 * 60 * FRAME_FEATURES), contexts: [],
  };
  // A few screens, rendered once: paddle at the left wall, the middle, the right wall; ball or not.
  const xs = [8, 40, 72, 104, 136];
  const screens = xs.map((x) => [false, true].map((ball) => rgbToClasses(drawScene({ paddleX: x, ball: ball ? { x: 60, y: 140 } : undefined }))));
  for (let e = 0; e < 10; e++) {
    for (let t = 1; t <= 60; t++) {
      const xi = rand() < 0.4 ? (rand() < 0.5 ? 0 : 4) : 1 + Math.floor(rand() * 3);
      const ball = rand() < 0.5;
      const clock = ball ? 0 : 1 + Math.floor(rand() * BALL_CLOCK_MAX);
      const a = actions[e][t - 1];
      const prev = t >= 2 ? actions[e][t - 2] : -1;
      let code = a;
      if ((a === LEFT && xi === 0) || (a === RIGHT && xi === 4) || (a === FIRE && (ball || clock < 8))) code = NOOP;
      else if (a === RIGHT && prev === LEFT) code = 4;
      const ctx = [screens[xi][ball ? 1 : 0]];
      const i = p.code.length;
      p.episode.push(e); p.target.push(t); p.action.push(a); p.code.push(code); p.ballClock.push(clock); p.contexts.push(ctx);
      frameFeatures(ctx, p.features.subarray(i * FRAME_FEATURES, (i + 1) * FRAME_FEATURES));
    }
  }
  return p;
}

describe('train-action-map', () => {
  beforeAll(async () => { await initBackend('cpu', { log: () => {} }); });

  it('scores predictions: accuracy per action, sampled accuracy, confusion and code-per-action counts', () => {
    const probs = [[0.9, 0.1, 0], [0.2, 0.8, 0], [0.6, 0.4, 0], [0, 0.3, 0.7]].map((r) => Float32Array.from(r));
    const actions = [0, 1, 1, 2], codes = [0, 1, 1, 2];
    const s = scorePredictions(probs, actions, codes, 3, 1);
    expect(s.accuracy).toBe(0.75);
    expect(s.perAction).toEqual([1, 0.5, 1]);
    expect(s.confusion).toEqual([[1, 0, 0], [1, 1, 0], [0, 0, 1]]);
    expect(s.codeByAction).toEqual([[1, 0, 0], [0, 2, 0], [0, 0, 1]]);
    expect(s.sampledAccuracy).toBeCloseTo((0.9 + 0.8 + 0.4 + 0.7) / 4, 5);
    expect(scorePredictions(probs, actions, codes, 3, 0).sampledAccuracy).toBe(0.75);
  });

  it('draws the confusion matrices as a PNG', async () => {
    const s = scorePredictions([Float32Array.from([0.7, 0.3])], [0], [0], 4, 0);
    const meta = await sharp(await confusionPng(s, 'test')).metadata();
    expect(meta.format).toBe('png');
    expect(meta.width).toBeGreaterThan(300);
  });

  it('reaches 100% on held-out pairs with frame features, the previous action and the ball clock; less without each', { timeout: 300_000 }, async () => {
    const pairs = syntheticPairs();
    const root = mkdtempSync(join(tmpdir(), 'train-action-map-'));
    const out = join(root, 'shipped');
    const base = { ...DEFAULT_TRAIN_ACTION_MAP_CONFIG, epochs: 60, batchSize: 64, lr: 0.01, backend: 'cpu' as const };
    const full = { ...base.model, history: 2, ballClock: true, hidden: [32, 32] };
    const withFeatures = await trainActionMap({ config: { ...base, out, model: full }, pairs, name: 'f', root, log: () => {} });
    expect(withFeatures.scores.test!.accuracy).toBe(1);
    expect(withFeatures.scores.val!.accuracy).toBe(1);
    expect(withFeatures.scores.test!.perAction.every((v) => v === 1)).toBe(true);
    const noHistory = await trainActionMap({ config: { ...base, model: { ...full, history: 0 } }, pairs, name: 'h', root, log: () => {} });
    expect(noHistory.scores.test!.accuracy).toBeLessThan(0.97);
    const noClock = await trainActionMap({ config: { ...base, model: { ...full, ballClock: false } }, pairs, name: 'c', root, log: () => {} });
    expect(noClock.scores.test!.accuracy).toBeLessThan(0.99);
    expect(noClock.scores.test!.perAction[FIRE]).toBeLessThan(0.95);
    const actionOnly = await trainActionMap({ config: { ...base, model: { ...full, frameFeatures: false, history: 0, hidden: [16] } }, pairs, name: 'a', root, log: () => {} });
    expect(actionOnly.scores.test!.accuracy).toBeLessThan(noHistory.scores.test!.accuracy);

    // Run folder artifacts and the shipped checkpoint.
    for (const f of ['confusion.png', 'curves.png', 'summary.json', 'metrics.jsonl', 'config.json', 'checkpoint/model.json', 'checkpoint/checkpoint.json']) {
      expect(existsSync(join(withFeatures.runDir, f)), f).toBe(true);
    }
    const meta = readCheckpointMeta(out);
    expect(meta.kind).toBe('action-map');
    expect((meta.eval as { test: { accuracy: number } }).test.accuracy).toBe(1);
    const table = meta.codeTable as number[][];
    expect(table.length).toBe(4);
    table.forEach((row) => expect(row.reduce((x, y) => x + y, 0)).toBeCloseTo(1, 3));
    const lines = readFileSync(join(withFeatures.runDir, 'metrics.jsonl'), 'utf8').trim().split('\n');
    expect(lines.length).toBe(60);

    // The saved map answers like the trained one, from the real frames.
    const map = await loadActionMap(out);
    let right = 0;
    pairs.code.forEach((c, i) => {
      const prev = i > 0 && pairs.episode[i - 1] === pairs.episode[i] ? [pairs.action[i - 1]] : [];
      const p = Array.from(map.codeProbabilities(pairs.action[i], pairs.contexts[i], prev, pairs.ballClock[i]));
      if (p.indexOf(Math.max(...p)) === c) right++;
    });
    expect(right).toBe(pairs.code.length);
  });
});
