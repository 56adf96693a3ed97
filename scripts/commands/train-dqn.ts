// `npm run stage:train-dqn -- --name dqn-ram --obs ram ...` (every option: --help), or
// `npm run stage:train-dqn -- --resume data/runs/train-dqn-NAME [--total-steps N] [--lr X]`.
import type { CommandModule, Options } from 'yargs';
import { BACKEND_CHOICES } from '../../models/backend';
import { DQN_DEFAULTS, DQN_HELP, trainDqn, type TrainDqnConfig } from '../../pipeline/train-dqn';
import { flagGiven } from './argv';

const kebab = (s: string) => s.replace(/[A-Z]/g, (c) => `-${c.toLowerCase()}`);

const CHOICES: Partial<Record<keyof TrainDqnConfig, readonly string[]>> = {
  obs: ['frames', 'ram'],
  exploration: ['epsilon', 'temperature', 'rnd'],
  ramNorm: ['standardize', 'scale'],
  backend: BACKEND_CHOICES,
};

/** One yargs option per config field, named in kebab case, with the config's default and help. */
function configOptions(): Record<string, Options> {
  const out: Record<string, Options> = {};
  for (const key of Object.keys(DQN_DEFAULTS) as (keyof TrainDqnConfig)[]) {
    const def = DQN_DEFAULTS[key];
    const opt: Options = { describe: DQN_HELP[key], default: def };
    if (Array.isArray(def)) Object.assign(opt, { type: 'array', number: true });
    else if (typeof def === 'number') opt.type = 'number';
    else if (typeof def === 'boolean') opt.type = 'boolean';
    else opt.type = 'string';
    if (CHOICES[key]) opt.choices = CHOICES[key] as string[];
    out[kebab(key)] = opt;
  }
  return out;
}

export const trainDqnCommand: CommandModule<object, Record<string, unknown>> = {
  command: 'train-dqn',
  describe: 'Stage 1: train a DQN agent on Breakout (our emulator); checkpoints and metrics in data/runs/train-dqn-*',
  builder: (yargs) =>
    yargs.options(configOptions()).option('resume', {
      type: 'string',
      describe: 'continue this run folder (its config.json wins; --total-steps may extend the budget, an explicit --lr changes the learning rate from here on)',
    }),
  handler: async (args) => {
    const config = {} as Record<string, unknown>;
    for (const key of Object.keys(DQN_DEFAULTS)) config[key] = args[key];
    config.hidden = (args.hidden as unknown[]).map(Number);
    const result = await trainDqn(config as unknown as TrainDqnConfig, {
      resume: args.resume as string | undefined,
      lr: flagGiven('--lr') ? (args.lr as number) : undefined,
    });
    console.log(JSON.stringify({ runDir: result.runDir, steps: result.counters.steps, frames: result.counters.frames, games: result.counters.games, meanReturn: result.meanReturn }));
    process.exit(0);
  },
};
