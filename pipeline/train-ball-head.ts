// Stage 3b: train the ball head (models/ball-head.ts), a small MLP from what the context frames show
// of the ball, the paddle and the bricks to the ball's next step. One readable loop; every
// hyperparameter in TrainBallHeadConfig below.
//
// Rows come straight from recordings: every step whose last two context frames and target frame show
// the ball, its step (dx, dy) as two class labels. Episodes are split by the same hash as the world
// model's dataset, so its val and test games are held out here too. Per epoch: shuffle, Adam on the
// two softmax cross-entropies; keep the weights with the best val share of steps within 4 px.
import * as tf from '@tensorflow/tfjs';
import { BALL_FEATURES, BALL_HEAD_KIND, BallHead, ballFeatures, buildBallHeadModel, DEFAULT_BALL_HEAD_CONFIG, MAX_DX, MAX_DY, stepClasses, type BallHeadConfig } from '../models/ball-head';
import { initBackend, type BackendPreference } from '../models/backend';
import { saveCheckpoint } from '../models/checkpoint';
import { ballFlight, fieldBall, lastPaddle } from './breakout-decode';
import { UserError } from './errors';
import { buildLatentDataset, type Split } from './latent-dataset';
import { Progress, onInterrupt } from './progress';
import { Prng } from './prng';
import { createRun } from './run';

export interface TrainBallHeadConfig {
  /** Recording folders. */
  data: string[];
  model: BallHeadConfig;
  /** Context frames the head reads (the world model's K; it uses the last three at most). */
  contextFrames: number;
  /** Where decoded class frames are cached (shared with stage:train-latent). */
  cacheDir: string;
  /** Shares of episodes held out, split by the world model's episode hash (pipeline/latent-dataset.ts). */
  valShare: number;
  testShare: number;
  epochs: number;
  /** Each step whose next place the ball's flight does not decide (a bounce: pipeline/breakout-decode.ts ballFlight) is seen this many times an epoch. */
  bounceWeight: number;
  batchSize: number;
  /** Adam's learning rate, from `lr` down to `lrFinal` on a cosine over the whole run. */
  lr: number;
  lrFinal: number;
  seed: number;
  backend: BackendPreference;
  /** Also save the checkpoint here (e.g. checkpoints/ball-head); null = only in the run folder. */
  out: string | null;
}

export const DEFAULT_TRAIN_BALL_HEAD_CONFIG: TrainBallHeadConfig = {
  data: [],
  model: DEFAULT_BALL_HEAD_CONFIG,
  contextFrames: 3,
  cacheDir: 'data/cache/latent-frames',
  valShare: 0.1,
  testShare: 0.1,
  epochs: 30,
  bounceWeight: 1,
  batchSize: 256,
  lr: 1e-3,
  lrFinal: 1e-4,
  seed: 1,
  backend: 'auto',
  out: null,
};

/** Ball steps of one split: features (rows x BALL_FEATURES) and class labels. */
export interface BallRows {
  features: Float32Array;
  dx: Int32Array;
  dy: Int32Array;
  /** 1 where the ball's flight decides the next place (both coordinates). */
  inFlight: Uint8Array;
  count: number;
}

interface BallStep { features: Float32Array; dx: number; dy: number; inFlight: boolean }

/** The ball steps of a game's class frames (in order): each step whose context and target show the ball. */
export function ballSteps(frames: readonly Uint8Array[], contextFrames: number): BallStep[] {
  const out: BallStep[] = [];
  const balls = frames.map(fieldBall);
  for (let t = contextFrames; t < frames.length; t++) {
    const target = balls[t];
    if (target === null) continue;
    const features = ballFeatures(frames.slice(t - contextFrames, t), balls.slice(t - contextFrames, t), lastPaddle(frames[t])?.left ?? null);
    if (features === null) continue;
    const step = stepClasses(balls[t - 1]!, target);
    const flight = ballFlight(balls.slice(t - contextFrames, t));
    if (step !== null) out.push({ features, ...step, inFlight: flight.x !== null && flight.y !== null });
  }
  return out;
}

