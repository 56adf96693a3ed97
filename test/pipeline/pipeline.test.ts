// WIRING TEST for `npm run pipeline` (preset ci, about 1 minute): every stage runs in order on a
// fresh folder, each reading what the previous one wrote, and the result loads as a neural game.
// It proves the stages fit together, not that anything learns (the ci preset trains for a few steps).
import { existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { runPipeline } from '../../pipeline/pipeline';
import { loadNeuralEnv } from '../../play/neural-env';

const haveRom = !!process.env.ATARI_ROM_DIR && existsSync(join(process.env.ATARI_ROM_DIR, 'breakout.bin'));
if (!haveRom) console.warn('pipeline wiring test skipped: set ATARI_ROM_DIR to a folder holding breakout.bin');

describe.skipIf(!haveRom)('pipeline --preset ci (wiring only)', () => {
  it('runs train-dqn, record, train-latent, train-ball-head, collect-pairs, train-action-map and train-paddle-head in order, ending with a loadable neural game', async () => {
    const root = mkdtempSync(join(tmpdir(), 'pipeline-ci-'));
    const out = join(root, 'run');
    const lines: string[] = [];
    try {
      const r = await runPipeline({ preset: 'ci', out, seed: 3, backend: 'wasm', log: (l) => lines.push(l) });
      expect(r.stages.map((s) => s.stage)).toEqual(['train-dqn', 'record', 'train-latent', 'train-ball-head', 'collect-pairs', 'train-action-map', 'train-paddle-head']);
      expect(existsSync(join(r.dqnCheckpoint, 'checkpoint.json'))).toBe(true);
      expect(existsSync(join(r.worldModel, 'checkpoint.json'))).toBe(true);
      expect(existsSync(join(r.actionMap, 'checkpoint.json'))).toBe(true);
      expect(existsSync(join(r.ballHead, 'checkpoint.json'))).toBe(true);
      expect(existsSync(join(r.paddleHead, 'checkpoint.json'))).toBe(true);
      const record = JSON.parse(readFileSync(join(out, 'pipeline.json'), 'utf8')) as { status: string; preset: string };
      expect(record).toMatchObject({ status: 'done', preset: 'ci' });
      // Each stage consumed the previous one's output.
      const latentCfg = JSON.parse(readFileSync(join(r.stages[2].dir, 'config.json'), 'utf8')) as { data: string[] };
      expect(latentCfg.data).toEqual([r.recordings]);
      const { game } = await loadNeuralEnv({ worldModel: r.worldModel, actionMap: r.actionMap, ballHead: r.ballHead, paddleHead: r.paddleHead });
      game.reset({ seed: 0 });
      expect(game.step(1).observation.length).toBe(210 * 160 * 3);
      game.dispose();
      // A second run on the same folder is refused: the pipeline always starts fresh.
      await expect(runPipeline({ preset: 'ci', out, seed: 3, backend: 'wasm', log: () => {} })).rejects.toThrow(/already exists/);
    } finally {
      rmSync(root, { recursive: true, force: true });
    }
  }, 600_000);
});
