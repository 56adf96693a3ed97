// Stage 3b: train the ball head (models/ball-head.ts), a small MLP from what the context frames show
// of the ball, the paddle and the bricks to the ball's next step. Every hyperparameter in
// TrainBallHeadConfig below.
//
// Rows come straight from recordings: every step whose last context frame shows the ball (and one of
// the two before it; red, or among the bricks in the row's colour: visibleBall), labelled with its step
// (dx, dy) as two classes, or as gone when the next frame shows no ball. Episodes are split by the same hash as the world model's dataset, so its val and
// test games are held out here too. Per epoch (pipeline/fit-head.ts): shuffle, Adam on the three
// softmax cross-entropies (the step's only where the ball stays); keep the weights with the best val
// share of steps right (within 4 px, or gone).
import { existsSync } from 'node:fs';
import * as tf from '@tensorflow/tfjs';
import {
  BALL_FEATURES, BALL_HEAD_KIND, BallHead, ballFeatures, buildBallHeadModel, DEFAULT_BALL_HEAD_CONFIG, DX_CLASSES, DY_CLASSES, readStep, stepClasses, type BallHeadConfig,
} from '../models/ball-head';
import { initBackend } from '../models/backend';
import { ballFlight, fieldBall, lastPaddle, visibleBall } from './breakout-decode';
import { UserError } from './errors';
import { fitHead, HEAD_TRAINING_DEFAULTS, saveHeadRun, type HeadTrainingConfig, type TrainHeadOptions } from './fit-head';
import { buildLatentDataset, type Split } from './latent-dataset';
import { createRun } from './run';

export interface TrainBallHeadConfig extends HeadTrainingConfig {
  /** Recording folders. */
  data: string[];
  model: BallHeadConfig;
  /** Context frames the head reads (the world model's K; it uses the last three at most). */
  contextFrames: number;
  /** Shares of episodes held out, split by the world model's episode hash (pipeline/latent-dataset.ts). */
  valShare: number;
  testShare: number;
  /** Each step whose next place the ball's flight does not decide (a bounce: pipeline/breakout-decode.ts ballFlight) is seen this many times an epoch. */
  bounceWeight: number;
}

export const DEFAULT_TRAIN_BALL_HEAD_CONFIG: TrainBallHeadConfig = {
  data: [],
  ...HEAD_TRAINING_DEFAULTS,
  model: DEFAULT_BALL_HEAD_CONFIG,
  contextFrames: 3,
  valShare: 0.1,
  testShare: 0.1,
  epochs: 30,
  bounceWeight: 1,
};

/** Ball steps of one split: features (rows x BALL_FEATURES) and class labels. */
export interface BallRows {
  features: Float32Array;
  /** Step classes (stepClasses), -1 where the ball is gone. */
  dx: Int32Array;
  dy: Int32Array;
  /** 1 where the next frame shows no red ball. */
  gone: Uint8Array;
  /** 1 where the ball's flight decides the next place (both coordinates). */
  inFlight: Uint8Array;
  count: number;
}

interface BallStep { features: Float32Array; dx: number; dy: number; gone: boolean; inFlight: boolean }

/** The ball steps of a game's class frames (in order): each step ballFeatures takes (and its step, or that it is gone). */
export function ballSteps(frames: readonly Uint8Array[], contextFrames: number): BallStep[] {
  const out: BallStep[] = [];
  const balls = frames.map(visibleBall);
  const red = frames.map(fieldBall);
  for (let t = contextFrames; t < frames.length; t++) {
    const features = ballFeatures(frames.slice(t - contextFrames, t), balls.slice(t - contextFrames, t), lastPaddle(frames[t])?.left ?? null);
    if (features === null) continue;
    const target = balls[t];
    const step = target === null ? { dx: -1, dy: -1 } : stepClasses(balls[t - 1]!, target);
    const flight = ballFlight(red.slice(t - contextFrames, t));
    if (step !== null) out.push({ features, ...step, gone: target === null, inFlight: flight.x !== null && flight.y !== null });
  }
  return out;
}

