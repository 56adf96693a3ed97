import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { writePng } from '../../pipeline/png';
import { contiguous, crossesReset, loadTrajectory, parseEpisodeSidecar } from '../../pipeline/trajectory';
import { drawScene } from './breakout-frames';

describe('trajectories', () => {
  it('loads a wm-eval-sample style folder: frames, actions and resets', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'traj-'));
    const frames = [0, 1, 2].map((k) => drawScene({ paddleX: 20 + 8 * k }));
    for (let k = 0; k < 3; k++) await writePng(join(dir, `frame-000${k}.png`), frames[k], 160, 210);
    writeFileSync(join(dir, 'meta.json'), JSON.stringify({ actions: [3, 3], resets: [2], lives: [5, 5, 5] }));
    const t = await loadTrajectory(dir);
    expect(t.frames.length).toBe(3);
    expect(Buffer.compare(Buffer.from(t.frames[2]), Buffer.from(frames[2]))).toBe(0);
    expect(t.actions).toEqual([3, 3]);
    expect(crossesReset(t, 1, 2)).toBe(true);
    expect(contiguous(t, 0, 2)).toBe(true);
    expect(contiguous(t, 1, 2)).toBe(false);
    rmSync(join(dir, 'frame-0002.png'));
    await expect(loadTrajectory(dir)).rejects.toThrow(/frame-0002.png is missing/);
  });

  it('reads actions from recording sidecars as ALE ids', () => {
    const s = parseEpisodeSidecar({ actionSet: [0, 1, 3, 4], actionIndices: true, actions: [0, 1, 2, 3], lives: [5, 5, 5, 4, 4] }, 'x.json');
    expect(s.actions).toEqual([0, 1, 3, 4]);
    expect(s.lives).toEqual([5, 5, 5, 4, 4]);
    expect(parseEpisodeSidecar({ actions: [0, 4] }, 'y.json').actions).toEqual([0, 4]);
    expect(() => parseEpisodeSidecar({ foo: 1 }, 'z.json')).toThrow(/not an episode sidecar/);
  });

  it('explains a missing trajectory', async () => {
    await expect(loadTrajectory('/no/such/trajectory')).rejects.toThrow(/no such trajectory/);
  });
});
