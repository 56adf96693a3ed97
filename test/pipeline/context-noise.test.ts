import { describe, expect, it } from 'vitest';
import { corruptContext } from '../../pipeline/context-noise';
import { Prng } from '../../pipeline/prng';

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