function packRows(steps: BallStep[]): BallRows {
  const n = steps.length;
  const rows: BallRows = { features: new Float32Array(n * BALL_FEATURES), dx: new Int32Array(n), dy: new Int32Array(n), gone: new Uint8Array(n), inFlight: new Uint8Array(n), count: n };
  steps.forEach((s, i) => {
    rows.features.set(s.features, i * BALL_FEATURES);
    rows.dx[i] = s.dx; rows.dy[i] = s.dy; rows.gone[i] = s.gone ? 1 : 0; rows.inFlight[i] = s.inFlight ? 1 : 0;
  });
  return rows;
}

/** The recordings' ball steps by split (the world model's dataset: same episode split, same frame cache). */
async function readRows(cfg: TrainBallHeadConfig, log: (m: string) => void): Promise<Record<Split, BallRows>> {
  const ds = await buildLatentDataset({ recordings: cfg.data, cacheDir: cfg.cacheDir, contextFrames: cfg.contextFrames, valShare: cfg.valShare, testShare: cfg.testShare, log });
  const steps: Record<Split, BallStep[]> = { train: [], val: [], test: [] };
  try {
    ds.episodes.forEach((ep, e) => {
      const frames = Array.from({ length: ep.frames }, (_, k) => ds.store.read(e, k));
      for (const s of ballSteps(frames, cfg.contextFrames)) steps[ep.split].push(s);
    });
  } finally {
    ds.close();
  }
  log(`train-ball-head: ${ds.episodes.length} episodes, ball steps: train ${steps.train.length}, val ${steps.val.length}, test ${steps.test.length}`);
  return { train: packRows(steps.train), val: packRows(steps.val), test: packRows(steps.test) };
}

/**
 * Figures of the head on one split: of the steps with a ball next, the share placed exactly and within
 * 4 px (the eval's "ball within 4 px"; a 'gone' counts as a miss), the same for the bounces alone (steps
 * the flight does not decide); of the steps whose ball is gone, the share called 'gone'; and `right`,
 * the share of all steps the head gets right (within 4 px, or gone).
 */
export interface BallScores { steps: number; exact: number; within4: number; bounces: number; bounceWithin4: number; goneSteps: number; goneCalled: number; right: number }

export function scoreRows(head: BallHead, rows: BallRows): BallScores {
  let steps = 0, exact = 0, within4 = 0, bounces = 0, bounceWithin4 = 0, goneSteps = 0, goneCalled = 0;
  for (let i = 0; i < rows.count; i++) {
    const step = readStep(head.logits(rows.features.subarray(i * BALL_FEATURES, (i + 1) * BALL_FEATURES)));
    if (rows.gone[i]) { goneSteps++; if (step === 'gone') goneCalled++; continue; }
    const near = step !== 'gone' && Math.hypot(step.dx - rows.dx[i], step.dy - rows.dy[i]) <= 4;
    steps++;
    if (step !== 'gone' && step.dx === rows.dx[i] && step.dy === rows.dy[i]) exact++;
    if (near) within4++;
    if (!rows.inFlight[i]) { bounces++; if (near) bounceWithin4++; }
  }
  const share = (k: number, n: number) => (n ? k / n : 0);
  return {
    steps, exact: share(exact, steps), within4: share(within4, steps), bounces, bounceWithin4: share(bounceWithin4, bounces),
    goneSteps, goneCalled: share(goneCalled, goneSteps), right: share(within4 + goneCalled, steps + goneSteps),
  };
}

export type TrainBallHeadOptions = TrainHeadOptions<TrainBallHeadConfig>;

