// Training the paddle head from collect-pairs output, end to end: synthetic games whose paddle travels
// as each step's code says are recorded, their pairs written, the head learns the travel on the train
// episodes, scores it on the held-out ones, and the checkpoint loads back and predicts it.
import { mkdirSync, mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import { FRAME_FEATURES } from '../../models/action-map';
import { initBackend } from '../../models/backend';
import { readCheckpointMeta } from '../../models/checkpoint';
import { type ActionPairs, writePairs } from '../../pipeline/collect-pairs';
import { rgbToClasses } from '../../pipeline/frame-classes';
import type { Split } from '../../pipeline/latent-dataset';
import { Prng } from '../../pipeline/prng';
import { DEFAULT_TRAIN_PADDLE_HEAD_CONFIG, trainPaddleHead } from '../../pipeline/train-paddle-head';
import { writeVideo } from '../../pipeline/video';
import { loadBallHead, loadPaddleHead, WorldModel } from '../../pipeline/world-model';
import { WORLD_MODEL_DIR as SHIPPED_WORLD_MODEL } from '../../play/neural-env';
import { drawScene } from './breakout-frames';

/** Code 1 moves the paddle's left edge 6 px right, code 2 6 px left (within 8..136), any other code leaves it. */
const travel = (code: number) => (code === 1 ? 6 : code === 2 ? -6 : 0);

/** A game of `steps` random codes from the middle, as frames and codes. */
function game(seed: number, steps: number): { frames: Uint8Array[]; codes: number[] } {
  const rng = new Prng(seed);
  const codes = Array.from({ length: steps }, () => rng.int(4));
  const xs = [72];
  for (const c of codes) xs.push(Math.min(136, Math.max(8, xs.at(-1)! + travel(c))));
  return { frames: xs.map((paddleX) => drawScene({ paddleX })), codes };
}

beforeAll(async () => { await initBackend('cpu'); });

describe('train-paddle-head', () => {
  it('learns the travel of each code, scores held-out games and saves a checkpoint that predicts it', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'paddle-head-'));
    const rec = join(dir, 'rec');
    const pairsDir = join(dir, 'pairs');
    mkdirSync(rec); mkdirSync(pairsDir);
    const K = 3, steps = 40;
    const splits: Split[] = ['train', 'train', 'train', 'train', 'val', 'test'];
    const p: ActionPairs = { codebookSize: 4, contextFrames: K, episodes: [], episode: [], target: [], action: [], code: [], ballClock: [], relabelled: [], features: new Float32Array(0) };
    for (let e = 0; e < splits.length; e++) {
      const g = game(e + 1, steps);
      const source = join(rec, `episode-0000${e + 1}.json`);
      await writeVideo(join(rec, `episode-0000${e + 1}.mkv`), g.frames);
      writeFileSync(source, JSON.stringify({ actionSet: [0, 1, 3, 4], actionIndices: true, actions: g.codes }));
      p.episodes.push({ id: `rec/episode-0000${e + 1}`, source, split: splits[e], frames: steps + 1, actions: g.codes });
      for (let t = K; t <= steps; t++) { p.episode.push(e); p.target.push(t); p.action.push(g.codes[t - 1]); p.code.push(g.codes[t - 1]); p.ballClock.push(0); }
    }
    p.features = new Float32Array(p.code.length * FRAME_FEATURES);
    writePairs(pairsDir, p, 'synthetic');
    const config = { ...DEFAULT_TRAIN_PADDLE_HEAD_CONFIG, pairs: pairsDir, cacheDir: join(dir, 'cache'), hidden: [32], epochs: 60, batchSize: 16, lr: 1e-2, lrFinal: 1e-3, backend: 'cpu' as const };
    const r = await trainPaddleHead({ config, name: 'test', root: join(dir, 'runs'), log: () => {} });
    expect(r.scores.train.steps + r.scores.val.steps + r.scores.test.steps).toBe(6 * (steps - K + 1));
    for (const held of [r.scores.val, r.scores.test]) expect(held.exact).toBe(1);
    expect(readCheckpointMeta(r.checkpointDir).kind).toBe('paddle-head');
    const head = await loadPaddleHead(r.checkpointDir);
    const context = [60, 66, 72].map((x) => rgbToClasses(drawScene({ paddleX: x })));
    expect([0, 1, 2, 3].map((code) => head.next(context, code))).toEqual([72, 78, 66, 72]);
    // It reads its world model's codes: another codebook, or another kind of head, is refused.
    await expect(WorldModel.load(SHIPPED_WORLD_MODEL, { paddleHead: r.checkpointDir })).rejects.toThrow(/reads 4 codes, the world model .* has 8/);
    await expect(loadBallHead(r.checkpointDir)).rejects.toThrow(/holds a paddle-head, not a ball head/);
  });
});
