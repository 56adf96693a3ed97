// The training loop the small heads share (pipeline/train-ball-head.ts, pipeline/train-paddle-head.ts):
// shuffled minibatches, Adam on a cosine learning rate, a validation score after every epoch, and the
// weights of the best epoch kept. Ctrl-C ends the current epoch's batches and keeps the best so far.
import * as tf from '@tensorflow/tfjs';
import type { BackendPreference } from '../models/backend';
import { saveCheckpoint } from '../models/checkpoint';
import { UserError } from './errors';
import { Progress, onInterrupt } from './progress';
import { Prng } from './prng';
import type { Run } from './run';

/** The settings every head's training stage has (each stage's config adds its data and its model). */
export interface HeadTrainingConfig {
  /** Where decoded class frames are cached (shared with stage:train-latent). */
  cacheDir: string;
  epochs: number;
  batchSize: number;
  /** Adam's learning rate, from `lr` down to `lrFinal` on a cosine over the whole run. */
  lr: number;
  lrFinal: number;
  seed: number;
  backend: BackendPreference;
  /** Also save the checkpoint here (e.g. checkpoints/ball-head); null = only in the run folder. */
  out: string | null;
}

/** The defaults both heads train with (each stage sets its own epochs). */
export const HEAD_TRAINING_DEFAULTS: Omit<HeadTrainingConfig, 'epochs'> = {
  cacheDir: 'data/cache/latent-frames',
  batchSize: 256,
  lr: 1e-3,
  lrFinal: 1e-4,
  seed: 1,
  backend: 'auto',
  out: null,
};

/** What a head's training stage takes: its config, the run folder's name and parent (default data/runs), and where epoch lines go. */
export interface TrainHeadOptions<C> {
  config: C;
  name?: string;
  root?: string;
  log?: (line: string) => void;
}

export interface FitHeadOptions {
  /** Names the stage in the progress bar and errors. */
  label: string;
  model: tf.LayersModel;
  /** Row indices of one epoch (a row may appear more than once: it is then seen that often). */
  order: number[];
  epochs: number;
  batchSize: number;
  /** Adam's learning rate, from `lr` down to `lrFinal` on a cosine over the whole run. */
  lr: number;
  lrFinal: number;
  seed: number;
  /** The mean loss of a batch of rows under the model (called inside the optimizer's tape). */
  loss(rows: number[]): tf.Scalar;
  /** After each epoch: the score to maximise on validation data and the epoch's log line. */
  validate(epoch: number, trainLoss: number): { score: number; line: string };
  /** Epoch lines; default printed above the progress bar. */
  log?: (line: string) => void;
}

/** Train `model` in place; it ends with the weights of the best epoch. */
export async function fitHead(opts: FitHeadOptions): Promise<{ bestEpoch: number; stopped: boolean }> {
  const { model, order } = opts;
  const optimizer = tf.train.adam(opts.lr);
  const rng = new Prng(opts.seed);
  let best: { epoch: number; score: number; weights: tf.Tensor[] } | null = null;
  let stopped = false;
  const removeInterrupt = onInterrupt(() => { stopped = true; }, { exit: false });
  const totalSteps = opts.epochs * Math.ceil(order.length / opts.batchSize);
  const progress = new Progress({ total: totalSteps, label: opts.label, unit: 'step' });
  const say = opts.log ?? ((m: string) => progress.log(m));
  let step = 0;
  try {
    for (let epoch = 1; epoch <= opts.epochs && !stopped; epoch++) {
      for (let i = order.length - 1; i > 0; i--) { const j = rng.int(i + 1); [order[i], order[j]] = [order[j], order[i]]; }
      let lossSum = 0;
      for (let b = 0; b < order.length && !stopped; b += opts.batchSize) {
        const rows = order.slice(b, b + opts.batchSize);
        (optimizer as unknown as { learningRate: number }).learningRate = opts.lrFinal + ((opts.lr - opts.lrFinal) * (1 + Math.cos((Math.PI * step++) / totalSteps))) / 2;
        const loss = tf.tidy(() => optimizer.minimize(() => opts.loss(rows), true)!);
        lossSum += loss.dataSync()[0] * rows.length;
        loss.dispose();
        progress.tick();
        if ((b / opts.batchSize) % 50 === 49) await new Promise((r) => setImmediate(r)); // let Ctrl-C in
      }
      const { score, line } = opts.validate(epoch, lossSum / order.length);
      say(line);
      if (!best || score > best.score) {
        best?.weights.forEach((w) => w.dispose());
        best = { epoch, score, weights: model.getWeights().map((w) => w.clone()) };
      }
    }
  } finally {
    progress.finish();
    removeInterrupt();
    optimizer.dispose();
  }
  if (!best) throw new UserError(`${opts.label}: stopped before the first epoch ended; nothing saved`);
  model.setWeights(best.weights);
  best.weights.forEach((w) => w.dispose());
  return { bestEpoch: best.epoch, stopped };
}

/** Save the trained head in the run folder's checkpoint/ (and in `out`), write the run's summary, close the run and free the model; returns the checkpoint folder. */
export async function saveHeadRun(run: Run, model: tf.LayersModel, meta: { eval: Record<string, unknown> } & Record<string, unknown>, out: string | null, stopped: boolean): Promise<string> {
  const checkpointDir = run.path('checkpoint');
  await saveCheckpoint(checkpointDir, { models: { model }, meta });
  if (out) await saveCheckpoint(out, { models: { model }, meta });
  run.writeSummary({ ...meta.eval, checkpoint: checkpointDir, out, stopped });
  await run.close();
  model.dispose();
  return checkpointDir;
}
