// The action map network: frame features read the paddle and ball from colour-class frames; the MLP
// learns a code that depends on the action and on the screen (LEFT at the left wall does nothing);
// temperature sampling; a checkpoint round trip gives the same probabilities.
import * as tf from '@tensorflow/tfjs';
import { mkdtempSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import {
  ActionMap, BALL_CLOCK_MAX, ballClockAfter, ballClockOf, buildActionMapModel, encodeInput, FRAME_FEATURES, frameFeatures, inputSize, sampleCode, SERVE_CLOCK, SERVE_ONLY_ROWS, serveCode, temperatureProbabilities,
  type ActionMapConfig,
} from '../../models/action-map';
import { initBackend } from '../../models/backend';
import { saveCheckpoint } from '../../models/checkpoint';
import { BREAKOUT_PALETTE, rgbToClasses } from '../../pipeline/frame-classes';
import { loadActionMap } from '../../pipeline/action-map';
import { drawScene } from '../pipeline/breakout-frames';

const NOOP = 0, FIRE = 1, RIGHT = 2, LEFT = 3;
const scene = (paddleX: number, ball?: { x: number; y: number }) => rgbToClasses(drawScene({ paddleX, ball }));

/** The rule the synthetic encoder follows: a move into a wall and FIRE with the ball in play look like NOOP. */
function trueCode(action: number, paddleX: number, ball: boolean): number {
  if (action === LEFT && paddleX <= 8) return NOOP;
  if (action === RIGHT && paddleX >= 136) return NOOP;
  if (action === FIRE && ball) return NOOP;
  return action;
}

describe('action map', () => {
  beforeAll(async () => { await initBackend('cpu', { log: () => {} }); });

  it('is browser-safe: imports only TensorFlow.js and the browser-safe checkpoint format', () => {
    for (const file of ['models/action-map.ts', 'models/checkpoint-io.ts']) {
      const imports = [...readFileSync(file, 'utf8').matchAll(/from '([^']+)'/g)].map((m) => m[1]);
      expect(imports.length).toBeGreaterThan(0);
      for (const spec of imports) expect(spec, `${file} imports ${spec}`).toMatch(/^(@tensorflow\/|\.\/checkpoint-io$)/);
    }
  });

  it('the red class of the features is the palette red (ball and paddle)', () => {
    expect(BREAKOUT_PALETTE[2]).toEqual([200, 72, 72]);
  });

  it('frame features find the paddle, the walls and the ball, and their motion', () => {
    const f = frameFeatures([scene(60, { x: 40, y: 120 }), scene(64, { x: 44, y: 116 })]);
    expect(f.length).toBe(FRAME_FEATURES);
    expect(f[0]).toBe(1); // paddle present
    expect(f[1]).toBeCloseTo((64 + 7.5 - 8) / 144, 5);
    expect(f[2]).toBe(1); // far from both walls (capped)
    expect(f[3]).toBe(1);
    expect(f[4]).toBe(1); // 16 px wide
    expect(f[5]).toBeCloseTo(4 / 16, 5); // moved right by 4
    expect(f[11]).toBe(1);
    expect(f[6]).toBe(1); // ball present
    expect(f[7]).toBeCloseTo((44.5 - 8) / 144, 5);
    expect(f[9]).toBeCloseTo(4 / 16, 5);
    expect(f[10]).toBeCloseTo(-4 / 16, 5);
    const atWall = frameFeatures([scene(8)]);
    expect(atWall[2]).toBe(0); // no room on the left
    expect(atWall[6]).toBe(0); // no ball
    expect(atWall[5]).toBe(0); // one frame: no motion
    expect(() => frameFeatures([new Uint8Array(10)])).toThrow(/210/);
  });

  it('frame features see a ball about to hit a brick, a ball hidden among the bricks, and a broken brick', () => {
    // The scene's bricks: a red row 57-62 and a blue row 87-92.
    const rising = frameFeatures([scene(60, { x: 60, y: 108 }), scene(60, { x: 60, y: 100 })]);
    expect(rising[10]).toBeCloseTo(-8 / 16, 5);
    expect(rising[12]).toBeGreaterThan(0); // a step on at this speed, it is in the blue row
    expect(rising[13]).toBe(0);
    const falling = frameFeatures([scene(60, { x: 60, y: 96 }), scene(60, { x: 60, y: 104 })]);
    expect(falling[12]).toBe(0);
    const hidden = frameFeatures([scene(60, { x: 60, y: 96 }), scene(60)]);
    expect(hidden[6]).toBe(0); // no ball on screen
    expect(hidden[13]).toBe(1); // but there was one a frame ago: it is among the bricks
    expect(hidden[8]).toBeCloseTo((97.5 - 32) / 156, 5);
    const broken = scene(60);
    for (let y = 87; y <= 92; y++) broken.fill(0, y * 160 + 40, y * 160 + 48);
    expect(frameFeatures([scene(60), broken])[14]).toBe(1); // a whole brick (48 px) went
    expect(frameFeatures([scene(60), scene(60)])[14]).toBe(0);
  });

  it('learns a code that depends on the action and the screen to 100%', async () => {
    const cfg: ActionMapConfig = { numActions: 4, codebookSize: 6, frameFeatures: true, history: 0, ballClock: false, hidden: [32, 32] };
    const xs = [8, 8, 8, 20, 60, 100, 136, 136, 136];
    const rows: { a: number; ctx: Uint8Array[]; code: number }[] = [];
    for (const x of xs) for (const ball of [false, true]) for (let a = 0; a < 4; a++) {
      rows.push({ a, ctx: [scene(x, ball ? { x: 50, y: 130 } : undefined)], code: trueCode(a, x, ball) });
    }
    const X = new Float32Array(rows.length * inputSize(cfg));
    rows.forEach((r, i) => encodeInput(cfg, r.a, r.ctx, X, i));
    const model = buildActionMapModel(cfg, 3);
    const opt = tf.train.adam(0.02);
    const x = tf.tensor2d(X, [rows.length, inputSize(cfg)]);
    const y = tf.oneHot(tf.tensor1d(rows.map((r) => r.code), 'int32'), cfg.codebookSize);
    for (let step = 0; step < 300; step++) tf.dispose(opt.minimize(() => tf.losses.softmaxCrossEntropy(y, model.apply(x) as tf.Tensor) as tf.Scalar, true)!);
    const map = new ActionMap(cfg, model);
    const argmax = (p: ArrayLike<number>) => Array.from(p).indexOf(Math.max(...Array.from(p)));
    const right = rows.filter((r) => argmax(map.codeProbabilities(r.a, r.ctx)) === r.code).length;
    expect(right).toBe(rows.length);
    // The action alone cannot tell LEFT at the wall from LEFT elsewhere: a table scores less.
    expect(new Set(rows.filter((r) => r.a === LEFT).map((r) => r.code)).size).toBe(2);
    // Batch (the network) and single answers (plain JS dense layers) agree.
    const batch = map.probabilitiesBatch(rows.map((r) => r.a), rows.map((r) => r.ctx));
    rows.forEach((r, i) => {
      const single = map.codeProbabilities(r.a, r.ctx);
      batch[i].forEach((v, k) => expect(single[k]).toBeCloseTo(v, 6));
    });

    // Checkpoint round trip (the TensorFlow.js format + checkpoint.json) through the Node loader.
    const dir = join(mkdtempSync(join(tmpdir(), 'action-map-')), 'am');
    await saveCheckpoint(dir, { models: { model }, meta: { kind: 'action-map', config: cfg } });
    const loaded = await loadActionMap(dir);
    expect(loaded.codebookSize).toBe(6);
    for (const r of rows.slice(0, 12)) {
      const a = Array.from(map.codeProbabilities(r.a, r.ctx)), b = Array.from(loaded.codeProbabilities(r.a, r.ctx));
      b.forEach((v, i) => expect(v).toBeCloseTo(a[i], 6));
    }
    tf.dispose([x, y]);
  });

  it('lays out the input: action, previous actions (most recent first, unknown = zeros), features, ball clock', () => {
    const cfg: ActionMapConfig = { numActions: 4, codebookSize: 3, frameFeatures: true, history: 2, ballClock: false, hidden: [] };
    expect(inputSize(cfg)).toBe(4 * 3 + FRAME_FEATURES);
    const out = new Float32Array(inputSize(cfg));
    encodeInput(cfg, RIGHT, [scene(40)], out, 0, [FIRE, LEFT, NOOP]);
    expect(Array.from(out.subarray(0, 12))).toEqual([0, 0, 1, 0, /* last */ 1, 0, 0, 0, /* before */ 0, 0, 0, 1]);
    expect(Array.from(out.subarray(12))).toEqual(Array.from(frameFeatures([scene(40)])));
    encodeInput(cfg, LEFT, [scene(40)], out, 0, [2]);
    expect(Array.from(out.subarray(0, 12))).toEqual([0, 0, 0, 1, 0, 0, 1, 0, 0, 0, 0, 0]);
    encodeInput(cfg, LEFT, [scene(40)], out, 0);
    expect(Array.from(out.subarray(4, 12))).toEqual([0, 0, 0, 0, 0, 0, 0, 0]);

    const clocked: ActionMapConfig = { ...cfg, ballClock: true };
    const n = inputSize(cfg);
    expect(inputSize(clocked)).toBe(n + BALL_CLOCK_MAX + 1);
    const row = new Float32Array(inputSize(clocked));
    encodeInput(clocked, LEFT, [scene(40)], row, 0, [2], 5);
    expect(Array.from(row.subarray(0, n))).toEqual(Array.from(out.subarray(0, n)).map((v, i) => (i < 12 ? [0, 0, 0, 1, 0, 0, 1, 0, 0, 0, 0, 0][i] : v)));
    expect(Array.from(row.subarray(n)).indexOf(1)).toBe(5);
    encodeInput(clocked, LEFT, [scene(40)], row, 0); // unknown: as at a game's start
    expect(Array.from(row.subarray(n)).indexOf(1)).toBe(BALL_CLOCK_MAX);
    expect(() => encodeInput(clocked, LEFT, [scene(40)], row, 0, null, BALL_CLOCK_MAX + 1)).toThrow(RangeError);
  });

  it('the ball clock counts the steps since the ball was last on screen, from "not served" at a game start', () => {
    const ball = scene(40, { x: 50, y: 130 }), none = scene(40);
    expect(ballClockOf([none, none, none])).toBe(BALL_CLOCK_MAX); // a fresh game: FIRE serves at once
    expect(ballClockOf([none, ball])).toBe(0);
    expect(ballClockOf([ball, none, none])).toBe(2);
    let clock = 0;
    for (let k = 0; k < BALL_CLOCK_MAX + 5; k++) clock = ballClockAfter(clock, none);
    expect(clock).toBe(BALL_CLOCK_MAX);
    expect(ballClockAfter(clock, ball)).toBe(0);
  });

  it('the serve rule: FIRE after a lost ball draws one, nothing else serves; the decoder is asked only as needed', () => {
    const probs = [0.6, 0.05, 0.1, 0.2, 0.05];
    const asked: number[] = [];
    const ask = (y: Record<number, number>) => (c: number) => { asked.push(c); return c in y ? { y: y[c] } : null; };
    // FIRE with the ball gone long enough: the most likely code that draws a ball (2 before 1: more likely).
    expect(serveCode(FIRE, SERVE_CLOCK, probs, 0, ask({ 1: 125, 2: 125 }))).toBe(2);
    expect(asked).toEqual([0, 3, 2]);
    asked.length = 0;
    expect(serveCode(FIRE, BALL_CLOCK_MAX, probs, 0, ask({ 0: 125 }))).toBe(0); // the map's code serves already
    expect(asked).toEqual([0]);
    expect(serveCode(FIRE, SERVE_CLOCK, probs, 0, ask({}))).toBe(0); // no code serves: the map's
    // Any other action with the ball gone: no code may serve in its stead, but a ball may come out of the bricks.
    expect(serveCode(NOOP, 2, probs, 0, ask({ 0: 125, 3: 150 }))).toBe(2);
    expect(serveCode(LEFT, BALL_CLOCK_MAX, probs, 0, ask({ 0: SERVE_ONLY_ROWS[1] }))).toBe(3);
    expect(serveCode(NOOP, 2, probs, 0, ask({ 0: SERVE_ONLY_ROWS[0] - 1 }))).toBe(0);
    asked.length = 0;
    // Left alone: a ball just lost (a flicker may come back), FIRE before the life has gone.
    expect(serveCode(NOOP, 1, probs, 0, ask({ 0: 125 }))).toBe(0);
    expect(serveCode(FIRE, SERVE_CLOCK - 1, probs, 0, ask({ 2: 125 }))).toBe(0);
    expect(asked).toEqual([]);
  });

  it('an action-only map answers from its table and rejects bad actions', () => {
    const cfg: ActionMapConfig = { numActions: 4, codebookSize: 3, frameFeatures: false, history: 0, ballClock: false, hidden: [] };
    const map = new ActionMap(cfg, buildActionMapModel(cfg, 1));
    const p = map.codeProbabilities(2);
    expect(p.length).toBe(3);
    expect(p.reduce((s, v) => s + v, 0)).toBeCloseTo(1, 5);
    expect(() => map.codeProbabilities(4)).toThrow(RangeError);
    expect(() => new ActionMap({ ...cfg, codebookSize: 5 }, buildActionMapModel(cfg, 1))).toThrow(/outputs/);
  });

  it('temperature 0 takes the most likely code; higher temperatures flatten; samples follow p', () => {
    const p = [0.1, 0.6, 0.3];
    expect(Array.from(temperatureProbabilities(p, 0))).toEqual([0, 1, 0]);
    expect(Array.from(temperatureProbabilities(p, 1)).map((v) => Number(v.toFixed(6)))).toEqual(p);
    const hot = temperatureProbabilities(p, 100);
    hot.forEach((v) => expect(v).toBeCloseTo(1 / 3, 1));
    expect(sampleCode(p, 0, () => 0.99)).toBe(1);
    let s = 12345;
    const rand = () => ((s = (s * 1103515245 + 12345) >>> 0) >>> 8) / 16777216;
    const counts = [0, 0, 0];
    for (let i = 0; i < 6000; i++) counts[sampleCode(p, 1, rand)]++;
    counts.forEach((c, i) => expect(c / 6000).toBeCloseTo(p[i], 1));
  });
});
