import * as tf from '@tensorflow/tfjs';
import { describe, expect, it } from 'vitest';
import { buildPaddleHeadModel, MAX_TRAVEL, PaddleHead, paddleFeatures, paddleFeatureSize, TRAVEL_CLASSES, travelClass } from '../../models/paddle-head';
import { rgbToClasses } from '../../pipeline/frame-classes';
import { drawScene } from '../pipeline/breakout-frames';

const scene = (paddleX: number) => rgbToClasses(drawScene({ paddleX }));
const CFG = { codes: 8 };
const LEFT_EDGES = 144;

describe('paddleFeatures', () => {
  it('one-hot: the code, the last left edge, the last two steps\' travel', () => {
    const f = paddleFeatures(CFG, [scene(40), scene(50), scene(62)], 3)!;
    expect(f.length).toBe(paddleFeatureSize(CFG));
    const on = Array.from(f.keys()).filter((i) => f[i] === 1);
    const travel0 = 8 + LEFT_EDGES, travel1 = travel0 + TRAVEL_CLASSES + 1;
    expect(on).toEqual([3, 8 + 62 - 8, travel0 + 12 + MAX_TRAVEL, travel1 + 10 + MAX_TRAVEL]);
  });

  it('flags a travel it cannot read, and needs the paddle in the last frame', () => {
    const gone = new Uint8Array(210 * 160);
    const f = paddleFeatures(CFG, [gone, scene(50), scene(62)], 0)!;
    const travel1 = 8 + LEFT_EDGES + TRAVEL_CLASSES + 1;
    expect(f[travel1 + TRAVEL_CLASSES]).toBe(1);
    expect(paddleFeatures(CFG, [scene(50), scene(62), gone], 0)).toBeNull();
  });
});

describe('PaddleHead', () => {
  it('runs the trained network in plain JavaScript, as tfjs does, and moves from the last left edge', () => {
    const model = buildPaddleHeadModel({ ...CFG, hidden: [16] }, 2);
    const head = PaddleHead.fromModel(model, CFG);
    const context = [scene(40), scene(50), scene(62)];
    const f = paddleFeatures(CFG, context, 2)!;
    const want = tf.tidy(() => (model.predict(tf.tensor2d(f, [1, f.length])) as tf.Tensor).dataSync());
    const got = head.logits(f);
    got.forEach((v, j) => expect(v).toBeCloseTo(want[j], 4));
    const best = Array.from(got).reduce((b, v, j, a) => (v > a[b] ? j : b), 0);
    expect(head.next(context, 2)).toBe(62 + best - MAX_TRAVEL);
    model.dispose();
  });

  it('refuses a network of another shape', () => {
    const model = buildPaddleHeadModel({ codes: 4, hidden: [8] });
    expect(() => PaddleHead.fromModel(model, CFG)).toThrow(/this version needs/);
    model.dispose();
  });
});

it('travelClass labels travel within reach and refuses the rest', () => {
  expect(travelClass(40, 52)).toBe(MAX_TRAVEL + 12);
  expect(travelClass(40, 40 - MAX_TRAVEL - 1)).toBeNull();
});
