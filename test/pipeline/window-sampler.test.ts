import { describe, expect, it } from 'vitest';
import { rgbToClasses } from '../../pipeline/frame-classes';
import { LatentDataset, MemoryFrameStore } from '../../pipeline/latent-dataset';
import { Prng } from '../../pipeline/prng';
import { weightedWindowTree, windowEvents } from '../../pipeline/window-sampler';
import { drawScene } from './breakout-frames';

describe('windowEvents and weightedWindowTree', () => {
  it('mark the windows whose ball jumps 10+ px, whose digits change or whose ball turns, and draw them as weighted', () => {
    // Ball rows: 100, 104 (slow), 118 (fast, 14 px), gone, 120, 120 with x +12 (fast sideways), 116 with x back 4 (a bounce).
    const balls = [{ x: 50, y: 100 }, { x: 52, y: 104 }, { x: 56, y: 118 }, undefined, { x: 60, y: 120 }, { x: 72, y: 120 }, { x: 68, y: 116 }];
    const frames = balls.map((ball) => rgbToClasses(drawScene({ paddleX: 70, ball })));
    // A digit pixel (grey, class 1) appears in the score band at frame 3 and stays.
    for (const f of frames.slice(3)) f[8 * 160 + 40] = 1;
    const ds = new LatentDataset([{ id: 'e', source: 's', frames: frames.length, actions: new Array(frames.length - 1).fill(0), resets: [], split: 'train' }], new MemoryFrameStore([frames]), 2);
    const windows = ds.windows('train');
    expect(windows.map((w) => w.target)).toEqual([2, 3, 4, 5, 6]);
    const ev = windowEvents(ds, windows);
    // target 2: 104 -> 118 fast, going on down; 3: ball gone; 4: no ball before; 5: x 60 -> 72 fast
    // (y stays: no turn); 6: x 72 -> 68 and y 120 -> 116, turned back (not fast).
    expect([...ev.fastBall]).toEqual([1, 0, 0, 1, 0]);
    expect([...ev.scoreChange]).toEqual([0, 1, 0, 0, 0]);
    expect([...ev.bounce]).toEqual([0, 0, 0, 0, 1]);

    // Fast balls weighted 3x, the digit change 2x, the bounce 5x: weights 3, 2, 1, 3, 5 of 14.
    const { tree, counts } = weightedWindowTree(ds, windows, { fastBall: 3, scoreChange: 2, bounce: 5 });
    expect(counts).toEqual({ fastBall: 2, scoreChange: 1, bounce: 1 });
    const rng = new Prng(4);
    const drawn = [0, 0, 0, 0, 0];
    const n = 40_000;
    for (let i = 0; i < n; i++) drawn[tree.find(rng.next() * tree.total)]++;
    [3, 2, 1, 3, 5].forEach((w, i) => expect(drawn[i] / n).toBeCloseTo(w / 14, 2));
  });
});
