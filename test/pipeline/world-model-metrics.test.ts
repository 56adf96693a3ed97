import { describe, expect, it } from 'vitest';
import {
  PSNR_CAP_DB, deltaTPsnr, dynamicAccuracy, findBall, findBallInClasses, findPaddleX, psnr, scoreFrame, summarizeHorizon,
} from '../../pipeline/world-model-metrics';
import { rgbToClasses } from '../../pipeline/frame-classes';
import { drawScene } from './breakout-frames';

describe('world model metrics', () => {
  const last = drawScene({ paddleX: 40, ball: { x: 70, y: 120 } });
  const truth = drawScene({ paddleX: 52, ball: { x: 78, y: 128 } });

  it('caps PSNR at 60 dB and matches the formula otherwise', () => {
    expect(psnr(truth, truth)).toBe(PSNR_CAP_DB);
    const a = new Uint8Array(300), b = new Uint8Array(300).fill(10);
    expect(psnr(a, b)).toBeCloseTo(10 * Math.log10((255 * 255) / 100), 6);
  });

  it('scores the copy baseline 0 and a perfect prediction 1 on dynamic pixels', () => {
    expect(dynamicAccuracy(last, truth, last)).toBe(0);
    expect(dynamicAccuracy(truth, truth, last)).toBe(1);
    // Nothing changes anywhere: no pixel to judge.
    expect(dynamicAccuracy(last, last, last)).toBeNull();
  });

  it('counts a prediction that changes a static pixel as a miss, within the 24-per-channel tolerance', () => {
    const almost = truth.slice();
    for (let i = 0; i < almost.length; i++) almost[i] = Math.min(255, almost[i] + 20); // within 24: still right
    expect(dynamicAccuracy(almost, truth, last)).toBe(1);
    const half = drawScene({ paddleX: 52, ball: { x: 100, y: 150 } }); // paddle right, ball wrong
    const acc = dynamicAccuracy(half, truth, last)!;
    expect(acc).toBeGreaterThan(0.3);
    expect(acc).toBeLessThan(0.9);
  });

  it('finds the paddle and the ball from the red pixels inside the walls', () => {
    expect(findPaddleX(truth)).toBeCloseTo(52 + 7.5, 6);
    expect(findBall(truth)).toEqual({ x: 78.5, y: 129.5 });
    expect(findBall(drawScene({ paddleX: 40 }))).toBeNull();
    // The bricks (red, rows 57-62) are not a ball.
    expect(findBall(drawScene({ paddleX: 40, bricks: true }))).toBeNull();
    // The same on class frames.
    expect(findBallInClasses(rgbToClasses(truth))).toEqual({ x: 78.5, y: 129.5 });
    expect(findBallInClasses(rgbToClasses(drawScene({ paddleX: 40, bricks: true })))).toBeNull();
  });

  it('scores and summarizes frames: ball errors, paddle errors and the 4-pixel share', () => {
    const close = drawScene({ paddleX: 54, ball: { x: 80, y: 130 } });
    const far = drawScene({ paddleX: 52, ball: { x: 100, y: 150 } });
    const s1 = scoreFrame(close, truth, last), s2 = scoreFrame(far, truth, last);
    expect(s1.paddleError).toBeCloseTo(2, 6);
    expect(s1.ballError).toBeCloseTo(Math.hypot(2, 2), 6);
    expect(s1.ballNear).toBe(true);
    expect(s2.ballNear).toBe(false);
    const noBall = scoreFrame(drawScene({ paddleX: 52 }), truth, last);
    expect(noBall.ballJudged).toBe(true);
    expect(noBall.ballNear).toBe(false);
    const sum = summarizeHorizon(1, [s1, s2, noBall]);
    expect(sum.ballWithin4).toBeCloseTo(1 / 3, 6);
    expect(sum.paddleErrorMedian).toBeCloseTo(0, 6);
    expect(sum.copyPsnr).toBeLessThan(sum.psnr);
    expect(deltaTPsnr([40, 50], [30, 30])).toBe(15);
  });
});
