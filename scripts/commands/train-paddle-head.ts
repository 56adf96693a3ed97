// `npm run stage:train-paddle-head`: train the MLP that says where the paddle goes next (models/paddle-head.ts).
import type { CommandModule } from 'yargs';
import { pairsDir, pairsOption } from '../../pipeline/collect-pairs';
import { DEFAULT_TRAIN_PADDLE_HEAD_CONFIG, trainPaddleHead, type TrainPaddleHeadConfig } from '../../pipeline/train-paddle-head';
import { checkFlags } from './argv';
import { headTrainingChecks, headTrainingConfig, headTrainingOptions, type HeadTrainingArgs } from './head-flags';

interface Args extends HeadTrainingArgs {
  pairs?: string;
}

const D = DEFAULT_TRAIN_PADDLE_HEAD_CONFIG;

export const trainPaddleHeadCommand: CommandModule<object, Args> = {
  command: 'train-paddle-head',
  describe: 'Train the paddle head: an MLP from the latent code and the paddle\'s last places to its next step',
  builder: (yargs) => headTrainingOptions(yargs.option('pairs', pairsOption), 'paddle-head', D),
  handler: async (args) => {
    checkFlags(headTrainingChecks(args));
    const config: TrainPaddleHeadConfig = { ...D, ...headTrainingConfig(args), pairs: pairsDir(args.pairs), hidden: args.hidden };
    await trainPaddleHead({ config, name: args.name });
  },
};
