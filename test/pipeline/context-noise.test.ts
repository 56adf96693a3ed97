import { beforeAll, describe, expect, it } from 'vitest';
import { initBackend } from '../../models/backend';
import { DEFAULT_LATENT_ACTION_CONFIG, LatentActionModel } from '../../models/latent-action';
import { corruptContext, withOwnPredictions } from '../../pipeline/context-noise';
import { LatentDataset, MemoryFrameStore } from '../../pipeline/latent-dataset';
import { Prng } from '../../pipeline/prng';
import { WorldModel } from '../../pipeline/world-model';

// 40x30 frames: background, a grey wall column, a red 2x2 ball at (20, 12) and a red paddle row at 34.
const H = 40, W = 30, RED = 2, GREY = 1;
function frame(): Uint8Array {
  const f = new Uint8Array(H * W);
  for (let y = 0; y < H; y++) f[y * W] = GREY;
  for (const [y, x] of [[20, 12], [20, 13], [21, 12], [21, 13]]) f[y * W + x] = RED;
  for (let x = 10; x < 18; x++) f[34 * W + x] = RED;
  for (let x = 1; x < W; x++) f[2 * W + x] = RED; // a red brick row above minRow
  return f;
}

describe('corruptContext', () => {
  it('paints red onto background near the ball or paddle, or erases red, in context frames only', () => {
    const geometry = { height: H, width: W, minRow: 10 };
    let changedWindows = 0;
    for (let seed = 0; seed < 50; seed++) {
      const w = { context: [frame(), frame(), frame()], target: frame() };
      const out = corruptContext(w, new Prng(seed), geometry);
      expect(w.context.every((f) => f.every((v, i) => v === frame()[i]))).toBe(true); // the input is not mutated
      expect(out.target).toBe(w.target);
      const original = frame();
      let changed = 0;
      for (const f of out.context) {
        f.forEach((v, i) => {
          if (v === original[i]) return;
          changed++;
          const y = Math.floor(i / W), x = i % W;
          expect([[0, RED], [RED, 0]]).toContainEqual([original[i], v]); // never over walls or other colours
          expect(y).toBeGreaterThanOrEqual(10); // nothing near the red bricks above minRow
          // Within reach (10 px) plus a blob's size of a ball or paddle pixel.
          const nearBall = Math.abs(y - 20) <= 14 && Math.abs(x - 12) <= 14;
          const nearPaddle = Math.abs(y - 34) <= 14 && x >= 10 - 14 && x < 18 + 14;
          expect(nearBall || nearPaddle).toBe(true);
        });
      }
      if (changed > 0) changedWindows++;
    }
    expect(changedWindows).toBeGreaterThan(40);
  });

  it('is reproducible from the generator state', () => {
    const geometry = { height: H, width: W, minRow: 10 };
    const a = corruptContext({ context: [frame(), frame()], target: frame() }, new Prng(3), geometry);
    const b = corruptContext({ context: [frame(), frame()], target: frame() }, new Prng(3), geometry);
    expect(a.context).toEqual(b.context);
  });
});

describe('withOwnPredictions', () => {
  /** A tiny untrained world model of 16x16 frames, K = 2. */
  const tinyModel = () => new LatentActionModel({ ...DEFAULT_LATENT_ACTION_CONFIG, height: 16, width: 16, contextFrames: 2, codebookSize: 2, codeDim: 4, encoderChannels: [4, 4, 4], stemChannels: 4, bodyChannels: 4, bodyBlocks: 1, refineChannels: 4 }, 3);
  /** One training episode of `n` random 16x16 class frames (resets at `resets`), K = 2. */
  const randomEpisode = (seed: number, n: number, resets: number[] = []) => {
    const rng = new Prng(seed);
    const frames = Array.from({ length: n }, () => Uint8Array.from({ length: 256 }, () => rng.int(9)));
    const ds = new LatentDataset([{ id: 'e', source: 's', frames: n, actions: new Array(n - 1).fill(0), resets, split: 'train' }], new MemoryFrameStore([frames]), 2);
    return { frames, ds };
  };
  beforeAll(async () => { await initBackend('wasm', { log: () => {} }); });

  it('replaces the last context frame by the model\'s prediction of it, where a previous step exists', () => {
    // A reset at frame 5.
    const { ds } = randomEpisode(1, 8, [5]);
    const model = tinyModel();
    const wm = new WorldModel(model);
    const picks = ds.windows('train');
    expect(picks.map((w) => w.target)).toEqual([2, 3, 4, 7]);
    expect(picks.map((w) => ds.previous(w)?.target ?? null)).toEqual([null, 2, 3, null]); // none before the first, none across the reset
    const windows = picks.map((w) => ds.frames(w));
    const out = withOwnPredictions(ds, wm, picks, windows);
    expect(out[0]).toBe(windows[0]);
    expect(out[3]).toBe(windows[3]);
    for (const i of [1, 2]) {
      const prev = ds.frames(ds.previous(picks[i])!);
      const expected = wm.predict([prev.context], wm.inferCodes([prev.context], [prev.target]))[0];
      expect(out[i].context[1]).toEqual(expected);
      expect(out[i].context[1]).not.toEqual(windows[i].context[1]);
      expect(out[i].context[0]).toEqual(windows[i].context[0]);
      expect(out[i].target).toBe(windows[i].target);
    }
    model.dispose();
  });

  it('rolls several own steps into the context, as far back as the episode allows', () => {
    const { frames, ds } = randomEpisode(2, 8);
    const model = tinyModel();
    const wm = new WorldModel(model);
    const at = (target: number) => ({ episode: 0, target });
    const code = (target: number) => {
      const f = ds.frames(at(target));
      return wm.inferCodes([f.context], [f.target]);
    };
    // Window 5, two steps: from the real frames 1, 2 predict 3, then 4 (from 2 and the predicted 3),
    // then 5 is the target, so the context holds the two predictions.
    const p3 = wm.predict([[frames[1], frames[2]]], code(3))[0];
    const p4 = wm.predict([[frames[2], p3]], code(4))[0];
    const [three] = withOwnPredictions(ds, wm, [at(5)], [ds.frames(at(5))], 2);
    expect(three.context).toEqual([p3, p4]);
    expect(three.target).toEqual(frames[5]);
    // Window 3 has only one step before it (window 2): a one-step rollout, whatever `steps` asks.
    const p2 = wm.predict([[frames[0], frames[1]]], code(2))[0];
    const [short] = withOwnPredictions(ds, wm, [at(3)], [ds.frames(at(3))], 4);
    expect(short.context).toEqual([frames[1], p2]);
    model.dispose();
  });

  it('keeps the top realRows rows (the score band) of each predicted frame real', () => {
    const { frames, ds } = randomEpisode(3, 6);
    const model = tinyModel();
    const wm = new WorldModel(model);
    const at = { episode: 0, target: 5 };
    const [own] = withOwnPredictions(ds, wm, [at], [ds.frames(at)], 2);
    const [banded] = withOwnPredictions(ds, wm, [at], [ds.frames(at)], 2, 3);
    // Each predicted context frame: rows 0-2 from the real frame it stands for (3, then 4), the rest the model's.
    [3, 4].forEach((real, j) => {
      expect(banded.context[j].subarray(0, 48)).toEqual(frames[real].subarray(0, 48));
      expect(own.context[j].subarray(0, 48)).not.toEqual(frames[real].subarray(0, 48));
    });
    // The second prediction saw the first's real band, so only the first frame's rest must match exactly.
    expect(banded.context[0].subarray(48)).toEqual(own.context[0].subarray(48));
    model.dispose();
  });
});
