// Training the ball head from recordings, end to end: synthetic games whose ball flies a steady step
// are read through the world model's dataset, the head learns the step on the train episodes, scores
// it on the held-out ones, and the checkpoint loads back and predicts it.
import { mkdirSync, mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import { MAX_DX, MAX_DY } from '../../models/ball-head';
import { initBackend } from '../../models/backend';
import { readCheckpointMeta } from '../../models/checkpoint';
import { fieldBall } from '../../pipeline/breakout-decode';
import { rgbToClasses } from '../../pipeline/frame-classes';
import { ballSteps, DEFAULT_TRAIN_BALL_HEAD_CONFIG, trainBallHead } from '../../pipeline/train-ball-head';
import { writeVideo } from '../../pipeline/video';
import { loadBallHead } from '../../pipeline/world-model';
import { drawScene } from './breakout-frames';

/** A game whose ball flies (+2, +3) a step from (x0, 100), the paddle following it, and is gone in the last two frames. */
const game = (x0: number) => Array.from({ length: 24 }, (_, k) => drawScene({ paddleX: x0 + 2 * k, ball: k < 22 ? { x: x0 + 2 * k, y: 100 + 3 * k } : undefined }));

beforeAll(async () => { await initBackend('cpu'); });

describe('train-ball-head', () => {
  it('labels each ball step of a game with its (dx, dy), and the step after the last ball as gone', () => {
    const steps = ballSteps(game(30).map((f) => rgbToClasses(f)), 3);
    expect(steps.length).toBe(20);
    expect(steps.slice(0, 19).every((s) => s.dx === MAX_DX + 2 && s.dy === MAX_DY + 3 && !s.gone)).toBe(true);
    expect(steps[19]).toMatchObject({ dx: -1, dy: -1, gone: true });
  });

  it('learns a steady step and where the ball goes, scores held-out games and saves a checkpoint that predicts them', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'ball-head-'));
    const rec = join(dir, 'rec');
    mkdirSync(rec);
    for (let e = 1; e <= 6; e++) {
      await writeVideo(join(rec, `episode-0000${e}.mkv`), game(20 + 10 * e));
      writeFileSync(join(rec, `episode-0000${e}.json`), JSON.stringify({ actionSet: [0, 1, 3, 4], actionIndices: true, actions: new Array(23).fill(0) }));
    }
    const config = { ...DEFAULT_TRAIN_BALL_HEAD_CONFIG, data: [rec], cacheDir: join(dir, 'cache'), model: { hidden: [32] }, epochs: 150, batchSize: 16, lr: 1e-2, lrFinal: 1e-3, backend: 'cpu' as const };
    const r = await trainBallHead({ config, name: 'test', root: join(dir, 'runs'), log: () => {} });
    expect(r.scores.train.steps + r.scores.val.steps + r.scores.test.steps).toBe(6 * 19);
    for (const held of [r.scores.val, r.scores.test]) expect(held).toMatchObject({ steps: 19, exact: 1, goneSteps: 1, goneCalled: 1 });
    expect(readCheckpointMeta(r.checkpointDir).kind).toBe('ball-head');
    const head = await loadBallHead(r.checkpointDir);
    const frames = game(50).slice(0, 3).map((f) => rgbToClasses(f));
    expect(head.next(frames, frames.map(fieldBall), 56)).toEqual({ x: 56, y: 109 });
    const end = game(50).slice(19, 22).map((f) => rgbToClasses(f));
    expect(head.next(end, end.map(fieldBall), 94)).toBe('gone');
  });
});
