// Stage 4b: train the paddle head (models/paddle-head.ts), a small MLP from the latent code and the
// paddle's last places to its next step. Every hyperparameter in TrainPaddleHeadConfig below.
//
// Rows come from a collect-pairs run (stage 4): each recorded transition with the code the world
// model's encoder names for it and its episode's split (so the world model's val and test games stay
// held out), labelled with the paddle's travel read off the cached class frames. Per epoch
// (pipeline/fit-head.ts): shuffle, Adam on the travel's softmax cross-entropy; keep the weights with
// the best val share of steps exact.
import * as tf from '@tensorflow/tfjs';
import { initBackend } from '../models/backend';
import {
  buildPaddleHeadModel, DEFAULT_PADDLE_HEAD_CONFIG, PADDLE_HEAD_KIND, PaddleHead, paddleFeatures, paddleFeatureSize, TRAVEL_CLASSES, travelClass,
  type PaddleHeadConfig,
} from '../models/paddle-head';
import { lastPaddle } from './breakout-decode';
import { type ActionPairs, readPairs } from './collect-pairs';
import { UserError } from './errors';
import { fitHead, HEAD_TRAINING_DEFAULTS, saveHeadRun, type HeadTrainingConfig, type TrainHeadOptions } from './fit-head';
import { buildLatentDataset, type Split } from './latent-dataset';
import { createRun } from './run';

export interface TrainPaddleHeadConfig extends HeadTrainingConfig {
  /** A collect-pairs run folder (its codes, episodes and splits). */
  pairs: string;
  /** Hidden layer widths (the code count comes from the pairs). */
  hidden: number[];
}

export const DEFAULT_TRAIN_PADDLE_HEAD_CONFIG: TrainPaddleHeadConfig = {
  ...HEAD_TRAINING_DEFAULTS,
  pairs: '',
  hidden: DEFAULT_PADDLE_HEAD_CONFIG.hidden,
  epochs: 10,
};

/** Paddle steps of one split: features (rows x paddleFeatureSize) and travel classes; `moving` marks steps where the paddle moves in the last step or the next. */
export interface PaddleRows { features: Float32Array; travel: Int32Array; moving: Uint8Array; count: number; width: number }

/** The paddle steps of the pairs by split: every pair whose last context frame and target show the paddle. */
async function readRows(pairs: ActionPairs, cfg: TrainPaddleHeadConfig, head: Pick<PaddleHeadConfig, 'codes'>, log: (m: string) => void): Promise<Record<Split, PaddleRows>> {
  const K = pairs.contextFrames;
  const ds = await buildLatentDataset({ recordings: pairs.episodes.map((e) => e.source), cacheDir: cfg.cacheDir, contextFrames: K, valShare: 0, testShare: 0, log });
  const width = paddleFeatureSize(head);
  const rows: Record<Split, { features: Float32Array[]; travel: number[]; moving: number[] }> = {
    train: { features: [], travel: [], moving: [] }, val: { features: [], travel: [], moving: [] }, test: { features: [], travel: [], moving: [] },
  };
  try {
    for (let i = 0; i < pairs.code.length; i++) {
      const e = pairs.episode[i], t = pairs.target[i];
      const context = Array.from({ length: K }, (_, k) => ds.store.read(e, t - K + k));
      const from = lastPaddle(context[K - 1]), to = lastPaddle(ds.store.read(e, t));
      const f = paddleFeatures(head, context, pairs.code[i]);
      const travel = from && to ? travelClass(from.left, to.left) : null;
      if (f === null || travel === null) continue;
      const before = K >= 2 ? lastPaddle(context[K - 2]) : null;
      const r = rows[pairs.episodes[e].split];
      r.features.push(f); r.travel.push(travel); r.moving.push(to!.left !== from!.left || (before !== null && before.left !== from!.left) ? 1 : 0);
    }
  } finally {
    ds.close();
  }
  log(`train-paddle-head: ${pairs.episodes.length} episodes, paddle steps: train ${rows.train.travel.length}, val ${rows.val.travel.length}, test ${rows.test.travel.length}`);
  const pack = (r: (typeof rows)[Split]): PaddleRows => {
    const features = new Float32Array(r.travel.length * width);
    r.features.forEach((f, i) => features.set(f, i * width));
    return { features, travel: Int32Array.from(r.travel), moving: Uint8Array.from(r.moving), count: r.travel.length, width };
  };
  return { train: pack(rows.train), val: pack(rows.val), test: pack(rows.test) };
}

