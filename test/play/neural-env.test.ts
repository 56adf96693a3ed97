import * as tf from '@tensorflow/tfjs';
import { existsSync, mkdtempSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import sharp from 'sharp';
import { beforeAll, describe, expect, it } from 'vitest';
import { initBackend } from '../../models/backend';
import { DEFAULT_LATENT_ACTION_CONFIG, type LatentActionConfig, LatentActionModel, packedShape, packFrames } from '../../models/latent-action';
import { saveCheckpoint } from '../../models/checkpoint';
import { fieldBall } from '../../pipeline/breakout-decode';
import { classesToRgb, rgbToClasses } from '../../pipeline/frame-classes';
import { saveWorldModel, WorldModel } from '../../pipeline/world-model';
import { FastDecoder } from '../../play/fast-decoder';
import { BALL_CLOCK_MAX, ballClockOf, TableActionMap } from '../../models/action-map';
import { chooseCode, FIRE, NeuralGame, NOOP } from '../../play/neural-core';
import { loadNeuralEnv, WORLD_MODEL_DIR } from '../../play/neural-env';
import { headlessPolicy, neuralActionForKeys, recordNeuralGame, statusLine } from '../../play/play-neural';
import { loadStartFrames, START_FRAMES_DIR } from '../../play/start-frames';

// A small decoder (same layout as the shipped one) with a random, non-zero head, 1/16 path and global path,
// so predictions differ from a copy of the last frame and depend on the code.
const SMALL: LatentActionConfig = {
  ...DEFAULT_LATENT_ACTION_CONFIG,
  encoderChannels: [8, 8, 8],
  stemChannels: 8,
  bodyChannels: 8,
  bodyBlocks: 1,
  refineChannels: 8,
  keepBias: 2,
};

function smallModel(seed = 1): LatentActionModel {
  const model = new LatentActionModel(SMALL, seed);
  for (const name of ['dec/head/kernel', 'dec/coarse_up/kernel', 'dec/global/kernel']) {
    const v = model.params.get(name)!;
    v.assign(tf.randomNormal(v.shape, 0, 0.6, 'float32', seed + 11));
  }
  for (const name of ['dec/code_down/kernel', 'dec/code_refine/kernel', 'dec/code_coarse0/kernel']) {
    const v = model.params.get(name)!;
    v.assign(tf.randomNormal(v.shape, 0, 1, 'float32', seed + 13));
  }
  return model;
}

const identityTable = (n: number) => Array.from({ length: 4 }, (_, a) => Array.from({ length: n }, (_, k) => (k === a ? 1 : 0)));

/** A few real-looking screens from the shipped start frames. */
let starts: Awaited<ReturnType<typeof loadStartFrames>>;

beforeAll(async () => {
  await initBackend('wasm', { log: () => {} });
  starts = await loadStartFrames(START_FRAMES_DIR);
});

describe('shipped start frames', () => {
  it('are real Breakout screens: palette colours only, with the paddle and the walls', () => {
    expect(starts.length).toBeGreaterThanOrEqual(3);
    for (const s of starts) {
      expect(s.frames.length).toBeGreaterThanOrEqual(4);
      for (const f of s.frames) {
        expect(f.length).toBe(210 * 160 * 3);
        // Exact round trip through the colour classes: nothing off-palette.
        expect(Buffer.from(classesToRgb(rgbToClasses(f))).equals(Buffer.from(f))).toBe(true);
      }
      const last = s.frames[s.frames.length - 1];
      let red = 0;
      for (let y = 189; y <= 192; y++) for (let x = 8; x < 152; x++) {
        const i = (y * 160 + x) * 3;
        if (last[i] === 200 && last[i + 1] === 72 && last[i + 2] === 72) red++;
      }
      expect(red).toBeGreaterThan(0);
    }
  });
});

describe('chooseCode', () => {
  it('takes the most likely code at temperature 0 and samples in proportion otherwise', () => {
    expect(chooseCode([0.1, 0.7, 0.2], 0, Math.random)).toBe(1);
    let u = 0;
    const seq = () => (u = (u + 0.137) % 1);
    const counts = [0, 0, 0];
    for (let i = 0; i < 3000; i++) counts[chooseCode([0.1, 0.7, 0.2], 1, seq)]++;
    expect(counts[1] / 3000).toBeGreaterThan(0.6);
    expect(counts[1] / 3000).toBeLessThan(0.8);
    expect(counts[0]).toBeGreaterThan(0);
    // A low temperature sharpens towards the argmax.
    const sharp = [0, 0, 0];
    for (let i = 0; i < 3000; i++) sharp[chooseCode([0.3, 0.4, 0.3], 0.05, seq)]++;
    expect(sharp[1]).toBeGreaterThan(2900);
  });
});

describe('FastDecoder', () => {
  it('predicts what LatentActionModel.decode + argmax predicts, for every code, also after incremental steps', () => {
    const model = smallModel(3);
    const game = new NeuralGame(model, new TableActionMap(identityTable(SMALL.codebookSize)), starts, { fast: true });
    expect(game.decoderPath).toBe('fused');
    game.reset({ start: 1 });
    let differs = 0;
    const compare = () => {
      for (let code = 0; code < SMALL.codebookSize; code++) {
        const fast = game.predict(code);
        const ref = game.predictWithModel(code);
        // Float sums in another order may flip a near-tie: allow a handful of pixels, no more.
        let diff = 0;
        for (let i = 0; i < fast.length; i++) if (fast[i] !== ref[i]) diff++;
        expect(diff).toBeLessThan(20);
        const last = game.contextClasses()[SMALL.contextFrames - 1];
        for (let i = 0; i < fast.length; i++) if (fast[i] !== last[i]) differs++;
      }
    };
    compare();
    // The stem is updated incrementally and recomputed every 64 frames: check before and after that.
    for (let t = 1; t <= 70; t++) {
      game.step(t % 4);
      if (t === 5 || t === 70) compare();
    }
    expect(differs).toBeGreaterThan(100); // the test model really changes the frame
    game.dispose();
  });

  it('keeps to the model as frames slide in, with few changed cells (incremental) and many (recomputed)', () => {
    const model = smallModel(4);
    const fast = new FastDecoder(model);
    const ref = new NeuralGame(model, new TableActionMap(identityTable(SMALL.codebookSize)), starts, { fast: false });
    const real = starts[1].frames.map((f) => rgbToClasses(f));
    const changed = (a: Uint8Array, b: Uint8Array) => a.reduce((n, v, i) => n + (v !== b[i] ? 1 : 0), 0);
    // The premise of the incremental path: consecutive real frames differ in a few pixels.
    expect(changed(real[2], real[3])).toBeGreaterThan(0);
    expect(changed(real[2], real[3])).toBeLessThan(60);
    // A screen moved down 20 rows: thousands of pixels change at once.
    const moved = new Uint8Array(real[3].length);
    moved.set(real[3].subarray(0, real[3].length - 20 * 160), 20 * 160);
    expect(changed(real[3], moved)).toBeGreaterThan(3000);
    const context = real.slice(0, SMALL.contextFrames);
    fast.reset(context);
    // Quiet steps (the refine share recomputed, then updated in JS), a jump (convolved in full) and back.
    for (const frame of [real[3], real[3], moved, real[3], real[3], real[3], real[3]]) {
      fast.push(frame);
      context.push(frame);
      context.shift();
      ref.resetFrom({ name: 'context', frames: context.map((c) => classesToRgb(c)) });
      for (let code = 0; code < SMALL.codebookSize; code++) {
        expect(changed(fast.predict(code), ref.predictWithModel(code))).toBeLessThan(20);
        // The logits themselves, before the class prior, to float rounding.
        const want = tf.tidy(() => {
          const pack = (frames: Uint8Array[]) => {
            const s = packedShape(SMALL, frames.length);
            return tf.tensor4d(packFrames(SMALL, frames, new Float32Array(s.h4 * s.w4 * s.channels)), [1, s.h4, s.w4, s.channels]);
          };
          const last = pack(context.slice(-1));
          const prior = tf.matMul(last.reshape([-1, SMALL.numClasses]), model.params.get('dec/prior') as tf.Tensor2D);
          return model.decode(pack(context.slice(0, -1)), last, model.codeVectors([code])).reshape([-1]).sub(prior.reshape([-1])).dataSync();
        });
        const got = fast.logits(code);
        let worst = 0;
        for (let i = 0; i < got.length; i++) worst = Math.max(worst, Math.abs(got[i] - want[i]));
        expect(worst).toBeLessThan(1e-3);
      }
    }
    fast.dispose();
    ref.dispose();
  });

  it('is supported by the default layout', () => {
    expect(FastDecoder.supports(new LatentActionModel(SMALL, 0))).toBe(true);
  });
});

describe('NeuralGame', () => {
  it('has the AtariEnv shape: reset gives the start screen, step gives a 210x160x3 screen', () => {
    const game = new NeuralGame(smallModel(), new TableActionMap(identityTable(SMALL.codebookSize)), starts);
    const r0 = game.reset({ start: 2 });
    expect(r0.observation.length).toBe(210 * 160 * 3);
    expect(Buffer.from(r0.observation).equals(Buffer.from(starts[2].frames[3]))).toBe(true);
    const r1 = game.step(2);
    expect(r1.observation.length).toBe(210 * 160 * 3);
    expect(r1.info.step).toBe(1);
    expect(r1.info.code).toBe(2);
    expect(r1.terminated).toBe(false);
    expect(() => game.step(4)).toThrow(RangeError);
    game.dispose();
  });

  it('gives the action map the actions taken since the reset, oldest first, and the ball clock', () => {
    const seen: number[][] = [];
    const clocks: (number | undefined)[] = [];
    const map = {
      codebookSize: SMALL.codebookSize,
      codeProbabilities: (action: number, _ctx: readonly Uint8Array[], previous?: ArrayLike<number> | null, ballClock?: number) => {
        seen.push(Array.from(previous ?? []));
        clocks.push(ballClock);
        return identityTable(SMALL.codebookSize)[action];
      },
    };
    const model = smallModel();
    const game = new NeuralGame(model, map, starts);
    game.reset({ start: 0 });
    const frames = starts[0].frames.map((f) => rgbToClasses(f));
    for (const a of [2, 3, 1, 0]) frames.push(rgbToClasses(game.step(a).observation));
    expect(seen).toEqual([[], [2], [2, 3], [2, 3, 1]]);
    // The clock runs over the start frames (a game's first) and then the predicted ones.
    expect(clocks).toEqual([0, 1, 2, 3].map((k) => ballClockOf(frames.slice(0, starts[0].frames.length + k))));
    expect(clocks[0]).toBe(BALL_CLOCK_MAX); // start-00 is a game before its first serve
    game.reset({ start: 0 });
    game.step(3);
    expect(seen[4]).toEqual([]);
    game.dispose();
  });

  it('is deterministic at temperature 0 and reproducible from a seed when sampling', () => {
    const model = smallModel();
    const soft = Array.from({ length: 4 }, () => Array.from({ length: SMALL.codebookSize }, (_, k) => 1 + k));
    const run = (temperature: number, seed: number) => {
      const game = new NeuralGame(model, new TableActionMap(soft), starts, { temperature, seed });
      game.reset({ seed });
      const out: { frame: Buffer; code: number }[] = [];
      for (let t = 0; t < 6; t++) {
        const r = game.step(t % 4);
        out.push({ frame: Buffer.from(r.observation), code: r.info.code });
      }
      game.dispose();
      return out;
    };
    const a = run(0, 5), b = run(0, 9);
    expect(a.map((x) => x.code)).toEqual(new Array(6).fill(SMALL.codebookSize - 1));
    const c = run(1, 5), d = run(1, 5), e = run(1, 6);
    expect(c.map((x) => x.code)).toEqual(d.map((x) => x.code));
    c.forEach((x, i) => expect(x.frame.equals(d[i].frame)).toBe(true));
    expect(new Set(c.map((x) => x.code)).size).toBeGreaterThan(1);
    expect(c.map((x) => x.code)).not.toEqual(e.map((x) => x.code));
    // Temperature 0: same start (seed picks it) -> same frames.
    const a2 = run(0, 5);
    a.forEach((x, i) => expect(x.frame.equals(a2[i].frame)).toBe(true));
    expect(b.length).toBe(6);
  });
});

describe('the serve rule, with the shipped world model', () => {
  it('at a game start FIRE serves a ball where the map names a code that draws none, and NOOP does not where it names one that does', async () => {
    const wm = await WorldModel.load(WORLD_MODEL_DIR);
    const always = (code: number) => new TableActionMap(Array.from({ length: 4 }, () => Array.from({ length: wm.codebookSize }, (_, k) => (k === code ? 1 : 0))));
    const play = (code: number, action: number, serveRule: boolean) => {
      const game = new NeuralGame(wm.model, always(code), starts, { serveRule });
      game.reset({ start: 0 }); // before the first serve: no ball
      const r = game.step(action);
      game.dispose();
      return { code: r.info.code, ball: fieldBall(rgbToClasses(r.observation)) };
    };
    expect(fieldBall(rgbToClasses(starts[0].frames.at(-1)!))).toBeNull();
    // A code that draws no ball here ("nothing happened"), named for FIRE: the rule must serve anyway.
    const quiet = Array.from({ length: wm.codebookSize }, (_, k) => k).find((k) => play(k, FIRE, false).ball === null);
    expect(quiet).toBeDefined();
    expect(play(quiet!, FIRE, false)).toEqual({ code: quiet, ball: null });
    const served = play(quiet!, FIRE, true);
    expect(served.code).not.toBe(quiet);
    expect(served.ball).not.toBeNull();
    expect(play(served.code, NOOP, false).ball).not.toBeNull(); // the serving code, named for NOOP
    const kept = play(served.code, NOOP, true);
    expect(kept.code).not.toBe(served.code);
    expect(kept.ball).toBeNull();
  });
});

describe('loadNeuralEnv + headless recording', () => {
  it('loads checkpoint folders from disk and writes a GIF of a random neural game', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'neural-env-'));
    const model = smallModel(4);
    await saveWorldModel(join(dir, 'wm'), model, { command: 'test' });
    await saveCheckpoint(join(dir, 'am'), { meta: { kind: 'action-map', codeTable: identityTable(SMALL.codebookSize) } });
    const { game } = await loadNeuralEnv({ worldModel: join(dir, 'wm'), actionMap: join(dir, 'am') });
    // Same weights as the in-memory model: same first prediction.
    game.reset({ start: 0 });
    const ref = new NeuralGame(model, new TableActionMap(identityTable(SMALL.codebookSize)), starts);
    ref.reset({ start: 0 });
    expect(Buffer.from(game.step(1).observation).equals(Buffer.from(ref.step(1).observation))).toBe(true);
    ref.dispose();

    const out = join(dir, 'neural-game.gif');
    const r = await recordNeuralGame({ game, policy: 'random', steps: 12, out, seed: 1, fps: 15, scale: 1 });
    expect(r.frames).toBe(13);
    expect(readFileSync(out).subarray(0, 6).toString()).toBe('GIF89a');
    const meta = await sharp(out, { pages: -1 }).metadata();
    expect(meta.pages).toBe(13);
    expect(meta.width).toBe(160);
    await expect(recordNeuralGame({ game, policy: 'random', steps: 2, out: join(dir, 'x.avi'), seed: 1, fps: 15, scale: 1 })).rejects.toThrow(/\.gif or \.mp4/);
    expect(existsSync(join(dir, 'x.avi'))).toBe(false);
    game.dispose();
  });

  it('says clearly when a checkpoint is missing', async () => {
    await expect(loadNeuralEnv({ worldModel: '/nonexistent/wm' })).rejects.toThrow(/world model not found: \/nonexistent\/wm/);
  });
});

