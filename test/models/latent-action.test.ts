import * as tf from '@tensorflow/tfjs';
import { beforeAll, describe, expect, it } from 'vitest';
import { initBackend } from '../../models/backend';
import {
  DEFAULT_LATENT_ACTION_CONFIG, LatentActionModel, depthToSpace, encoderNextFrame, packFrames, packedShape, savedLatentActionConfig, unpackClasses,
} from '../../models/latent-action';
import { EmaCodebook, codeUsage } from '../../models/vq';

const small = { ...DEFAULT_LATENT_ACTION_CONFIG, height: 18, width: 16, numClasses: 3, contextFrames: 2, encoderChannels: [4, 4, 4] as [number, number, number], stemChannels: 4, bodyChannels: 4, bodyBlocks: 1, refineChannels: 4 };

function randomFrame(h: number, w: number, classes: number, seed: number): Uint8Array {
  const f = new Uint8Array(h * w);
  let s = seed;
  for (let i = 0; i < f.length; i++) { s = (s * 1103515245 + 12345) >>> 0; f[i] = (s >>> 16) % classes; }
  return f;
}

describe('latent action model', () => {
  beforeAll(async () => { await initBackend('cpu', { log: () => {} }); });

  it('packs frames into 4x4 one-hot cells and unpacks them exactly (with padding rows)', () => {
    const f = randomFrame(small.height, small.width, small.numClasses, 1), g = randomFrame(small.height, small.width, small.numClasses, 2);
    const s = packedShape(small, 2);
    expect(s).toEqual({ h4: 6, w4: 4, channels: 2 * 16 * 3 });
    const packed = packFrames(small, [f, g], new Float32Array(s.h4 * s.w4 * s.channels));
    // Exactly one hot class per real pixel and frame; padding rows (24 - 18 = 6) are all zero.
    expect(packed.reduce((a, b) => a + b, 0)).toBe(2 * small.height * small.width);
    // Read back frame g: argmax over the classes of its sub-pixels.
    const cells = new Int32Array(s.h4 * s.w4 * 16);
    for (let c = 0; c < s.h4 * s.w4; c++) for (let sp = 0; sp < 16; sp++) {
      let best = 0;
      for (let k = 0; k < 3; k++) if (packed[c * s.channels + 48 + sp * 3 + k] > packed[c * s.channels + 48 + sp * 3 + best]) best = k;
      cells[c * 16 + sp] = best;
    }
    expect(Array.from(unpackClasses(small, cells))).toEqual(Array.from(g));
  });

  it('encoderNextFrame: rows above encoderFromRow are the last frame\'s, the rest the next frame\'s (0 = all of it)', () => {
    const last = randomFrame(small.height, small.width, 3, 3), next = randomFrame(small.height, small.width, 3, 4);
    expect(encoderNextFrame({ ...small, encoderFromRow: 0 }, last, next)).toBe(next);
    const view = encoderNextFrame({ ...small, encoderFromRow: 5 }, last, next);
    expect(Array.from(view.subarray(0, 5 * 16))).toEqual(Array.from(last.subarray(0, 5 * 16)));
    expect(Array.from(view.subarray(5 * 16))).toEqual(Array.from(next.subarray(5 * 16)));
    expect(view).not.toBe(next);
  });

  it('depthToSpace from reshape/transpose equals tf.depthToSpace', () => {
    const x = tf.randomNormal([2, 3, 4, 12]) as tf.Tensor4D;
    const a = depthToSpace(x, 2).arraySync();
    const b = tf.depthToSpace(x, 2, 'NHWC').arraySync();
    expect(a).toEqual(b);
  });

  it('untrained, copies the last context frame (the prior), whatever the code', () => {
    const m = new LatentActionModel(small, 3);
    const ctx = [randomFrame(18, 16, 3, 5), randomFrame(18, 16, 3, 6)];
    const s1 = packedShape(small, 1);
    const older = tf.tensor4d(packFrames(small, [ctx[0]], new Float32Array(s1.h4 * s1.w4 * s1.channels)), [1, s1.h4, s1.w4, s1.channels]);
    const last = tf.tensor4d(packFrames(small, [ctx[1]], new Float32Array(s1.h4 * s1.w4 * s1.channels)), [1, s1.h4, s1.w4, s1.channels]);
    for (const code of [0, 5]) {
      const pred = m.argmaxFrames(m.decode(older, last, m.codeVectors([code])))[0];
      expect(Array.from(pred)).toEqual(Array.from(ctx[1]));
    }
    m.dispose();
  });

  it('keep bias: adds keepBias to each sub-pixel\'s last class only, so a near-even change is kept', () => {
    const cfg = { ...small, keepBias: 1.5 };
    const m = new LatentActionModel(cfg, 3);
    const s1 = packedShape(cfg, 1);
    const lastFrame = randomFrame(18, 16, 3, 7);
    const last = tf.tensor4d(packFrames(cfg, [lastFrame], new Float32Array(s1.h4 * s1.w4 * s1.channels)), [1, s1.h4, s1.w4, s1.channels]);
    // Logits that favour "the next class" over the last one by 1 everywhere: unbiased, every pixel changes.
    const nextFrame = lastFrame.map((c) => (c + 1) % 3);
    const logits = tf.tensor4d(packFrames(cfg, [nextFrame], new Float32Array(s1.h4 * s1.w4 * s1.channels)), [1, s1.h4, s1.w4, s1.channels]);
    expect(Array.from(m.argmaxFrames(logits)[0])).toEqual(Array.from(nextFrame));
    const biased = m.keepBiased(logits, last);
    expect(biased.sub(logits).arraySync()).toEqual(last.mul(1.5).arraySync());
    expect(Array.from(m.argmaxFrames(biased)[0])).toEqual(Array.from(lastFrame));
    m.dispose();
  });

  it('a saved config without a keep bias loads with none (what it was trained and measured with)', () => {
    const { keepBias: _, ...old } = DEFAULT_LATENT_ACTION_CONFIG;
    expect(savedLatentActionConfig(old).keepBias).toBe(0);
    expect(savedLatentActionConfig({ ...old, keepBias: 2 }).keepBias).toBe(2);
  });

  describe('the 1/16 path', () => {
    const cfg = { ...small, height: 96, width: 96 };
    const s1 = packedShape(cfg, 1);
    const pack = (f: Uint8Array) => tf.tensor4d(packFrames(cfg, [f], new Float32Array(s1.h4 * s1.w4 * s1.channels)), [1, s1.h4, s1.w4, s1.channels]);
    /** A model whose zero-initialised layers (head, 1/16 up) are random, so every path shows in the logits. */
    const randomModel = (coarseBlocks: number) => {
      const m = new LatentActionModel({ ...cfg, coarseBlocks }, 4);
      for (const name of ['dec/head/kernel', 'dec/coarse_up/kernel']) {
        const v = m.params.get(name);
        if (v) v.assign(tf.randomNormal(v.shape, 0, 0.5, 'float32', 9));
      }
      return m;
    };
    const logitsAt = (m: LatentActionModel, older: Uint8Array, last: Uint8Array, cellRow: number) =>
      tf.tidy(() => m.decode(pack(older), pack(last), m.codeVectors([1])).slice([0, cellRow, 0, 0], [1, 1, -1, -1]).dataSync());

    it('reaches 48 px: a pixel that far away in an older frame changes the prediction only with it', () => {
      const last = randomFrame(96, 96, 3, 7), older = randomFrame(96, 96, 3, 8);
      const moved = older.slice();
      moved[4 * 96 + 40] = (moved[4 * 96 + 40] + 1) % 3; // row 4; the compared cells are at rows 52-55
      const differs = (m: LatentActionModel) => {
        const a = logitsAt(m, older, last, 13), b = logitsAt(m, moved, last, 13);
        return a.some((v, i) => v !== b[i]);
      };
      const near = randomModel(0), far = randomModel(2);
      expect(differs(near)).toBe(false);
      expect(differs(far)).toBe(true);
      near.dispose();
      far.dispose();
    });

    it('can be added to a trained model without changing its function (grow: the new path starts at zero)', () => {
      const before = randomModel(0);
      const named = Object.fromEntries(before.namedWeights().map(({ name, tensor }) => [name, tensor]));
      const grown = new LatentActionModel({ ...cfg, coarseBlocks: 2 }, 5);
      expect(() => grown.setWeights(named)).toThrow(/lacks dec\/coarse/);
      const added = grown.setWeights(named, { grow: true });
      expect(added.length).toBeGreaterThan(0);
      expect(added.every((n) => /^dec\/(code_)?coarse/.test(n))).toBe(true);
      const f = randomFrame(96, 96, 3, 10), g = randomFrame(96, 96, 3, 11);
      for (let row = 0; row < s1.h4; row += 5) {
        const a = logitsAt(before, f, g, row), b = logitsAt(grown, f, g, row);
        a.forEach((v, i) => expect(Math.abs(v - b[i])).toBeLessThan(1e-5));
      }
      before.dispose();
      grown.dispose();
    });
  });

  describe('the global path', () => {
    // 96 rows: without the 1/16 path, the convs reach ~40 px, so the top rows cannot see the bottom ones.
    const cfg = { ...small, height: 96, width: 96, coarseBlocks: 0 };
    const s1 = packedShape(cfg, 1);
    const pack = (f: Uint8Array) => tf.tensor4d(packFrames(cfg, [f], new Float32Array(s1.h4 * s1.w4 * s1.channels)), [1, s1.h4, s1.w4, s1.channels]);
    const model = (globalPath: boolean, seed: number, random: string[]) => {
      const m = new LatentActionModel({ ...cfg, globalPath }, seed);
      for (const name of random) {
        const v = m.params.get(name);
        if (v) v.assign(tf.randomNormal(v.shape, 0, 0.5, 'float32', seed + 9));
      }
      return m;
    };
    const topRowLogits = (m: LatentActionModel, older: Uint8Array, last: Uint8Array) =>
      tf.tidy(() => m.decode(pack(older), pack(last), m.codeVectors([1])).slice([0, 0, 0, 0], [1, 1, -1, -1]).dataSync());

    it('lets the top row see a pixel at the bottom of the screen (as the score digits must see a lost ball)', () => {
      const last = randomFrame(96, 96, 3, 7), older = randomFrame(96, 96, 3, 8);
      const moved = last.slice();
      moved[92 * 96 + 50] = (moved[92 * 96 + 50] + 1) % 3;
      const differs = (m: LatentActionModel) => {
        const a = topRowLogits(m, older, last), b = topRowLogits(m, older, moved);
        return a.some((v, i) => v !== b[i]);
      };
      const local = model(false, 4, ['dec/head/kernel']), global = model(true, 4, ['dec/head/kernel', 'dec/global/kernel']);
      expect(differs(local)).toBe(false);
      expect(differs(global)).toBe(true);
      local.dispose();
      global.dispose();
    });

    it('can be added to a trained model without changing its function (it starts at zero)', () => {
      const before = model(false, 4, ['dec/head/kernel']);
      const named = Object.fromEntries(before.namedWeights().map(({ name, tensor }) => [name, tensor]));
      const grown = new LatentActionModel({ ...cfg, globalPath: true }, 5);
      expect(grown.setWeights(named, { grow: true })).toEqual(['dec/global/kernel', 'dec/global/bias']);
      const f = randomFrame(96, 96, 3, 10), g = randomFrame(96, 96, 3, 11);
      const a = topRowLogits(before, f, g), b = topRowLogits(grown, f, g);
      a.forEach((v, i) => expect(Math.abs(v - b[i])).toBeLessThan(1e-5));
      before.dispose();
      grown.dispose();
    });

    it('is absent from checkpoints saved before it existed', () => {
      const { globalPath: _, ...old } = DEFAULT_LATENT_ACTION_CONFIG;
      expect(savedLatentActionConfig(old).globalPath).toBe(false);
    });
  });
});

