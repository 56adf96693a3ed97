// `npm run stage:train-action-map`: train the MLP from a real action (+ frame features) to a latent code.
import type { CommandModule } from 'yargs';
import { BACKEND_CHOICES, type BackendPreference } from '../../models/backend';
import { pairsDir, pairsOption } from '../../pipeline/collect-pairs';
import { DEFAULT_TRAIN_ACTION_MAP_CONFIG, trainActionMap, type TrainActionMapConfig } from '../../pipeline/train-action-map';
import { checkFlags } from './argv';

interface Args {
  pairs?: string;
  name?: string;
  out?: string;
  features: boolean;
  history: number;
  'ball-clock': boolean;
  hidden: number[];
  epochs: number;
  batch: number;
  lr: number;
  temperature: number;
  seed: number;
  backend: string;
}

const D = DEFAULT_TRAIN_ACTION_MAP_CONFIG;

export const trainActionMapCommand: CommandModule<object, Args> = {
  command: 'train-action-map',
  describe: 'Train the action map: an MLP from the real action (+ previous actions, frame features) to the latent code',
  builder: (yargs) =>
    yargs
      .option('pairs', pairsOption)
      .option('name', { type: 'string', describe: 'Run folder name: data/runs/train-action-map-NAME (default: a timestamp)' })
      .option('out', { type: 'string', describe: 'Also save the checkpoint here, e.g. checkpoints/action-map (default: only in the run folder)' })
      .option('features', { type: 'boolean', default: D.model.frameFeatures, describe: 'Give the map frame features (paddle, ball) of the current frames; --no-features: actions only' })
      .option('history', { type: 'number', default: D.model.history, describe: 'Previous actions the map sees besides the current one (0 = none); the paddle lags its controller' })
      .option('ball-clock', { type: 'boolean', default: D.model.ballClock, describe: 'Give the map the steps since the ball was last seen (a lost life and the next serve come a fixed while after the ball goes; off by default: README, "The ball clock")' })
      .option('hidden', { type: 'number', array: true, default: D.model.hidden, describe: 'Hidden layer widths' })
      .option('epochs', { type: 'number', default: D.epochs, describe: 'Passes over the train pairs' })
      .option('batch', { type: 'number', default: D.batchSize, describe: 'Pairs per step' })
      .option('lr', { type: 'number', default: D.lr, describe: 'Adam learning rate' })
      .option('temperature', { type: 'number', default: D.temperature, describe: 'Code sampling temperature at inference (0 = most likely code); reported and stored as the default' })
      .option('seed', { type: 'number', default: D.seed, describe: 'Seed of initialisation and shuffling' })
      .option('backend', { type: 'string', choices: BACKEND_CHOICES, default: D.backend, describe: 'TensorFlow.js backend' }),
  handler: async (args) => {
    checkFlags([
      ['--epochs', args.epochs, Number.isInteger(args.epochs) && args.epochs > 0],
      ['--batch', args.batch, Number.isInteger(args.batch) && args.batch > 0],
      ['--lr', args.lr, args.lr > 0],
      ['--temperature', args.temperature, args.temperature >= 0],
      ['--history', args.history, Number.isInteger(args.history) && args.history >= 0 && args.history <= 32],
      ['--hidden', args.hidden.join(' '), args.hidden.every((h) => Number.isInteger(h) && h > 0)],
    ]);
    const pairs = pairsDir(args.pairs);
    const config: TrainActionMapConfig = {
      ...D,
      pairs,
      out: args.out ?? null,
      model: { ...D.model, frameFeatures: args.features, history: args.history, ballClock: args['ball-clock'], hidden: args.hidden },
      epochs: args.epochs,
      batchSize: args.batch,
      lr: args.lr,
      temperature: args.temperature,
      seed: args.seed,
      backend: args.backend as BackendPreference,
    };
    await trainActionMap({ config, name: args.name });
  },
};
