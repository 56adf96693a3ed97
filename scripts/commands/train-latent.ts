// `npm run stage:train-latent`: train the latent action model (VQ-VAE) whose decoder is the world model.
import type { CommandModule } from 'yargs';
import { BACKEND_CHOICES, type BackendPreference } from '../../models/backend';
import { DEFAULT_LATENT_ACTION_CONFIG, type LatentActionConfig, savedLatentActionConfig } from '../../models/latent-action';
import { readCheckpointMeta } from '../../models/checkpoint';
import { UserError } from '../../pipeline/errors';
import { checkFlags, flagGiven } from './argv';
import { DEFAULT_TRAIN_LATENT_CONFIG, trainLatent, type TrainLatentConfig } from '../../pipeline/train-latent';

interface Args {
  data: string[];
  name?: string;
  resume?: string;
  steps: number;
  'time-limit': number;
  batch: number;
  lr: number;
  context: number;
  codes: number;
  channels: number[];
  blocks: number;
  'coarse-blocks': number;
  'global-path': boolean;
  'encoder-from-row': number;
  'dynamic-weight': number;
  'keep-bias': number;
  'context-noise': number;
  'self-conditioning': number;
  'self-fed-steps': number;
  'fast-ball-weight': number;
  'score-change-weight': number;
  'bounce-weight': number;
  init?: string;
  'freeze-encoder': boolean;
  'max-episodes': number;
  'eval-every': number;
  seed: number;
  backend: string;
  workers: number;
  wandb?: boolean;
}

const D = DEFAULT_TRAIN_LATENT_CONFIG;

/**
 * The --init checkpoint's model config. Three changes keep what it learned: `channels` (S B R) may narrow
 * its refine layer, `coarseBlocks` may add the 1/16 path and `globalPath` the global path to a model
 * that has none (each starts at zero output).
 */
function initModelConfig(init: string, channels?: number[], coarseBlocks?: number, globalPath?: boolean): LatentActionConfig {
  let cfg = savedLatentActionConfig(readCheckpointMeta(init).config as Partial<LatentActionConfig>);
  if (channels) {
    const [stem, body, refine] = channels;
    if (stem !== cfg.stemChannels || body !== cfg.bodyChannels || refine > cfg.refineChannels) {
      throw new UserError(`--channels ${channels.join(' ')} with --init: only the refine width may change, and only down (the checkpoint has ${cfg.stemChannels} ${cfg.bodyChannels} ${cfg.refineChannels})`);
    }
    cfg = { ...cfg, refineChannels: refine };
  }
  if (coarseBlocks !== undefined && coarseBlocks !== cfg.coarseBlocks) {
    if (cfg.coarseBlocks > 0) throw new UserError(`--coarse-blocks ${coarseBlocks} with --init: the checkpoint has a 1/16 path already (${cfg.coarseBlocks} blocks); only a model without one can gain one`);
    cfg = { ...cfg, coarseBlocks };
  }
  if (globalPath !== undefined && globalPath !== cfg.globalPath) {
    if (!globalPath) throw new UserError('--no-global-path with --init: the checkpoint has a global path already; only a model without one can gain one');
    cfg = { ...cfg, globalPath };
  }
  return cfg;
}

