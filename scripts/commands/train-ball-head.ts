// `npm run stage:train-ball-head`: train the MLP that says where the ball goes next (models/ball-head.ts).
import type { CommandModule } from 'yargs';
import { BACKEND_CHOICES, type BackendPreference } from '../../models/backend';
import { DEFAULT_TRAIN_BALL_HEAD_CONFIG, trainBallHead, type TrainBallHeadConfig } from '../../pipeline/train-ball-head';
import { checkFlags } from './argv';

interface Args {
  data: string[];
  name?: string;
  out?: string;
  hidden: number[];
  epochs: number;
  'bounce-weight': number;
  batch: number;
  lr: number;
  'lr-final': number;
  seed: number;
  backend: string;
}

const D = DEFAULT_TRAIN_BALL_HEAD_CONFIG;

export const trainBallHeadCommand: CommandModule<object, Args> = {
  command: 'train-ball-head',
  describe: 'Train the ball head: an MLP from the context frames (ball, paddle, bricks) to the ball\'s next step',
  builder: (yargs) =>
    yargs
      .option('data', { type: 'string', array: true, demandOption: true, describe: 'Recording folders (npm run stage:record)' })
      .option('name', { type: 'string', describe: 'Run folder name: data/runs/train-ball-head-NAME (default: a timestamp)' })
      .option('out', { type: 'string', describe: 'Also save the checkpoint here, e.g. checkpoints/ball-head (default: only in the run folder)' })
      .option('hidden', { type: 'number', array: true, default: D.model.hidden, describe: 'Hidden layer widths' })
      .option('epochs', { type: 'number', default: D.epochs, describe: 'Passes over the train steps' })
      .option('bounce-weight', { type: 'number', default: D.bounceWeight, describe: 'Times an epoch each step is seen whose next place the ball\'s flight does not decide (a bounce)' })
      .option('batch', { type: 'number', default: D.batchSize, describe: 'Steps per optimizer step' })
      .option('lr', { type: 'number', default: D.lr, describe: 'Adam learning rate at the start' })
      .option('lr-final', { type: 'number', default: D.lrFinal, describe: 'Learning rate at the end (a cosine from --lr)' })
      .option('seed', { type: 'number', default: D.seed, describe: 'Seed of initialisation and shuffling' })
      .option('backend', { type: 'string', choices: BACKEND_CHOICES, default: D.backend, describe: 'TensorFlow.js backend' }),
  handler: async (args) => {
    checkFlags([
      ['--epochs', args.epochs, Number.isInteger(args.epochs) && args.epochs > 0],
      ['--batch', args.batch, Number.isInteger(args.batch) && args.batch > 0],
      ['--bounce-weight', args['bounce-weight'], Number.isInteger(args['bounce-weight']) && args['bounce-weight'] >= 1],
      ['--lr', args.lr, args.lr > 0],
      ['--lr-final', args['lr-final'], args['lr-final'] > 0 && args['lr-final'] <= args.lr],
      ['--hidden', args.hidden.join(' '), args.hidden.length > 0 && args.hidden.every((h) => Number.isInteger(h) && h > 0)],
    ]);
    const config: TrainBallHeadConfig = {
      ...D,
      data: args.data,
      out: args.out ?? null,
      model: { hidden: args.hidden },
      epochs: args.epochs,
      bounceWeight: args['bounce-weight'],
      batchSize: args.batch,
      lr: args.lr,
      lrFinal: args['lr-final'],
      seed: args.seed,
      backend: args.backend as BackendPreference,
    };
    await trainBallHead({ config, name: args.name });
  },
};
