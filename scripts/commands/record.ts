// `npm run stage:record -- --policy mixed --episodes 100 --percent-random 15 --out data/recordings/NAME`
import type { CommandModule } from 'yargs';
import { backendOption, type BackendPreference } from '../../models/backend';
import { describeFfmpeg } from '../../pipeline/ffmpeg';
import { POLICIES, RECORD_DEFAULTS, recordStage, type PolicyKind } from '../../pipeline/record';

interface Args {
  policy: PolicyKind;
  checkpoint: string;
  episodes: number;
  'percent-random': number;
  epsilon: number;
  temperature: number;
  out?: string;
  rom?: string;
  'frame-skip': number;
  sticky: number;
  'max-steps': number;
  seed: number;
  workers: number;
  preview: boolean;
  resume: boolean;
  backend: BackendPreference;
}

const d = RECORD_DEFAULTS;

export const recordCommand: CommandModule<object, Args> = {
  command: 'record',
  describe: 'Stage 2: record gameplay episodes as lossless videos + action sidecars (and MP4 previews)',
  builder: (yargs) =>
    yargs
      .option('policy', { choices: POLICIES, default: d.policy, describe: 'Who plays: random, the DQN, mixed (--percent-random of the episodes random), or a scripted player: tracker (follows the ball), steady-tracker (stops the paddle under the ball: late, fast-ball games) or held (random actions held 1-30 steps)' })
      .option('checkpoint', { type: 'string', default: d.checkpoint, describe: 'DQN checkpoint folder (for dqn and mixed)' })
      .option('episodes', { type: 'number', default: d.episodes, describe: 'Number of episodes to record' })
      .option('percent-random', { type: 'number', default: d.percentRandom, describe: 'With --policy mixed: share of episodes played by a random agent, in percent' })
      .option('epsilon', { type: 'number', default: d.epsilon, describe: 'DQN: probability of a random action' })
      .option('temperature', { type: 'number', default: d.temperature, describe: 'DQN: sample from softmax(Q / T) instead of epsilon-greedy (0 = off)' })
      .option('out', { type: 'string', describe: 'Recording folder (default data/recordings/<timestamp>)' })
      .option('rom', { type: 'string', describe: 'Breakout ROM file (default: ATARI_ROM_DIR, then an installed ale-py)' })
      .option('frame-skip', { type: 'number', default: d.frameSkip, describe: 'Emulated frames per step (one video frame per step)' })
      .option('sticky', { type: 'number', default: d.sticky, describe: 'Sticky-action probability (0 = off, so each recorded action is what the game got; 0.25 = ALE v5)' })
      .option('max-steps', { type: 'number', default: d.maxSteps, describe: 'Step limit per episode (truncated there)' })
      .option('seed', { type: 'number', default: d.seed, describe: 'Seed: episode i uses seed*100000+i; also picks the random episodes' })
      .option('workers', { type: 'number', default: d.workers, describe: 'Episodes recorded in parallel (worker threads)' })
      .option('preview', { type: 'boolean', default: d.preview, describe: 'Also write a small lossy MP4 preview per episode (--no-preview to skip)' })
      .option('resume', { type: 'boolean', default: d.resume, describe: 'Continue an interrupted recording in --out (same settings)' })
      .options(backendOption),
  handler: async (args) => {
    console.error(`record: ${describeFfmpeg()}`);
    const summary = await recordStage({
      policy: args.policy,
      checkpoint: args.checkpoint,
      episodes: args.episodes,
      percentRandom: args['percent-random'],
      epsilon: args.epsilon,
      temperature: args.temperature,
      out: args.out,
      rom: args.rom,
      frameSkip: args['frame-skip'],
      sticky: args.sticky,
      maxSteps: args['max-steps'],
      seed: args.seed,
      workers: args.workers,
      preview: args.preview,
      resume: args.resume,
      backend: args.backend,
    });
    const mb = (b: number) => (b / 1e6).toFixed(1);
    console.log(
      `${summary.interrupted ? 'interrupted: kept' : 'recorded'} ${summary.episodes} episodes, ${summary.steps} steps in ${summary.out}; ` +
        `score mean ${summary.meanScore.toFixed(1)} (min ${summary.minScore}, max ${summary.maxScore}); ` +
        `${mb(summary.bytes)} MB lossless + ${mb(summary.previewBytes)} MB previews; ${summary.framesPerSecond.toFixed(0)} frames/s`,
    );
    if (summary.interrupted) process.exitCode = 130;
  },
};