export async function trainBallHead(opts: TrainBallHeadOptions): Promise<{ runDir: string; checkpointDir: string; scores: Record<Split, BallScores> }> {
  const cfg = opts.config;
  const log = opts.log ?? ((m: string) => console.log(m));
  if (cfg.data.length === 0) throw new UserError('train-ball-head: name the recordings with --data');
  for (const r of cfg.data) if (!existsSync(r)) throw new UserError(`--data ${r}: no such recording folder or episode`);
  const backendInfo = await initBackend(cfg.backend, { log });
  const run = await createRun({ stage: 'train-ball-head', name: opts.name, root: opts.root, config: { ...cfg, backendInfo } });
  log(`train-ball-head: run folder ${run.dir}`);
  await run.writeManifest(cfg.data.map((path) => ({ role: 'recording', path })));
  const rows = await readRows(cfg, log);
  if (rows.train.count === 0) throw new UserError('train-ball-head: the recordings hold no ball steps to train on');
  const valRows = rows.val.count ? rows.val : rows.train;

  const model = buildBallHeadModel(cfg.model, cfg.seed);
  const train = rows.train;
  const { bestEpoch, stopped } = await fitHead({
    label: 'train-ball-head', model,
    order: Array.from({ length: train.count }, (_, i) => i).flatMap((i) => new Array<number>(train.inFlight[i] ? 1 : cfg.bounceWeight).fill(i)),
    epochs: cfg.epochs, batchSize: cfg.batchSize, lr: cfg.lr, lrFinal: cfg.lrFinal, seed: cfg.seed, log: opts.log,
    loss: (idx) => {
      const xs = new Float32Array(idx.length * BALL_FEATURES);
      idx.forEach((r, k) => xs.set(train.features.subarray(r * BALL_FEATURES, (r + 1) * BALL_FEATURES), k * BALL_FEATURES));
      // A gone ball's step is no label (-1: an all-zero row, weighted 0).
      const dx = tf.oneHot(tf.tensor1d(idx.map((r) => train.dx[r]), 'int32'), DX_CLASSES);
      const dy = tf.oneHot(tf.tensor1d(idx.map((r) => train.dy[r]), 'int32'), DY_CLASSES);
      const gone = tf.oneHot(tf.tensor1d(idx.map((r) => train.gone[r]), 'int32'), 2);
      const hasStep = tf.tensor1d(idx.map((r) => 1 - train.gone[r]));
      const out = model.apply(tf.tensor2d(xs, [idx.length, BALL_FEATURES])) as tf.Tensor2D;
      const lx = tf.losses.softmaxCrossEntropy(dx, out.slice([0, 0], [-1, DX_CLASSES]), hasStep);
      const ly = tf.losses.softmaxCrossEntropy(dy, out.slice([0, DX_CLASSES], [-1, DY_CLASSES]), hasStep);
      const lg = tf.losses.softmaxCrossEntropy(gone, out.slice([0, DX_CLASSES + DY_CLASSES], [-1, 2]));
      return tf.addN([lx, ly, lg]) as tf.Scalar;
    },
    validate: (epoch, trainLoss) => {
      const val = scoreRows(BallHead.fromModel(model), valRows);
      run.logMetrics({ step: epoch, epoch, train_loss: trainLoss, val_exact: val.exact, val_within4: val.within4, val_bounce_within4: val.bounceWithin4, val_gone_called: val.goneCalled });
      return { score: val.right, line: `epoch ${epoch}: train loss ${trainLoss.toFixed(4)}, val exact ${pct(val.exact)}, within 4 px ${pct(val.within4)} (bounces ${pct(val.bounceWithin4)}), gone called ${pct(val.goneCalled)}` };
    },
  });
  const head = BallHead.fromModel(model);
  const scores = { train: scoreRows(head, rows.train), val: scoreRows(head, rows.val), test: scoreRows(head, rows.test) };
  log(`train-ball-head: best epoch ${bestEpoch}; ball steps within 4 px: ${(['train', 'val', 'test'] as const).map((s) => `${s} ${pct(scores[s].within4)} (exact ${pct(scores[s].exact)}, ${scores[s].steps}; bounces ${pct(scores[s].bounceWithin4)} of ${scores[s].bounces}; gone called ${pct(scores[s].goneCalled)} of ${scores[s].goneSteps})`).join(', ')}`);
  const meta = {
    kind: BALL_HEAD_KIND,
    config: cfg.model,
    command: ['npm', 'run', 'stage:train-ball-head', '--', ...process.argv.slice(3)],
    data: { recordings: cfg.data, contextFrames: cfg.contextFrames, valShare: cfg.valShare, testShare: cfg.testShare },
    eval: { ...scores, bestEpoch },
    trainSeconds: run.elapsedSeconds(),
  };
  const checkpointDir = await saveHeadRun(run, model, meta, cfg.out, stopped);
  return { runDir: run.dir, checkpointDir, scores };
}

const pct = (v: number) => `${(100 * v).toFixed(2)}%`;