describe('player helpers', () => {
  it('maps keys to actions and writes the status line', () => {
    expect(neuralActionForKeys(false, false, false)).toBe(0);
    expect(neuralActionForKeys(false, false, true)).toBe(1);
    expect(neuralActionForKeys(false, true, false)).toBe(2);
    expect(neuralActionForKeys(true, false, false)).toBe(3);
    expect(neuralActionForKeys(true, true, false)).toBe(0);
    const line = statusLine({ step: 12, action: 3, latencyMs: 9.87, fps: 15, twin: { psnr: 31.25, dynamicAccuracy: 0.5 } });
    expect(line).toContain('step 12');
    expect(line).toContain('  LEFT ');
    expect(line).toContain('model 9.9 ms');
    expect(line).toContain('15 fps');
    expect(line).toContain('PSNR 31.3 dB');
    expect(line).toContain('dyn-acc 0.50');
    // Fits an 80-column terminal even with large figures.
    expect(statusLine({ step: 123456, action: 2, latencyMs: 123.4, fps: 15, twin: { psnr: 60, dynamicAccuracy: 1 }, paused: true }).length).toBeLessThanOrEqual(80);
    expect(statusLine({ step: 123456, action: 2, latencyMs: 123.4, fps: 15, paused: true }).length).toBeLessThanOrEqual(80);
  });

  it('headless policies start with FIRE and are reproducible', () => {
    const a = headlessPolicy('random', 3), b = headlessPolicy('random', 3);
    const xs = Array.from({ length: 30 }, (_, t) => a(t));
    expect(xs[0]).toBe(1);
    expect(xs).toEqual(Array.from({ length: 30 }, (_, t) => b(t)));
    expect(new Set(xs).size).toBeGreaterThan(2);
  });
});
