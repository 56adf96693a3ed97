// The flags both head-training commands take (train-ball-head, train-paddle-head), their range checks,
// and the part of the stage's config they set (pipeline/fit-head.ts HeadTrainingConfig).
import type { Argv } from 'yargs';
import { BACKEND_CHOICES, type BackendPreference } from '../../models/backend';
import type { HeadTrainingConfig } from '../../pipeline/fit-head';

export interface HeadTrainingArgs {
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

/** Add the shared flags to `yargs`, defaulting to the stage's config; `head` ('ball-head', 'paddle-head') names its run folder and checkpoint in the help. */
export function headTrainingOptions<T>(yargs: Argv<T>, head: string, d: HeadTrainingConfig & { hidden: number[] }): Argv<T & HeadTrainingArgs> {
  return yargs
    .option('name', { type: 'string', describe: `Run folder name: data/runs/train-${head}-NAME (default: a timestamp)` })
    .option('out', { type: 'string', describe: `Also save the checkpoint here, e.g. checkpoints/${head} (default: only in the run folder)` })
    .option('hidden', { type: 'number', array: true, default: d.hidden, describe: 'Hidden layer widths' })
    .option('epochs', { type: 'number', default: d.epochs, describe: 'Passes over the train steps' })
    .option('batch', { type: 'number', default: d.batchSize, describe: 'Steps per optimizer step' })
    .option('lr', { type: 'number', default: d.lr, describe: 'Adam learning rate at the start' })
    .option('lr-final', { type: 'number', default: d.lrFinal, describe: 'Learning rate at the end (a cosine from --lr)' })
    .option('seed', { type: 'number', default: d.seed, describe: 'Seed of initialisation and shuffling' })
    .option('backend', { type: 'string', choices: BACKEND_CHOICES, default: d.backend, describe: 'TensorFlow.js backend' });
}

/** The shared flags' range checks, as rows for checkFlags (a command adds its own). */
export function headTrainingChecks(args: HeadTrainingArgs): [string, unknown, boolean][] {
  return [
    ['--epochs', args.epochs, Number.isInteger(args.epochs) && args.epochs > 0],
    ['--batch', args.batch, Number.isInteger(args.batch) && args.batch > 0],
    ['--lr', args.lr, args.lr > 0],
    ['--lr-final', args['lr-final'], args['lr-final'] > 0 && args['lr-final'] <= args.lr],
    ['--hidden', args.hidden.join(' '), args.hidden.length > 0 && args.hidden.every((h) => Number.isInteger(h) && h > 0)],
  ];
}

/** What the shared flags set of the stage's config. */
export function headTrainingConfig(args: HeadTrainingArgs): Omit<HeadTrainingConfig, 'cacheDir'> {
  return { out: args.out ?? null, epochs: args.epochs, batchSize: args.batch, lr: args.lr, lrFinal: args['lr-final'], seed: args.seed, backend: args.backend as BackendPreference };
}
