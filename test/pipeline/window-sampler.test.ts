import { describe, expect, it } from 'vitest';
import { rgbToClasses } from '../../pipeline/frame-classes';
import { LatentDataset, MemoryFrameStore } from '../../pipeline/latent-dataset';
import { Prng } from '../../pipeline/prng';
import { fastBallTree, fastBallWindows } from '../../pipeline/window-sampler';
import { drawScene } from './breakout-frames';

describe('fastBallWindows', () => {
  it('marks the windows whose ball jumps 10+ px from the last context frame to the target', () => {
    // Ball rows: 100, 104 (slow), 118 (fast, 14 px), gone, 120, 120 with x +12 (fast sideways).
    const balls = [{ x: 50, y: 100 }, { x: 52, y: 104 }, { x: 56, y: 118 }, undefined, { x: 60, y: 120 }, { x: 72, y: 120 }];
    const frames = balls.map((ball) => rgbToClasses(drawScene({ paddleX: 70, ball })));
    const ds = new LatentDataset([{ id: 'e', source: 's', frames: frames.length, actions: new Array(frames.length - 1).fill(0), resets: [], split: 'train' }], new MemoryFrameStore([frames]), 2);
    const windows = ds.windows('train');
    expect(windows.map((w) => w.target)).toEqual([2, 3, 4, 5]);
    // target 2: 104 -> 118 fast; 3: ball gone; 4: no ball before; 5: x 60 -> 72 fast.
    expect([...fastBallWindows(ds, windows)]).toEqual([1, 0, 0, 1]);

    // Weighted 3x, the fast windows are drawn 3/8 of the time each, the others 1/8.
    const { tree, fast } = fastBallTree(ds, windows, 3);
    expect(fast).toBe(2);
    const rng = new Prng(4);
    const counts = [0, 0, 0, 0];
    const n = 40_000;
    for (let i = 0; i < n; i++) counts[tree.find(rng.next() * tree.total)]++;
    [3, 1, 1, 3].forEach((w, i) => expect(counts[i] / n).toBeCloseTo(w / 8, 2));
  });
});