export const trainLatentCommand: CommandModule<object, Args> = {
  command: 'train-latent',
  describe: 'Train the latent action model (VQ-VAE; its decoder is the world model) on recorded episodes',
  builder: (yargs) =>
    yargs
      .option('data', { type: 'string', array: true, default: D.data, describe: 'Recording folders (episode-NNNNN.json + video) to train on' })
      .option('name', { type: 'string', describe: 'Run folder name: data/runs/train-latent-NAME (default: a timestamp)' })
      .option('resume', { type: 'string', describe: 'Continue the run in this folder from its last checkpoint (its config.json holds; --steps extends it)' })
      .option('steps', { type: 'number', default: D.steps, describe: 'Optimizer steps in total' })
      .option('time-limit', { type: 'number', default: D.timeLimitMin, describe: 'Stop after this many minutes (0 = no limit)' })
      .option('batch', { type: 'number', default: D.batchSize, describe: 'Windows per step' })
      .option('lr', { type: 'number', default: D.lr, describe: 'Peak learning rate (warm-up, then cosine decay)' })
      .option('context', { type: 'number', default: DEFAULT_LATENT_ACTION_CONFIG.contextFrames, describe: 'Context frames K the decoder sees (2..4)' })
      .option('codes', { type: 'number', default: DEFAULT_LATENT_ACTION_CONFIG.codebookSize, describe: 'Codebook size N (one code per transition)' })
      .option('channels', {
        type: 'number',
        array: true,
        default: [DEFAULT_LATENT_ACTION_CONFIG.stemChannels, DEFAULT_LATENT_ACTION_CONFIG.bodyChannels, DEFAULT_LATENT_ACTION_CONFIG.refineChannels],
        describe: 'Decoder widths: stem (1/4 res), body (1/8 res), refine (1/4 res); with --init, a smaller refine keeps its strongest channels',
      })
      .option('blocks', { type: 'number', default: DEFAULT_LATENT_ACTION_CONFIG.bodyBlocks, describe: 'Decoder residual blocks at 1/8 resolution (each adds 16 px of reach)' })
      .option('coarse-blocks', { type: 'number', default: DEFAULT_LATENT_ACTION_CONFIG.coarseBlocks, describe: 'Decoder residual blocks at 1/16 resolution (0 = no such path); with --init, adds the path to a model without one' })
      .option('global-path', { type: 'boolean', default: DEFAULT_LATENT_ACTION_CONFIG.globalPath, describe: 'Decoder path from the whole screen (mean and max of the 1/8 features) to every cell, e.g. for the score digits to see a lost ball; with --init, adds the path to a model without one' })
      .option('encoder-from-row', { type: 'number', default: DEFAULT_LATENT_ACTION_CONFIG.encoderFromRow, describe: "Rows of the next frame above this one reach the encoder as in the last context frame, so codes carry only what shows below it (Breakout: 93, the bricks' bottom edge; 0 = the whole frame)" })
      .option('init', { type: 'string', describe: 'Start from this world-model checkpoint (its weights, codebook and model config; no warm-up), e.g. to train on for longer or on new data' })
      .option('freeze-encoder', { type: 'boolean', default: D.freezeEncoder, describe: 'With --init: train the decoder only, so the codes (and an action map made for them) keep their meaning' })
      .option('context-noise', { type: 'number', default: D.contextNoise, describe: 'Share of training windows whose context frames get painted mistakes to repair (0 = off)' })
      .option('self-conditioning', { type: 'number', default: D.selfConditioning, describe: 'Share of training windows whose last context frames are the model\'s own rollout into them (0 = off)' })
      .option('self-fed-steps', { type: 'number', default: D.selfFedSteps, describe: 'Longest such rollout in steps (each batch draws 1..N)' })
      .option('fast-ball-weight', { type: 'number', default: D.fastBallWeight, describe: 'Draw training windows whose ball jumps 10+ px in the step this many times as often (1 = uniform; they are a few percent of recordings)' })
      .option('score-change-weight', { type: 'number', default: D.scoreChangeWeight, describe: 'Draw training windows where a digit (score or lives) changes this many times as often (1 = uniform; about 3% of recordings)' })
      .option('bounce-weight', { type: 'number', default: D.bounceWeight, describe: 'Draw training windows where the ball turns (off the paddle, a wall or the bricks) this many times as often (1 = uniform)' })
      .option('dynamic-weight', { type: 'number', default: D.dynamicWeight, describe: 'Extra loss weight of pixels that change' })
      .option('keep-bias', { type: 'number', default: DEFAULT_LATENT_ACTION_CONFIG.keepBias, describe: "Logit bonus for keeping a pixel's class when predicting (undoes the over-prediction of change that --dynamic-weight causes; with --init, the checkpoint's unless given)" })
      .option('max-episodes', { type: 'number', default: D.maxEpisodes, describe: 'At most this many episodes per recording folder (0 = all)' })
      .option('eval-every', { type: 'number', default: D.evalEvery, describe: 'Steps between validation passes (and best checkpoints)' })
      .option('seed', { type: 'number', default: D.seed, describe: 'Seed of initialisation and sampling' })
      .option('backend', { type: 'string', choices: BACKEND_CHOICES, default: D.backend, describe: 'TensorFlow.js backend' })
      .option('workers', { type: 'number', default: D.workers, describe: 'Threads that share each batch (data parallel): WebAssembly uses one core per thread, so 2 on a 2-core machine' })
      .option('wandb', { type: 'boolean', describe: 'Log to Weights & Biases (default: when WANDB_API_KEY is set)' }),
  handler: async (args) => {
    checkFlags([
      ['--steps', args.steps, Number.isInteger(args.steps) && args.steps > 0],
      ['--batch', args.batch, Number.isInteger(args.batch) && args.batch > 0],
      ['--lr', args.lr, args.lr > 0],
      ['--context', args.context, Number.isInteger(args.context) && args.context >= 1 && args.context <= 8],
      ['--codes', args.codes, Number.isInteger(args.codes) && args.codes >= 2 && args.codes <= 256],
      ['--channels', args.channels.join(' '), args.channels.length === 3 && args.channels.every((c) => Number.isInteger(c) && c > 0)],
      ['--workers', args.workers, Number.isInteger(args.workers) && args.workers >= 1 && args.workers <= args.batch],
      ['--blocks', args.blocks, Number.isInteger(args.blocks) && args.blocks >= 0],
      ['--encoder-from-row', args['encoder-from-row'], Number.isInteger(args['encoder-from-row']) && args['encoder-from-row'] >= 0 && args['encoder-from-row'] < DEFAULT_LATENT_ACTION_CONFIG.height],
      ['--coarse-blocks', args['coarse-blocks'], Number.isInteger(args['coarse-blocks']) && args['coarse-blocks'] >= 0],
      ['--dynamic-weight', args['dynamic-weight'], args['dynamic-weight'] >= 0],
      ['--keep-bias', args['keep-bias'], Number.isFinite(args['keep-bias'])],
      ['--context-noise', args['context-noise'], args['context-noise'] >= 0 && args['context-noise'] <= 1],
      ['--self-conditioning', args['self-conditioning'], args['self-conditioning'] >= 0 && args['self-conditioning'] <= 1],
      ['--self-fed-steps', args['self-fed-steps'], Number.isInteger(args['self-fed-steps']) && args['self-fed-steps'] >= 1 && args['self-fed-steps'] <= 16],
      ['--time-limit', args['time-limit'], args['time-limit'] >= 0],
      ['--fast-ball-weight', args['fast-ball-weight'], args['fast-ball-weight'] > 0 && Number.isFinite(args['fast-ball-weight'])],
      ['--score-change-weight', args['score-change-weight'], args['score-change-weight'] > 0 && Number.isFinite(args['score-change-weight'])],
      ['--bounce-weight', args['bounce-weight'], args['bounce-weight'] > 0 && Number.isFinite(args['bounce-weight'])],
    ]);
    const config: TrainLatentConfig = {
      ...D,
      data: args.data,
      steps: args.steps,
      timeLimitMin: args['time-limit'],
      batchSize: args.batch,
      lr: args.lr,
      dynamicWeight: args['dynamic-weight'],
      contextNoise: args['context-noise'],
      selfConditioning: args['self-conditioning'],
      selfFedSteps: args['self-fed-steps'],
      fastBallWeight: args['fast-ball-weight'],
      scoreChangeWeight: args['score-change-weight'],
      bounceWeight: args['bounce-weight'],
      init: args.init ?? '',
      freezeEncoder: args['freeze-encoder'],
      maxEpisodes: args['max-episodes'],
      evalEvery: args['eval-every'],
      gridEvery: args['eval-every'],
      seed: args.seed,
      backend: args.backend as BackendPreference,
      workers: args.workers,
      // --init: the checkpoint's own model config (the shape flags below do not apply, but for a
      // narrower refine layer, --channels S B R with the checkpoint's S and B, --coarse-blocks and --global-path).
      model: args.init ? {
        ...initModelConfig(args.init, flagGiven('--channels') ? args.channels : undefined, flagGiven('--coarse-blocks') ? args['coarse-blocks'] : undefined,
          flagGiven('--global-path') || flagGiven('--no-global-path') ? args['global-path'] : undefined),
        ...(flagGiven('--keep-bias') ? { keepBias: args['keep-bias'] } : {}),
      } : {
        ...DEFAULT_LATENT_ACTION_CONFIG,
        contextFrames: args.context,
        codebookSize: args.codes,
        stemChannels: args.channels[0],
        bodyChannels: args.channels[1],
        refineChannels: args.channels[2],
        bodyBlocks: args.blocks,
        coarseBlocks: args['coarse-blocks'],
        globalPath: args['global-path'],
        encoderFromRow: args['encoder-from-row'],
        keepBias: args['keep-bias'],
      },
    };
    // On --resume the run's own config.json holds; an explicit --steps extends it, --workers overrides it.
    const result = await trainLatent({
      config, name: args.name, resume: args.resume, wandb: args.wandb,
      steps: args.resume && flagGiven('--steps') ? args.steps : undefined,
      workers: args.resume && flagGiven('--workers') ? args.workers : undefined,
    });
    console.log(`train-latent: ${result.stopped ? 'stopped' : 'done'} at step ${result.step}; run folder ${result.runDir}`);
    if (result.best) console.log(`best validation (step ${result.best.step}): dynamic accuracy ${result.best.dynamicAccuracy.toFixed(3)}, codes used ${result.best.codesUsed}`);
  },
};
