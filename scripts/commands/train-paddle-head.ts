// `npm run stage:train-paddle-head`: train the MLP that says where the paddle goes next (models/paddle-head.ts).
import type { CommandModule } from 'yargs';
import { BACKEND_CHOICES, type BackendPreference } from '../../models/backend';
import { pairsDir, pairsOption } from '../../pipeline/collect-pairs';
import { DEFAULT_TRAIN_PADDLE_HEAD_CONFIG, trainPaddleHead, type TrainPaddleHeadConfig } from '../../pipeline/train-paddle-head';
import { checkFlags } from './argv';

interface Args {
  pairs?: string;
  name?: string;
  out?: string;
  hidden: number[];
  epochs: number;
  batch: number;
  lr: number;
  'lr-final': number;
  seed: number;
  backend: string;
}

const D = DEFAULT_TRAIN_PADDLE_HEAD_CONFIG;

export const trainPaddleHeadCommand: CommandModule<object, Args> = {
  command: 'train-paddle-head',
  describe: 'Train the paddle head: an MLP from the latent code and the paddle\'s last places to its next step',
  builder: (yargs) =>
    yargs
      .option('pairs', pairsOption)
      .option('name', { type: 'string', describe: 'Run folder name: data/runs/train-paddle-head-NAME (default: a timestamp)' })
      .option('out', { type: 'string', describe: 'Also save the checkpoint here, e.g. checkpoints/paddle-head (default: only in the run folder)' })
      .option('hidden', { type: 'number', array: true, default: D.hidden, describe: 'Hidden layer widths' })
      .option('epochs', { type: 'number', default: D.epochs, describe: 'Passes over the train steps' })
      .option('batch', { type: 'number', default: D.batchSize, describe: 'Steps per optimizer step' })
      .option('lr', { type: 'number', default: D.lr, describe: 'Adam learning rate at the start' })
      .option('lr-final', { type: 'number', default: D.lrFinal, describe: 'Learning rate at the end (a cosine from --lr)' })
      .option('seed', { type: 'number', default: D.seed, describe: 'Seed of initialisation and shuffling' })
      .option('backend', { type: 'string', choices: BACKEND_CHOICES, default: D.backend, describe: 'TensorFlow.js backend' }),
  handler: async (args) => {
    checkFlags([
      ['--epochs', args.epochs, Number.isInteger(args.epochs) && args.epochs > 0],
      ['--batch', args.batch, Number.isInteger(args.batch) && args.batch > 0],
      ['--lr', args.lr, args.lr > 0],
      ['--lr-final', args['lr-final'], args['lr-final'] > 0 && args['lr-final'] <= args.lr],
      ['--hidden', args.hidden.join(' '), args.hidden.length > 0 && args.hidden.every((h) => Number.isInteger(h) && h > 0)],
    ]);
    const pairs = pairsDir(args.pairs);
    const config: TrainPaddleHeadConfig = {
      ...D,
      pairs,
      out: args.out ?? null,
      hidden: args.hidden,
      epochs: args.epochs,
      batchSize: args.batch,
      lr: args.lr,
      lrFinal: args['lr-final'],
      seed: args.seed,
      backend: args.backend as BackendPreference,
    };
    await trainPaddleHead({ config, name: args.name });
  },
};
