// `npm run eval:dqn -- --checkpoint DIR --episodes 10 --seed 0 [--epsilon E] [--json]`
import type { CommandModule } from 'yargs';
import { BACKEND_CHOICES, type BackendPreference } from '../../models/backend';
import { EVAL_DEFAULTS, evalDqn } from '../../pipeline/eval-dqn';

interface Args {
  checkpoint: string;
  episodes: number;
  seed: number;
  epsilon: number;
  temperature: number;
  rom?: string;
  sticky: number;
  'frame-skip': number;
  'max-frames': number;
  backend: BackendPreference;
  'write-meta': boolean;
  json: boolean;
}

const d = EVAL_DEFAULTS;

export const evalDqnCommand: CommandModule<object, Args> = {
  command: 'eval-dqn',
  describe: 'Evaluate a DQN checkpoint on full Breakout games (ALE v5 settings); prints mean, median, min, max',
  builder: (yargs) =>
    yargs
      .option('checkpoint', { type: 'string', demandOption: true, describe: 'DQN checkpoint folder (e.g. data/runs/train-dqn-NAME/checkpoint or checkpoints/dqn)' })
      .option('episodes', { type: 'number', default: d.episodes, describe: 'games to play' })
      .option('seed', { type: 'number', default: d.seed, describe: 'game i is seeded with seed + i' })
      .option('epsilon', { type: 'number', default: d.epsilon, describe: 'probability of a random action (0 = greedy)' })
      .option('temperature', { type: 'number', default: d.temperature, describe: 'sample from softmax(Q / T) instead (0 = off)' })
      .option('rom', { type: 'string', describe: 'Breakout ROM file (default: ATARI_ROM_DIR or an installed ale-py)' })
      .option('sticky', { type: 'number', default: d.stickyActions, describe: 'sticky-action probability (ALE v5: 0.25)' })
      .option('frame-skip', { type: 'number', default: d.frameSkip, describe: 'emulated frames per agent step (ALE v5: 4)' })
      .option('max-frames', { type: 'number', default: d.maxEpisodeFrames, describe: 'truncate a game after this many emulated frames (ALE v5: 108000)' })
      .option('backend', { choices: BACKEND_CHOICES, default: d.backend, describe: 'TensorFlow.js backend' })
      .option('write-meta', { type: 'boolean', default: d.writeMeta, describe: "record the figures in the checkpoint's checkpoint.json" })
      .option('json', { type: 'boolean', default: false, describe: 'print {"episodes","mean","median","min","max"} as the last line' }),
  handler: async (args) => {
    const r = await evalDqn({
      checkpoint: args.checkpoint,
      episodes: args.episodes,
      seed: args.seed,
      epsilon: args.epsilon,
      temperature: args.temperature,
      rom: args.rom,
      stickyActions: args.sticky,
      frameSkip: args['frame-skip'],
      maxEpisodeFrames: args['max-frames'],
      backend: args.backend,
      writeMeta: args['write-meta'],
    });
    const fmt = (v: number) => (Number.isInteger(v) ? String(v) : v.toFixed(2));
    console.log(`eval-dqn: ${r.episodes} games: mean ${fmt(r.mean)}, median ${fmt(r.median)}, min ${r.min}, max ${r.max}; scores ${r.scores.join(' ')}`);
    if (args.json) console.log(JSON.stringify({ episodes: r.episodes, mean: r.mean, median: r.median, min: r.min, max: r.max }));
  },
};
