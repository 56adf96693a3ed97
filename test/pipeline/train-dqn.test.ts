import { cpSync, existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { loadDqnAgent } from '../../pipeline/dqn-policy';
import { DQN_DEFAULTS, linear, scoreCurve, trainDqn, type TrainDqnConfig } from '../../pipeline/train-dqn';
import { chainFrame, ChainVecEnv } from './toy-chain';

const root = mkdtempSync(join(tmpdir(), 'train-dqn-test-'));
afterAll(() => rmSync(root, { recursive: true, force: true }));

const toyConfig = (over: Partial<TrainDqnConfig>): TrainDqnConfig => ({
  ...DQN_DEFAULTS,
  backend: 'wasm',
  obs: 'ram',
  ramNorm: 'scale',
  clipRewards: false, // the chain's 0.1 must stay smaller than its 1
  frameStack: 1,
  hidden: [32, 32],
  numEnvs: 2,
  envWorker: false,
  totalSteps: 1500,
  learningStarts: 100,
  bufferSize: 2000,
  batchSize: 32,
  replayRatio: 0.5,
  targetUpdate: 50,
  lr: 1e-3,
  adamEps: 1e-8,
  epsStart: 1,
  epsEnd: 0.05,
  epsDecaySteps: 600,
  nStep: 3,
  logEvery: 250,
  plotEverySec: 1e9,
  checkpointEvery: 1e9,
  ...over,
});

async function greedyActions(checkpoint: string): Promise<number[]> {
  const agent = await loadDqnAgent(checkpoint);
  return [1, 2, 3].map((s) => {
    agent.startLife(chainFrame(s));
    return agent.actFromStack();
  });
}

describe('trainDqn on a 5-state chain', () => {
  it('learns the optimal policy (RIGHT everywhere) with PER, Double, dueling and 3-step returns', async () => {
    const res = await trainDqn(toyConfig({ name: 'chain' }), { runsRoot: root, makeEnv: async (c) => new ChainVecEnv(c.numEnvs), quiet: true });
    expect(res.counters.steps).toBe(1500);
    expect(await greedyActions(join(res.runDir, 'checkpoint'))).toEqual([1, 1, 1]);
    // Near-greedy play reaches the rewarding end almost every game.
    expect(res.meanReturn).toBeGreaterThan(0.85);
    const lines = readFileSync(join(res.runDir, 'metrics.jsonl'), 'utf8').trim().split('\n').map((l) => JSON.parse(l));
    const train = lines.filter((l) => l.type === 'train');
    expect(train.length).toBeGreaterThan(3);
    for (const key of ['loss', 'mean_q', 'epsilon', 'fps', 'updates_per_s', 'mean_return']) expect(train[train.length - 1]).toHaveProperty(key);
    expect(lines.some((l) => l.type === 'episode' && typeof l.episode_return === 'number')).toBe(true);
  });

  it.each(['temperature', 'rnd'] as const)('learns it with %s exploration too', async (exploration) => {
    {
      const res = await trainDqn(toyConfig({ name: `chain-${exploration}`, exploration, tempStart: 1, tempEnd: 0.02, tempDecaySteps: 600 }), {
        runsRoot: root,
        makeEnv: async (c) => new ChainVecEnv(c.numEnvs),
        quiet: true,
      });
      expect(await greedyActions(join(res.runDir, 'checkpoint'))).toEqual([1, 1, 1]);
    }
  }, 300_000);

  it('resumes deterministically: weights, optimizer, counters, schedules and PRNG come back', async () => {
    const first = await trainDqn(toyConfig({ name: 'resume', totalSteps: 400 }), { runsRoot: root, makeEnv: async (c) => new ChainVecEnv(c.numEnvs), quiet: true });
    expect(existsSync(join(first.runDir, 'checkpoint', 'checkpoint.json'))).toBe(true);
    const copyA = join(root, 'resume-a');
    const copyB = join(root, 'resume-b');
    cpSync(first.runDir, copyA, { recursive: true });
    cpSync(first.runDir, copyB, { recursive: true });
    const cont = { totalSteps: 700 } as TrainDqnConfig;
    const a = await trainDqn({ ...toyConfig({}), ...cont }, { resume: copyA, makeEnv: async (c) => new ChainVecEnv(c.numEnvs), quiet: true });
    const b = await trainDqn({ ...toyConfig({}), ...cont }, { resume: copyB, makeEnv: async (c) => new ChainVecEnv(c.numEnvs), quiet: true });
    // Counters continue from the checkpoint.
    expect(a.counters.steps).toBe(700);
    expect(a.counters.updates).toBeGreaterThan(first.counters.updates);
    // Two resumes of one checkpoint play and learn identically (same next actions all the way).
    expect(a.recentReturns).toEqual(b.recentReturns);
    expect(a.counters).toEqual({ ...b.counters, wallSeconds: a.counters.wallSeconds });
    // The epsilon schedule continued from step 400, not from 0.
    const lines = readFileSync(join(copyA, 'metrics.jsonl'), 'utf8').trim().split('\n').map((l) => JSON.parse(l));
    const resumed = lines.filter((l) => l.type === 'train' && l.step > 400)[0];
    expect(resumed.epsilon).toBeCloseTo(linear(1, 0.05, 600, resumed.step), 6);

    // A resume may lower the learning rate; the run folder remembers it for the next resume.
    const copyC = join(root, 'resume-c');
    cpSync(first.runDir, copyC, { recursive: true });
    await trainDqn({ ...toyConfig({}), totalSteps: 450 } as TrainDqnConfig, { resume: copyC, lr: 1e-5, makeEnv: async (c) => new ChainVecEnv(c.numEnvs), quiet: true });
    expect(JSON.parse(readFileSync(join(copyC, 'config.json'), 'utf8')).lr).toBe(1e-5);
    expect(JSON.parse(readFileSync(join(copyA, 'config.json'), 'utf8')).lr).toBe(toyConfig({}).lr);
  });
});

describe('scoreCurve', () => {
  it('takes (frames, score) from the episode lines of metrics.jsonl, so a resumed run plots its earlier games', () => {
    const line = (fields: Record<string, unknown>) => ({ step: 0, time: '', elapsed_s: 0, ...fields });
    const lines = [
      line({ type: 'episode', frames: 100, episode_return: 3 }),
      line({ type: 'train', frames: 150, mean_return: 3 }),
      line({ type: 'episode', frames: 240, episode_return: 7 }),
    ];
    expect(scoreCurve(lines)).toEqual([[100, 3], [240, 7]]);
  });
});