describe('EMA codebook', () => {
  it('moves codes to the mean of their assignments and measures usage', () => {
    const cb = new Float32Array([0, 0, 10, 10]);
    const ema = new EmaCodebook({ size: 2, dim: 2, decay: 0.5, deadShare: 0.25 }, cb);
    const z = new Float32Array([1, 1, 1, 1, 9, 9]);
    const codes = new Int32Array([0, 0, 1]);
    for (let i = 0; i < 30; i++) ema.update(z, codes);
    expect(cb[0]).toBeCloseTo(1, 3);
    expect(cb[2]).toBeCloseTo(9, 3);
    const u = codeUsage(codes, 2);
    expect(u.used).toBe(2);
    expect(u.perplexity).toBeCloseTo(Math.exp(-(2 / 3) * Math.log(2 / 3) - (1 / 3) * Math.log(1 / 3)), 6);
  });

  it('restarts a dead code onto an encoder output', () => {
    const cb = new Float32Array([0, 0, 100, 100]);
    const ema = new EmaCodebook({ size: 2, dim: 2, decay: 0.5, deadShare: 0.5 }, cb);
    const z = new Float32Array([1, 0, -1, 0, 3, 3]);
    const codes = new Int32Array([0, 0, 0]);
    for (let i = 0; i < 10; i++) ema.update(z, codes);
    const restarted = ema.restartDead(z, codes, () => 0);
    expect(restarted).toEqual([1]);
    expect(Math.abs(cb[2] - 3)).toBeLessThan(0.05); // the worst-served sample, (3, 3)
  });
});