/** Figures of the head on one split: the share of steps whose travel it names exactly, over all steps and over the moving ones. */
export interface PaddleScores { steps: number; exact: number; moving: number; movingExact: number }

export function scoreRows(head: PaddleHead, rows: PaddleRows): PaddleScores {
  let exact = 0, moving = 0, movingExact = 0;
  for (let i = 0; i < rows.count; i++) {
    const out = head.logits(rows.features.subarray(i * rows.width, (i + 1) * rows.width));
    let best = 0;
    for (let j = 1; j < out.length; j++) if (out[j] > out[best]) best = j;
    const ok = best === rows.travel[i];
    if (ok) exact++;
    if (rows.moving[i]) { moving++; if (ok) movingExact++; }
  }
  return { steps: rows.count, exact: rows.count ? exact / rows.count : 0, moving, movingExact: moving ? movingExact / moving : 0 };
}

export type TrainPaddleHeadOptions = TrainHeadOptions<TrainPaddleHeadConfig>;

export async function trainPaddleHead(opts: TrainPaddleHeadOptions): Promise<{ runDir: string; checkpointDir: string; scores: Record<Split, PaddleScores> }> {
  const cfg = opts.config;
  const log = opts.log ?? ((m: string) => console.log(m));
  const pairs = readPairs(cfg.pairs);
  const headConfig: PaddleHeadConfig = { codes: pairs.codebookSize, hidden: cfg.hidden };
  const backendInfo = await initBackend(cfg.backend, { log });
  const run = await createRun({ stage: 'train-paddle-head', name: opts.name, root: opts.root, config: { ...cfg, backendInfo } });
  log(`train-paddle-head: run folder ${run.dir}`);
  await run.writeManifest([{ role: 'pairs', path: cfg.pairs }]);
  const rows = await readRows(pairs, cfg, headConfig, log);
  if (rows.train.count === 0) throw new UserError('train-paddle-head: the pairs hold no paddle steps to train on');
  const valRows = rows.val.count ? rows.val : rows.train;
  const width = rows.train.width;

  const model = buildPaddleHeadModel(headConfig, cfg.seed);
  const { bestEpoch, stopped } = await fitHead({
    label: 'train-paddle-head', model, order: Array.from({ length: rows.train.count }, (_, i) => i),
    epochs: cfg.epochs, batchSize: cfg.batchSize, lr: cfg.lr, lrFinal: cfg.lrFinal, seed: cfg.seed, log: opts.log,
    loss: (idx) => {
      const xs = new Float32Array(idx.length * width);
      idx.forEach((r, k) => xs.set(rows.train.features.subarray(r * width, (r + 1) * width), k * width));
      const y = tf.oneHot(tf.tensor1d(idx.map((r) => rows.train.travel[r]), 'int32'), TRAVEL_CLASSES);
      return tf.losses.softmaxCrossEntropy(y, model.apply(tf.tensor2d(xs, [idx.length, width])) as tf.Tensor2D) as tf.Scalar;
    },
    validate: (epoch, trainLoss) => {
      const val = scoreRows(PaddleHead.fromModel(model, headConfig), valRows);
      run.logMetrics({ step: epoch, epoch, train_loss: trainLoss, val_exact: val.exact, val_moving_exact: val.movingExact });
      return { score: val.exact, line: `epoch ${epoch}: train loss ${trainLoss.toFixed(4)}, val exact ${pct(val.exact)} (moving ${pct(val.movingExact)})` };
    },
  });
  const head = PaddleHead.fromModel(model, headConfig);
  const scores = { train: scoreRows(head, rows.train), val: scoreRows(head, rows.val), test: scoreRows(head, rows.test) };
  log(`train-paddle-head: best epoch ${bestEpoch}; paddle steps exact: ${(['train', 'val', 'test'] as const).map((s) => `${s} ${pct(scores[s].exact)} of ${scores[s].steps} (moving ${pct(scores[s].movingExact)} of ${scores[s].moving})`).join(', ')}`);
  const meta = {
    kind: PADDLE_HEAD_KIND,
    config: headConfig,
    command: ['npm', 'run', 'stage:train-paddle-head', '--', ...process.argv.slice(3)],
    // The codes it reads are this world model's.
    data: { pairs: cfg.pairs, worldModel: pairs.worldModel },
    eval: { ...scores, bestEpoch },
    trainSeconds: run.elapsedSeconds(),
  };
  const checkpointDir = await saveHeadRun(run, model, meta, cfg.out, stopped);
  return { runDir: run.dir, checkpointDir, scores };
}

const pct = (v: number) => `${(100 * v).toFixed(2)}%`;
