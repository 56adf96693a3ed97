// `eval:dqn`: full games of Breakout under ALE v5 settings (sticky actions 0.25, frame skip 4, no
// life-loss termination, at most 108,000 emulated frames per game), played by a DQN checkpoint with
// the same preprocessing it trained with. Greedy by default (--epsilon 0); FIRE is pressed
// automatically at the start of each life, as in training. Game i is seeded with seed + i.
import { AtariEnv } from '../atari/env';
import { findRom } from '../atari/roms';
import { initBackend, type BackendPreference } from '../models/backend';
import { recordCheckpointEval } from '../models/checkpoint';
import { AtariPreprocessing } from './atari-preprocessing';
import { loadDqnAgent } from './dqn-policy';
import { UserError } from './errors';
import { Progress } from './progress';

export interface EvalDqnOptions {
  checkpoint: string;
  episodes: number;
  seed: number;
  /** Probability of a random action (0 = greedy). */
  epsilon: number;
  /** Softmax temperature instead of epsilon-greedy (0 = off). */
  temperature: number;
  rom?: string;
  stickyActions: number;
  frameSkip: number;
  maxEpisodeFrames: number;
  backend: BackendPreference;
  /** Record the figures in the checkpoint's checkpoint.json (under meta.eval). */
  writeMeta: boolean;
  quiet?: boolean;
}

export const EVAL_DEFAULTS: Omit<EvalDqnOptions, 'checkpoint'> = {
  episodes: 10,
  seed: 0,
  epsilon: 0,
  temperature: 0,
  stickyActions: 0.25,
  frameSkip: 4,
  maxEpisodeFrames: 108_000,
  backend: 'auto',
  writeMeta: false,
};

export interface EvalDqnResult {
  episodes: number;
  mean: number;
  median: number;
  min: number;
  max: number;
  scores: number[];
  frames: number[];
  settings: Record<string, unknown>;
}

export function median(xs: number[]): number {
  const s = [...xs].sort((a, b) => a - b);
  const m = Math.floor(s.length / 2);
  return s.length % 2 ? s[m] : (s[m - 1] + s[m]) / 2;
}

export async function evalDqn(opts: EvalDqnOptions): Promise<EvalDqnResult> {
  if (!Number.isInteger(opts.episodes) || opts.episodes < 1) throw new UserError(`eval-dqn: --episodes must be a positive integer, not ${opts.episodes}`);
  if (!(opts.epsilon >= 0 && opts.epsilon <= 1)) throw new UserError(`eval-dqn: --epsilon must be in [0, 1], not ${opts.epsilon}`);
  const say = (s: string) => {
    if (!opts.quiet) process.stderr.write(`${s}\n`);
  };
  await initBackend(opts.backend, { log: say });
  const agent = await loadDqnAgent(opts.checkpoint, { epsilon: opts.epsilon, temperature: opts.temperature, seed: opts.seed });
  const rom = findRom('breakout', opts.rom ? { romPath: opts.rom } : {});
  const env = new AtariEnv(rom.bytes, { obsType: 'ram', frameSkip: 1, repeatActionProbability: opts.stickyActions, maxNumFramesPerEpisode: opts.maxEpisodeFrames });
  const game = new AtariPreprocessing(env, { obs: agent.meta.obs, frameSkip: opts.frameSkip, fireOnLifeStart: true });
  const mode = opts.temperature > 0 ? `softmax temperature ${opts.temperature}` : opts.epsilon > 0 ? `epsilon-greedy, epsilon ${opts.epsilon}` : 'greedy (epsilon 0)';
  say(`eval-dqn: ${opts.checkpoint}: ${opts.episodes} games, seed ${opts.seed}, ${mode}, sticky ${opts.stickyActions}, frame skip ${opts.frameSkip}, <= ${opts.maxEpisodeFrames} frames, no life-loss termination`);
  const progress = new Progress({ total: opts.episodes, label: 'eval-dqn', unit: 'game', stream: opts.quiet ? ({ write: () => true } as unknown as NodeJS.WritableStream) : undefined });
  const scores: number[] = [];
  const frames: number[] = [];
  for (let i = 0; i < opts.episodes; i++) {
    agent.reseed(opts.seed * 1_000_003 + i);
    const start = game.reset(opts.seed + i);
    let score = start.reward;
    let used = opts.frameSkip;
    agent.startLife(start.frame);
    let action = agent.actFromStack();
    for (;;) {
      const s = game.step(action);
      score += s.reward;
      used += s.frames;
      if (s.terminated || s.truncated) break;
      if (s.lifeLost) {
        const f = game.fire();
        score += f.reward;
        used += f.frames;
        if (f.terminated || f.truncated) break;
        agent.startLife(f.frame);
        action = agent.actFromStack();
      } else {
        action = agent.act(s.frame);
      }
    }
    scores.push(score);
    frames.push(used);
    progress.log(`game ${i + 1}/${opts.episodes} (seed ${opts.seed + i}): score ${score}, ${used} frames`);
    progress.tick(1, { mean: scores.reduce((a, b) => a + b, 0) / scores.length });
  }
  progress.finish();
  const result: EvalDqnResult = {
    episodes: scores.length,
    mean: scores.reduce((a, b) => a + b, 0) / scores.length,
    median: median(scores),
    min: Math.min(...scores),
    max: Math.max(...scores),
    scores,
    frames,
    settings: { seed: opts.seed, epsilon: opts.epsilon, temperature: opts.temperature, stickyActions: opts.stickyActions, frameSkip: opts.frameSkip, maxEpisodeFrames: opts.maxEpisodeFrames, lifeLossTerminal: false },
  };
  if (opts.writeMeta) {
    recordCheckpointEval(opts.checkpoint, { ...result, command: ['npm', 'run', 'eval:dqn', '--', ...process.argv.slice(3)], at: new Date().toISOString() });
  }
  agent.model.dispose();
  return result;
}