function packRows(steps: BallStep[]): BallRows {
  const n = steps.length;
  const rows: BallRows = { features: new Float32Array(n * BALL_FEATURES), dx: new Int32Array(n), dy: new Int32Array(n), inFlight: new Uint8Array(n), count: n };
  steps.forEach((s, i) => { rows.features.set(s.features, i * BALL_FEATURES); rows.dx[i] = s.dx; rows.dy[i] = s.dy; rows.inFlight[i] = s.inFlight ? 1 : 0; });
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

/** Figures of the head on one split: exact steps, steps within 4 px (the eval's "ball within 4 px"), and those of the bounces alone (steps the flight does not decide). */
export interface BallScores { steps: number; exact: number; within4: number; bounces: number; bounceWithin4: number }

export function scoreRows(head: BallHead, rows: BallRows): BallScores {
  let exact = 0, within4 = 0, bounces = 0, bounceWithin4 = 0;
  for (let i = 0; i < rows.count; i++) {
    const out = head.logits(rows.features.subarray(i * BALL_FEATURES, (i + 1) * BALL_FEATURES));
    const dx = argmax(out, 0, 2 * MAX_DX + 1), dy = argmax(out, 2 * MAX_DX + 1, 2 * MAX_DY + 1);
    const near = Math.hypot(dx - rows.dx[i], dy - rows.dy[i]) <= 4;
    if (dx === rows.dx[i] && dy === rows.dy[i]) exact++;
    if (near) within4++;
    if (!rows.inFlight[i]) { bounces++; if (near) bounceWithin4++; }
  }
  const share = (k: number, n: number) => (n ? k / n : 0);
  return { steps: rows.count, exact: share(exact, rows.count), within4: share(within4, rows.count), bounces, bounceWithin4: share(bounceWithin4, bounces) };
}

function argmax(v: Float32Array, from: number, len: number): number {
  let best = from;
  for (let j = from + 1; j < from + len; j++) if (v[j] > v[best]) best = j;
  return best - from;
}

export interface TrainBallHeadOptions {
  config: TrainBallHeadConfig;
  name?: string;
  root?: string;
  log?: (line: string) => void;
}

export async function trainBallHead(opts: TrainBallHeadOptions): Promise<{ runDir: string; checkpointDir: string; scores: Record<Split, BallScores> }> {
  const cfg = opts.config;
  const log = opts.log ?? ((m: string) => console.log(m));
  if (cfg.data.length === 0) throw new UserError('train-ball-head: name the recordings with --data');
  const backendInfo = await initBackend(cfg.backend, { log });
  const run = await createRun({ stage: 'train-ball-head', name: opts.name, root: opts.root, config: { ...cfg, backendInfo } });
  log(`train-ball-head: run folder ${run.dir}`);
  await run.writeManifest(cfg.data.map((path) => ({ role: 'recording', path })));
  const rows = await readRows(cfg, log);
  if (rows.train.count === 0) throw new UserError('train-ball-head: the recordings hold no ball steps to train on');
  const valRows = rows.val.count ? rows.val : rows.train;

  const model = buildBallHeadModel(cfg.model);
  const optimizer = tf.train.adam(cfg.lr);
  const rng = new Prng(cfg.seed);
  const order = Array.from({ length: rows.train.count }, (_, i) => i).flatMap((i) => new Array<number>(rows.train.inFlight[i] ? 1 : cfg.bounceWeight).fill(i));
  let best: { epoch: number; within4: number; weights: tf.Tensor[] } | null = null;
  let stopping = false;
  const removeInterrupt = onInterrupt(() => { stopping = true; }, { exit: false });
  const totalSteps = cfg.epochs * Math.ceil(order.length / cfg.batchSize);
  const progress = new Progress({ total: totalSteps, label: 'train-ball-head', unit: 'step' });
  let step = 0;
  // Epoch lines through the caller's log when given, else printed above the progress bar.
  const say = opts.log ? log : (m: string) => progress.log(m);
  try {
    for (let epoch = 1; epoch <= cfg.epochs && !stopping; epoch++) {
      for (let i = order.length - 1; i > 0; i--) { const j = rng.int(i + 1); [order[i], order[j]] = [order[j], order[i]]; }
      let lossSum = 0;
      for (let b = 0; b < order.length && !stopping; b += cfg.batchSize) {
        const idx = order.slice(b, b + cfg.batchSize);
        (optimizer as unknown as { learningRate: number }).learningRate = cfg.lrFinal + ((cfg.lr - cfg.lrFinal) * (1 + Math.cos((Math.PI * step++) / totalSteps))) / 2;
        const xs = new Float32Array(idx.length * BALL_FEATURES);
        idx.forEach((r, k) => xs.set(rows.train.features.subarray(r * BALL_FEATURES, (r + 1) * BALL_FEATURES), k * BALL_FEATURES));
        const loss = tf.tidy(() => {
          const x = tf.tensor2d(xs, [idx.length, BALL_FEATURES]);
          const dx = tf.oneHot(tf.tensor1d(idx.map((r) => rows.train.dx[r]), 'int32'), 2 * MAX_DX + 1);
          const dy = tf.oneHot(tf.tensor1d(idx.map((r) => rows.train.dy[r]), 'int32'), 2 * MAX_DY + 1);
          return optimizer.minimize(() => {
            const out = model.apply(x) as tf.Tensor2D;
            const lx = tf.losses.softmaxCrossEntropy(dx, out.slice([0, 0], [-1, 2 * MAX_DX + 1]));
            const ly = tf.losses.softmaxCrossEntropy(dy, out.slice([0, 2 * MAX_DX + 1], [-1, -1]));
            return tf.add(lx, ly) as tf.Scalar;
          }, true)!;
        });
        lossSum += loss.dataSync()[0] * idx.length;
        loss.dispose();
        progress.tick();
        if ((b / cfg.batchSize) % 50 === 49) await new Promise((r) => setImmediate(r));
      }
      const val = scoreRows(BallHead.fromModel(model), valRows);
      run.logMetrics({ step: epoch, epoch, train_loss: lossSum / order.length, val_exact: val.exact, val_within4: val.within4, val_bounce_within4: val.bounceWithin4 });
      say(`epoch ${epoch}: train loss ${(lossSum / order.length).toFixed(4)}, val exact ${pct(val.exact)}, within 4 px ${pct(val.within4)} (bounces ${pct(val.bounceWithin4)})`);
      if (!best || val.within4 > best.within4) {
        best?.weights.forEach((w) => w.dispose());
        best = { epoch, within4: val.within4, weights: model.getWeights().map((w) => w.clone()) };
      }
    }
  } finally {
    progress.finish();
    removeInterrupt();
  }
  if (!best) throw new UserError('train-ball-head: stopped before the first epoch ended; nothing saved');
  model.setWeights(best.weights);
  best.weights.forEach((w) => w.dispose());
  const head = BallHead.fromModel(model);
  const scores = { train: scoreRows(head, rows.train), val: scoreRows(head, rows.val), test: scoreRows(head, rows.test) };
  log(`train-ball-head: best epoch ${best.epoch}; ball steps within 4 px: ${(['train', 'val', 'test'] as const).map((s) => `${s} ${pct(scores[s].within4)} (exact ${pct(scores[s].exact)}, ${scores[s].steps}; bounces ${pct(scores[s].bounceWithin4)} of ${scores[s].bounces})`).join(', ')}`);
  const meta = {
    kind: BALL_HEAD_KIND,
    config: cfg.model,
    command: ['npm', 'run', 'stage:train-ball-head', '--', ...process.argv.slice(3)],
    data: { recordings: cfg.data, contextFrames: cfg.contextFrames, valShare: cfg.valShare, testShare: cfg.testShare },
    eval: { ...scores, bestEpoch: best.epoch },
    trainSeconds: run.elapsedSeconds(),
  };
  const checkpointDir = run.path('checkpoint');
  await saveCheckpoint(checkpointDir, { models: { model }, meta });
  if (cfg.out) await saveCheckpoint(cfg.out, { models: { model }, meta });
  run.writeSummary({ ...meta.eval, checkpoint: checkpointDir, out: cfg.out, stopped: stopping });
  await run.close();
  optimizer.dispose();
  model.dispose();
  return { runDir: run.dir, checkpointDir, scores };
}

const pct = (v: number) => `${(100 * v).toFixed(2)}%`;
