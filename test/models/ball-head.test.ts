import * as tf from '@tensorflow/tfjs';
import { describe, expect, it } from 'vitest';
import { BALL_FEATURES, BallHead, ballFeatures, buildBallHeadModel, DX_CLASSES, DY_CLASSES, MAX_DX, MAX_DY, pathContacts, stepClasses } from '../../models/ball-head';
import { BRICK_COLS, BRICK_ROWS, fieldBall } from '../../pipeline/breakout-decode';
import { rgbToClasses } from '../../pipeline/frame-classes';
import { drawScene } from '../pipeline/breakout-frames';

const scene = (ball: { x: number; y: number } | undefined, paddleX = 60) => rgbToClasses(drawScene({ paddleX, ball }));

describe('ballFeatures', () => {
  it('needs the ball in the last context frame and one of the two before it', () => {
    const none = [scene(undefined), scene(undefined), scene({ x: 48, y: 110 })];
    expect(ballFeatures(none, none.map(fieldBall), 60)).toBeNull();
    const last = [scene({ x: 40, y: 100 }), scene({ x: 44, y: 104 }), scene(undefined)];
    expect(ballFeatures(last, last.map(fieldBall), 60)).toBeNull();
  });

  it('takes a ball missing from the middle frame as a step over two frames, and says so', () => {
    const frames = [scene({ x: 40, y: 100 }), scene(undefined), scene({ x: 48, y: 110 })];
    const f = ballFeatures(frames, frames.map(fieldBall), 60)!;
    expect(Array.from(f.slice(0, 8))).toEqual([48 / 160, 110 / 210, 8 / 16, 10 / 16, 0, 0, 1, 1].map(Math.fround));
  });

  it("reads the ball's place and velocities, the paddles relative to it, and the bricks around it", () => {
    const frames = [scene({ x: 40, y: 100 }, 50), scene({ x: 44, y: 104 }, 54), scene({ x: 48, y: 108 }, 58)];
    const f = ballFeatures(frames, frames.map(fieldBall), 62)!;
    expect(f.length).toBe(BALL_FEATURES);
    expect(Array.from(f.slice(0, 8))).toEqual([48 / 160, 108 / 210, 4 / 16, 4 / 16, 4 / 16, 4 / 16, 0, 0].map(Math.fround));
    // Paddles at b, c and the target, each (left - ball x) / 64 and a missing flag.
    expect(Array.from(f.slice(8, 14))).toEqual([6 / 64, 0, 10 / 64, 0, 14 / 64, 0].map(Math.fround));
    // The test scene has the top brick row (57-62) and the bottom one (87-92), none between.
    const patch = Array.from(f.slice(BALL_FEATURES - 42));
    expect(patch.slice(0, 7)).toEqual([1, 1, 1, 1, 1, 1, 1]);
    expect(patch.slice(7, 35).every((v) => v === 0)).toBe(true);
    expect(patch.slice(35)).toEqual([1, 1, 1, 1, 1, 1, 1]);
  });
});

describe('pathContacts', () => {
  const contacts = (c: { x: number; y: number }, vx: number, vy: number, cells: Uint8Array) => {
    const out = new Float32Array(12);
    pathContacts(c, vx, vy, cells, out, 0);
    // Per frame of the step: brick, side wall, top wall.
    return Array.from({ length: 4 }, (_, k) => Array.from(out.slice(3 * k, 3 * k + 3)));
  };

  it('says in which frame of the step a fast ball flying straight would enter a brick', () => {
    // traj-tracker, step 155: the ball at (20, 94) rising (8, -13) meets the brick of row 4, column 2
    // (x 24-31, y 81-86) in the third frame; row 5 beneath it is empty.
    const cells = new Uint8Array(BRICK_ROWS * BRICK_COLS);
    cells[4 * BRICK_COLS + 2] = 1;
    expect(contacts({ x: 20, y: 94 }, 8, -13, cells)).toEqual([[0, 0, 0], [0, 0, 0], [1, 0, 0], [1, 0, 0]]);
    // Rising straight up in column 0, which holds no brick, it meets none.
    expect(contacts({ x: 12, y: 94 }, 0, -13, cells).every((k) => k[0] === 0)).toBe(true);
  });

  it('and when it would pass a side wall or the top wall', () => {
    const none = new Uint8Array(BRICK_ROWS * BRICK_COLS);
    // The box's right column passes 151 in the fourth frame (x = 152).
    expect(contacts({ x: 144, y: 120 }, 8, 13, none).map((k) => k[1])).toEqual([0, 0, 0, 1]);
    // x = 8, 6, 4, 2 (beyond the left wall from the second frame), y = 37, 33, 30, 26 (above row 32 from the third).
    expect(contacts({ x: 10, y: 40 }, -8, -14, none).map((k) => [k[1], k[2]])).toEqual([[0, 0], [1, 0], [1, 1], [1, 1]]);
  });
});

describe('BallHead', () => {
  it("runs the trained network in plain JavaScript, as tfjs does, and steps from the ball's last place", () => {
    const model = buildBallHeadModel({ hidden: [16, 8] });
    const head = BallHead.fromModel(model);
    const frames = [scene({ x: 40, y: 100 }), scene({ x: 44, y: 104 }), scene({ x: 48, y: 108 })];
    const balls = frames.map(fieldBall);
    const f = ballFeatures(frames, balls, 62)!;
    const want = tf.tidy(() => (model.predict(tf.tensor2d(f, [1, BALL_FEATURES])) as tf.Tensor).dataSync());
    const got = head.logits(f);
    got.forEach((v, j) => expect(v).toBeCloseTo(want[j], 4));
    const argmax = (from: number, len: number) => Array.from(got.slice(from, from + len)).reduce((b, v, j, a) => (v > a[b] ? j : b), 0);
    const gone = got[DX_CLASSES + DY_CLASSES + 1] > got[DX_CLASSES + DY_CLASSES];
    expect(head.next(frames, balls, 62)).toEqual(gone ? 'gone' : { x: 48 + argmax(0, DX_CLASSES) - MAX_DX, y: 108 + argmax(DX_CLASSES, DY_CLASSES) - MAX_DY });
    model.dispose();
  });

  it('refuses a network of another shape', () => {
    const input = tf.input({ shape: [BALL_FEATURES + 1] });
    const model = tf.model({ inputs: input, outputs: tf.layers.dense({ units: 4 }).apply(input) as tf.SymbolicTensor });
    expect(() => BallHead.fromModel(model)).toThrow(/this version needs/);
    model.dispose();
  });
});

it('stepClasses labels steps within reach and refuses the rest', () => {
  expect(stepClasses({ x: 40, y: 100 }, { x: 48, y: 86 })).toEqual({ dx: MAX_DX + 8, dy: MAX_DY - 14 });
  expect(stepClasses({ x: 40, y: 100 }, { x: 40 + MAX_DX + 1, y: 100 })).toBeNull();
});
