// `npm run stage:train-ball-head`: train the MLP that says where the ball goes next (models/ball-head.ts).
import type { CommandModule } from 'yargs';
import { DEFAULT_TRAIN_BALL_HEAD_CONFIG, trainBallHead, type TrainBallHeadConfig } from '../../pipeline/train-ball-head';
import { checkFlags } from './argv';
import { headTrainingChecks, headTrainingConfig, headTrainingOptions, type HeadTrainingArgs } from './head-flags';

interface Args extends HeadTrainingArgs {
  data: string[];
  'bounce-weight': number;
}

const D = DEFAULT_TRAIN_BALL_HEAD_CONFIG;

export const trainBallHeadCommand: CommandModule<object, Args> = {
  command: 'train-ball-head',
  describe: 'Train the ball head: an MLP from the context frames (ball, paddle, bricks) to the ball\'s next step',
  builder: (yargs) =>
    headTrainingOptions(
      yargs
        .option('data', { type: 'string', array: true, demandOption: true, describe: 'Recording folders (npm run stage:record)' })
        .option('bounce-weight', { type: 'number', default: D.bounceWeight, describe: 'Times an epoch each step is seen whose next place the ball\'s flight does not decide (a bounce)' }),
      'ball-head',
      { ...D, hidden: D.model.hidden },
    ),
  handler: async (args) => {
    checkFlags([
      ...headTrainingChecks(args),
      ['--bounce-weight', args['bounce-weight'], Number.isInteger(args['bounce-weight']) && args['bounce-weight'] >= 1],
    ]);
    const config: TrainBallHeadConfig = { ...D, ...headTrainingConfig(args), data: args.data, model: { hidden: args.hidden }, bounceWeight: args['bounce-weight'] };
    await trainBallHead({ config, name: args.name });
  },
};
