// `npm run stage:collect-pairs`: run the world model's encoder over recordings and write
// (action, context reference, code) pairs with their episode's split, for the action map (stage 4).
import type { CommandModule } from 'yargs';
import { BACKEND_CHOICES, type BackendPreference } from '../../models/backend';
import { collectPairs, DEFAULT_COLLECT_PAIRS_CONFIG, type CollectPairsConfig } from '../../pipeline/collect-pairs';
import { checkFlags } from './argv';

interface Args {
  'world-model': string;
  data: string[];
  name?: string;
  'max-episodes': number;
  'cache-dir': string;
  'val-share': number;
  'test-share': number;
  batch: number;
  'relabel-comebacks': boolean;
  backend: string;
}

const D = DEFAULT_COLLECT_PAIRS_CONFIG;

export const collectPairsCommand: CommandModule<object, Args> = {
  command: 'collect-pairs',
  describe: 'Name the latent code of every recorded transition with the world model encoder: (action, context, code) pairs for the action map',
  builder: (yargs) =>
    yargs
      .option('world-model', { type: 'string', default: D.worldModel, describe: 'World model checkpoint folder whose encoder names the codes' })
      .option('data', { type: 'string', array: true, default: D.data, describe: 'Recording folders (default: those the world model was trained on, from its checkpoint.json)' })
      .option('name', { type: 'string', describe: 'Run folder name: data/runs/collect-pairs-NAME (default: a timestamp)' })
      .option('max-episodes', { type: 'number', default: D.maxEpisodes, describe: 'At most this many episodes per recording folder (0 = all)' })
      .option('cache-dir', { type: 'string', default: D.cacheDir, describe: 'Class-frame cache shared with stage 3' })
      .option('val-share', { type: 'number', default: D.valShare, describe: 'Share of episodes for validation (keep equal to stage 3)' })
      .option('test-share', { type: 'number', default: D.testShare, describe: 'Share of episodes for test (keep equal to stage 3)' })
      .option('batch', { type: 'number', default: D.batch, describe: 'Transitions per encoder call' })
      .option('relabel-comebacks', { type: 'boolean', default: D.relabelComebacks, describe: 'Where the ball comes back and the encoder\'s code draws none, take the code whose decoded ball is nearest the real one (off by default: see the README, "Serving: relabelled comebacks")' })
      .option('backend', { type: 'string', choices: BACKEND_CHOICES, default: D.backend, describe: 'TensorFlow.js backend' }),
  handler: async (args) => {
    checkFlags([
      ['--batch', args.batch, Number.isInteger(args.batch) && args.batch > 0],
      ['--max-episodes', args['max-episodes'], Number.isInteger(args['max-episodes']) && args['max-episodes'] >= 0],
      ['--val-share', args['val-share'], args['val-share'] >= 0 && args['val-share'] < 1],
      ['--test-share', args['test-share'], args['test-share'] >= 0 && args['test-share'] < 1],
    ]);
    const config: CollectPairsConfig = {
      worldModel: args['world-model'], data: args.data, maxEpisodes: args['max-episodes'], cacheDir: args['cache-dir'],
      valShare: args['val-share'], testShare: args['test-share'], batch: args.batch,
      relabelComebacks: args['relabel-comebacks'], backend: args.backend as BackendPreference,
    };
    await collectPairs({ config, name: args.name });
  },
};
