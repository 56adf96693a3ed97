// Stage 3: train the latent action model (VQ-VAE) whose decoder is the world model.
// One readable loop; every hyperparameter in TrainLatentConfig below.
//
// Per step: sample windows (K context frames + next) from the train episodes; the encoder maps
// (last context frames, next) to z, quantized to one of N codes (EMA codebook, straight-through
// gradient, commitment loss); the decoder predicts the next frame's colour class per pixel from the K
// context frames and the code. Loss: per-pixel cross-entropy where pixels that change against the last
// context frame weigh `dynamicWeight` times more (otherwise copying the last frame is nearly optimal).
// Some windows get imperfect context frames (painted mistakes, or the model's own rollout into the last
// ones) with the real next frame as target, so the decoder learns to repair what it gets wrong in play.
import * as tf from '@tensorflow/tfjs';
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { DEFAULT_LATENT_ACTION_CONFIG, type LatentActionConfig, LatentActionModel, savedLatentActionConfig } from '../models/latent-action';
import { DataParallel } from '../models/data-parallel';
import { EmaCodebook, codeUsage, kmeans } from '../models/vq';
import { initBackend, type BackendPreference } from '../models/backend';
import { narrowRefine } from '../models/narrow-refine';
import { loadTensorGroup, readCheckpointMeta, restoreOptimizerState, optimizerState, tensorRecord } from '../models/checkpoint';
import { classesToRgb, FRAME_HEIGHT, FRAME_WIDTH } from './frame-classes';
import { buildLatentDataset, describeDataset, type LatentDataset, type Window } from './latent-dataset';
import { createRun, openRun, readMetrics, type Run } from './run';
import { Progress, onInterrupt } from './progress';
import { Prng, type PrngState } from './prng';
import { writeImageGridPng, writeLineChartPng } from './plot';
import { saveWorldModel, WorldModel } from './world-model';
import { evalWorldModel, formatEvalTable, type EvalWorldModelResult } from './eval-world-model';
import { UserError } from './errors';
import { BALL_ROWS, findBall } from './world-model-metrics';
import { corruptContext, withOwnPredictions } from './context-noise';
import { weightedWindowTree, type WindowWeights } from './window-sampler';
import { decodeFrames, SCORE_ROWS } from './breakout-decode';
import type { SumTree } from './sum-tree';
import { disposeBatch, type LatentReplicaOptions, type LatentShard, latentReplica, packBatchOf, toTensors, weightedCrossEntropy, windowWeight } from './latent-batch';

export interface TrainLatentConfig {
  /** Recording folders (or episode sidecars) to train on. */
  data: string[];
  /** Use at most this many episodes per recording folder (0 = all). */
  maxEpisodes: number;
  cacheDir: string;
  valShare: number;
  testShare: number;
  model: LatentActionConfig;
  batchSize: number;
  /** Optimizer steps in total (a resumed run continues to this count). */
  steps: number;
  /** Stop after this many minutes of training (0 = no limit); the last checkpoint is kept. */
  timeLimitMin: number;
  lr: number;
  lrFinal: number;
  warmupSteps: number;
  /** Loss weight of a pixel that changes between the last context frame and the target (others weigh 1). */
  dynamicWeight: number;
  /**
   * Share of training windows whose context frames get painted mistakes (pipeline/context-noise.ts), so
   * the decoder learns to repair its own errors instead of letting them grow during play.
   */
  contextNoise: number;
  /** Share of training windows whose last context frames are the model's own rollout into them. */
  selfConditioning: number;
  /** Longest such rollout, in steps: each batch draws its length from 1..selfFedSteps (errors compound over steps in play). */
  selfFedSteps: number;
  /**
   * Windows whose ball jumps FAST_BALL_PX or more in the step are drawn this many times as often as the
   * rest (1 = uniform): a late game's fast ball is rare in recordings (pipeline/window-sampler.ts).
   */
  fastBallWeight: number;
  /** Windows where a digit (score or lives) changes are drawn this many times as often (pipeline/window-sampler.ts). */
  scoreChangeWeight: number;
  /** Windows where the ball turns (off the paddle, a wall or the bricks) are drawn this many times as often (pipeline/window-sampler.ts). */
  bounceWeight: number;
  /** Start from this world-model checkpoint's weights and codebook ('' = from scratch; no warm-up then). */
  init: string;
  /**
   * With `init`: train the decoder only; the encoder and codebook stay as loaded, so every code keeps
   * its meaning and an action map made for the init checkpoint still holds.
   */
  freezeEncoder: boolean;
  /**
   * For this many steps the decoder gets the encoder's continuous output instead of a code, so the
   * encoder learns what the decoder needs before anything is quantized; then the codebook starts at
   * the k-means centres of recent encoder outputs.
   */
  continuousWarmupSteps: number;
  /** Dead-code restarts stop after this share of the steps, so late codes keep their meaning (none with `init`: its codes have meanings already). */
  restartUntil: number;
  /** Commitment loss weight (pulls the encoder output toward its code). */
  commitment: number;
  emaDecay: number;
  /** Codes with an EMA share below deadShare/N are restarted onto encoder outputs. */
  deadShare: number;
  restartEvery: number;
  logEvery: number;
  evalEvery: number;
  /** Validation windows scored at each evaluation (spread evenly over the val split). */
  valWindows: number;
  gridEvery: number;
  checkpointEvery: number;
  /** At the end, eval-world-model (reconstruct) on this many test-split episodes with the best checkpoint. */
  finalEvalEpisodes: number;
  finalEvalHorizon: number;
  finalEvalStride: number;
  seed: number;
  backend: BackendPreference;
  /**
   * Replicas that share each batch (the main thread + workers - 1 worker threads): single-threaded
   * WebAssembly uses one core per replica. 1 on native TensorFlow, which uses every core itself.
   */
  workers: number;
}

export const DEFAULT_TRAIN_LATENT_CONFIG: TrainLatentConfig = {
  data: ['data/recordings/random'],
  maxEpisodes: 0,
  cacheDir: 'data/cache/latent-frames',
  valShare: 0.1,
  testShare: 0.1,
  model: DEFAULT_LATENT_ACTION_CONFIG,
  batchSize: 16,
  steps: 4000,
  timeLimitMin: 0,
  lr: 2e-3,
  lrFinal: 1e-4,
  warmupSteps: 100,
  dynamicWeight: 30,
  contextNoise: 0.2,
  selfConditioning: 0.3,
  selfFedSteps: 1,
  fastBallWeight: 1,
  scoreChangeWeight: 1,
  bounceWeight: 1,
  init: '',
  freezeEncoder: false,
  continuousWarmupSteps: 200,
  restartUntil: 0.6,
  commitment: 0.25,
  emaDecay: 0.95,
  deadShare: 0.25,
  restartEvery: 25,
  logEvery: 10,
  evalEvery: 200,
  valWindows: 192,
  gridEvery: 200,
  checkpointEvery: 100,
  finalEvalEpisodes: 2,
  finalEvalHorizon: 10,
  finalEvalStride: 10,
  seed: 1,
  backend: 'auto',
  workers: 1,
};

export interface TrainLatentOptions {
  config: TrainLatentConfig;
  /** Run folder name (data/runs/train-latent-NAME); default a timestamp. */
  name?: string;
  /** Continue the run in this folder from its last checkpoint. */
  resume?: string;
  /** Parent of new run folders (default data/runs). */
  root?: string;
  /** With resume: train to this many steps in total instead of the run's configured count. */
  steps?: number;
  /** With resume: share batches among this many replicas instead of the run's configured count. */
  workers?: number;
  /** A dataset built by the caller (tests); default: built from config.data. */
  dataset?: LatentDataset;
  log?: (line: string) => void;
  wandb?: boolean;
}

export interface TrainLatentResult {
  runDir: string;
  step: number;
  best: ValScores | null;
  stopped: boolean;
}

export interface ValScores {
  step: number;
  loss: number;
  /** Share of pixels changing (in truth or prediction, against the last context frame) predicted exactly. */
  dynamicAccuracy: number;
  /** Ball within 4 px (frames where truth or prediction has one). */
  ballWithin4: number | null;
  codesUsed: number;
  perplexity: number;
}

/**
 * Whether frames are the Atari screen: ball rows, ball placement and the real-game evaluation need its
 * geometry (tests train on smaller frames).
 */
function isAtariScreen(cfg: Pick<LatentActionConfig, 'height' | 'width'>): boolean {
  return cfg.height === FRAME_HEIGHT && cfg.width === FRAME_WIDTH;
}

/** Linear warm-up, then cosine decay from lr to lrFinal. */
export function learningRate(cfg: Pick<TrainLatentConfig, 'lr' | 'lrFinal' | 'warmupSteps' | 'steps'>, step: number): number {
  if (step < cfg.warmupSteps) return (cfg.lr * (step + 1)) / cfg.warmupSteps;
  const t = Math.min(1, (step - cfg.warmupSteps) / Math.max(1, cfg.steps - cfg.warmupSteps));
  return cfg.lrFinal + 0.5 * (cfg.lr - cfg.lrFinal) * (1 + Math.cos(Math.PI * t));
}

/** Dynamic-pixel accuracy on class frames (a class match is an exact colour match). */
export function classDynamicAccuracy(pred: Uint8Array, truth: Uint8Array, last: Uint8Array): { correct: number; total: number } {
  let correct = 0, total = 0;
  for (let p = 0; p < truth.length; p++) {
    if (truth[p] === last[p] && pred[p] === last[p]) continue;
    total++;
    if (pred[p] === truth[p]) correct++;
  }
  return { correct, total };
}

interface TrainState {
  step: number;
  prng: PrngState;
  ema: { emaCounts: number[]; emaSums: number[] };
  best: ValScores | null;
  trainSeconds: number;
}

export async function trainLatent(opts: TrainLatentOptions): Promise<TrainLatentResult> {
  const log = opts.log ?? ((l: string) => console.log(l));
  // Check the inputs before a run folder is made, so bad input leaves nothing behind.
  if (!opts.dataset && !opts.resume) {
    for (const d of opts.config.data) if (!existsSync(d)) throw new UserError(`--data ${d}: no such recording folder or episode (record one with npm run stage:record)`);
  }
  if (opts.resume && !existsSync(join(opts.resume, 'config.json'))) throw new UserError(`--resume ${opts.resume}: not a train-latent run folder`);
  const run: Run<TrainLatentConfig & { backendInfo?: unknown }> = opts.resume
    ? await openRun(opts.resume, { wandb: opts.wandb })
    : await createRun({ stage: 'train-latent', name: opts.name, root: opts.root, config: opts.config, wandb: opts.wandb });
  const cfg = opts.resume
    ? { ...DEFAULT_TRAIN_LATENT_CONFIG, ...run.config, model: savedLatentActionConfig(run.config.model), ...(opts.steps ? { steps: opts.steps } : {}), ...(opts.workers ? { workers: opts.workers } : {}) }
    : opts.config;
  const backendInfo = await initBackend(cfg.backend, { log });
  const mcfg = cfg.model;
  log(`train-latent: run folder ${run.dir}`);

  const ds = opts.dataset ?? (await buildLatentDataset({
    recordings: cfg.data, cacheDir: cfg.cacheDir, contextFrames: mcfg.contextFrames,
    valShare: cfg.valShare, testShare: cfg.testShare, maxEpisodes: cfg.maxEpisodes, log,
  }));
  if (ds.contextFrames !== mcfg.contextFrames) throw new Error('dataset context frames differ from the model config');
  const train = ds.windows('train');
  let val = ds.windows('val');
  if (train.length === 0) throw new UserError(`no training windows in ${cfg.data.join(', ')} (record more episodes)`);
  if (val.length === 0) { log('train-latent: no validation episodes; validating on training windows'); val = train; }
  const valPick = Array.from({ length: Math.min(cfg.valWindows, val.length) }, (_, i) => val[Math.floor((i * val.length) / Math.min(cfg.valWindows, val.length))]);
  const gridPick = [0, 1, 2, 3, 4, 5].map((i) => valPick[Math.floor((i * valPick.length) / 6)]).filter((w) => w !== undefined);
  const summary = ds.summary();
  log(`train-latent: episodes train ${summary.train.episodes} / val ${summary.val.episodes} / test ${summary.test.episodes}; windows train ${train.length}, val ${val.length}`);
  const weights: WindowWeights = { fastBall: cfg.fastBallWeight, scoreChange: cfg.scoreChangeWeight, bounce: cfg.bounceWeight };
  const sampler = Object.values(weights).some((w) => w !== 1) && isAtariScreen(mcfg) ? weightedSampler(ds, train, weights, log) : null;
  if (!opts.dataset) await run.writeManifest(cfg.data.map((p, i) => ({ role: `recording-${i}`, path: p })), { dataset: describeDataset(ds, cfg.data) });

  const model = new LatentActionModel(mcfg, cfg.seed);
  const ema = new EmaCodebook({ size: mcfg.codebookSize, dim: mcfg.codeDim, decay: cfg.emaDecay, deadShare: cfg.deadShare }, model.codebook);
  const optimizer = tf.train.adam(cfg.lr);
  const setLr = (lr: number) => { (optimizer as unknown as { learningRate: number }).learningRate = lr; };
  const rng = new Prng(cfg.seed);
  const vars = [...model.params.values()];
  if (cfg.freezeEncoder && !cfg.init) throw new UserError('--freeze-encoder needs --init (a trained encoder to keep)');
  let state: TrainState = { step: 0, prng: rng.getState(), ema: ema.state(), best: null, trainSeconds: 0 };

  const loadWeights = (dir: string, asInit = false): void => {
    const loaded = tensorRecord(loadTensorGroup(dir, 'weights'));
    // --init from a model with a wider refine layer: start from its strongest channels.
    const wider = asInit && (loaded['dec/refine/kernel']?.shape[3] ?? 0) > mcfg.refineChannels;
    const named = wider ? narrowRefine(loaded, mcfg.refineChannels) : loaded;
    // --init from a model without the 1/16 or the global path: it is added at zero output (the same function to start).
    const added = model.setWeights(named, { grow: asInit });
    new Set([...Object.values(loaded), ...Object.values(named)]).forEach((t) => t.dispose());
    if (wider) log(`train-latent: refine layer narrowed to its ${mcfg.refineChannels} strongest channels`);
    if (added.length > 0) log(`train-latent: new decoder tensors ${added.join(', ')}, starting at zero output`);
  };
  if (cfg.init && !opts.resume) {
    loadWeights(cfg.init, true);
    // The EMA's running sums must start at the loaded codes too, or its first update brings back random ones.
    ema.reinit(model.codebook, new Array(mcfg.codebookSize).fill(1));
    log(`train-latent: weights and codebook from ${cfg.init}${cfg.freezeEncoder ? ' (encoder and codebook frozen: decoder only)' : ''}`);
  }
  const lastDir = join(run.dir, 'checkpoint-last');
  const bestDir = join(run.dir, 'checkpoint-best');
  if (opts.resume && existsSync(lastDir)) {
    const meta = readCheckpointMeta(lastDir);
    loadWeights(lastDir);
    ema.codebook.set(model.codebook);
    state = meta.trainState as TrainState;
    ema.loadState(state.ema);
    rng.setState(state.prng);
    // Adam's slots exist only after a first step: take one with zero gradients' worth of learning rate.
    setLr(0);
    optimizer.minimize(() => tf.sum(tf.stack(vars.map((v) => tf.sum(v).mul(0)))) as tf.Scalar, false, vars);
    await restoreOptimizerState(optimizer, loadTensorGroup(lastDir, 'optimizer'));
    log(`train-latent: resumed at step ${state.step}`);
  }
  model.codebook = ema.codebook; // the EMA owns the codebook array from here on
  const workers = Math.max(1, Math.min(cfg.workers ?? 1, cfg.batchSize));
  const replicaOptions: LatentReplicaOptions = { model: mcfg, dynamicWeight: cfg.dynamicWeight, commitment: cfg.commitment, freezeEncoder: cfg.freezeEncoder };
  const parallel = await DataParallel.start(latentReplica(model, replicaOptions), { module: new URL('./latent-batch.ts', import.meta.url), options: replicaOptions }, workers, cfg.backend);
  if (workers > 1) log(`train-latent: ${workers} replicas share each batch (main thread + ${workers - 1} worker threads)`);

  const saveLast = async (): Promise<void> => {
    state.prng = rng.getState();
    state.ema = ema.state();
    await saveWorldModel(lastDir, model, {
      step: state.step, command: process.argv.slice(1), data: { recordings: cfg.data, splits: summary }, trainState: state,
    }, await optimizerState(optimizer));
  };

  const ownModel = new WorldModel(model);
  const geometry = { height: mcfg.height, width: mcfg.width, minRow: isAtariScreen(mcfg) ? BALL_ROWS[0] : 0 };
  let stopping = false;
  const removeInterrupt = onInterrupt(() => { stopping = true; }, { exit: false });
  const progress = new Progress({ total: cfg.steps, label: 'train-latent', unit: 'step', initial: state.step });
  const started = Date.now();
  const secondsBefore = state.trainSeconds;
  const recent: Record<string, number[]> = {};
  const push = (k: string, v: number) => { (recent[k] ??= []).push(v); };
  const codesSeen: number[] = [];

  /** End of the continuous warm-up: the codebook starts at k-means centres of fresh encoder outputs (earlier outputs have drifted). */
  const startCodebook = (): void => {
    const parts: Float32Array[] = [];
    for (let i = 0; i < Math.max(1, Math.ceil((32 * mcfg.codebookSize) / cfg.batchSize)); i++) {
      const b = toTensors(packBatchOf(ds, Array.from({ length: cfg.batchSize }, () => train[rng.int(train.length)]), mcfg, cfg.dynamicWeight), mcfg);
      parts.push(tf.tidy(() => model.encodeContinuous(b.older, b.last, b.next).dataSync() as Float32Array));
      disposeBatch(b);
    }
    const all = concatFloats(parts);
    const km = kmeans(all, mcfg.codeDim, mcfg.codebookSize, 20, () => rng.next());
    ema.reinit(km.centres, km.counts);
    log(`step ${state.step + 1}: codebook set to k-means centres of ${all.length / mcfg.codeDim} encoder outputs (sizes ${km.counts.join(' ')})`);
  };

  const logVal = (scores: ValScores, what: string): void => {
    run.logMetrics({ ...scores, split: 'val' });
    progress.log(`${what}: val loss ${scores.loss.toFixed(4)}, dynamic accuracy ${scores.dynamicAccuracy.toFixed(3)}, ball<=4px ${scores.ballWithin4?.toFixed(3) ?? '-'}, codes used ${scores.codesUsed}, perplexity ${scores.perplexity.toFixed(2)}`);
  };
  // The figures a run from --init has to beat, on this run's validation windows.
  if (cfg.init && state.step === 0) logVal(validate(ds, valPick, model, cfg, 0), 'step 0 (the --init model)');

  try {
    while (state.step < cfg.steps && !stopping) {
      // A step is synchronous: let the event loop run so a Ctrl-C / SIGTERM is seen within one step.
      await new Promise((r) => setImmediate(r));
      if (stopping) break;
      if (cfg.timeLimitMin > 0 && secondsBefore + (Date.now() - started) / 1000 > cfg.timeLimitMin * 60) { log('train-latent: time limit reached'); break; }
      const t0 = performance.now();
      const picks = Array.from({ length: cfg.batchSize }, () => train[sampler ? sampler.find(rng.next() * sampler.total) : rng.int(train.length)]);
      let windows = picks.map((w) => ds.frames(w));
      const warm = !cfg.init && state.step < cfg.continuousWarmupSteps;
      // Imperfect context frames (pipeline/context-noise.ts); self-fed ones only once the decoder's
      // predictions mean something.
      const selfFed = warm ? [] : picks.flatMap((_, i) => (rng.next() < cfg.selfConditioning ? [i] : []));
      const rollout = 1 + rng.int(cfg.selfFedSteps);
      const fed = withOwnPredictions(ds, ownModel, selfFed.map((i) => picks[i]), selfFed.map((i) => windows[i]), rollout, isAtariScreen(mcfg) ? SCORE_ROWS : 0);
      selfFed.forEach((i, j) => { windows[i] = fed[j]; });
      windows = windows.map((w, i) => (!selfFed.includes(i) && rng.next() < cfg.contextNoise ? corruptContext(w, rng, geometry) : w));
      const batchWeight = windows.reduce((s, w) => s + windowWeight(w, cfg.dynamicWeight), 0);
      const shards: LatentShard[] = Array.from({ length: workers }, (_, i) => ({
        windows: windows.slice(Math.floor((i * windows.length) / workers), Math.floor(((i + 1) * windows.length) / workers)),
        warm, batchWeight, batchWindows: windows.length,
      }));
      const tData = performance.now() - t0;
      const lr = learningRate(cfg, state.step);
      setLr(lr);
      const { grads, results } = await parallel.gradients(shards);
      optimizer.applyGradients(Object.entries(grads).map(([name, tensor]) => ({ name, tensor }))); // none for a frozen encoder
      Object.values(grads).forEach((g) => g.dispose());
      const zData = concatFloats(results.map((r) => r.aux.z));
      const codes = Int32Array.from(results.flatMap((r) => [...r.aux.codes]));
      const ceValue = results.reduce((s, r) => s + r.aux.ce, 0);
      const commitValue = results.reduce((s, r) => s + r.aux.commit, 0);
      let restarted: number[] = [];
      if (warm) {
        if (state.step + 1 === cfg.continuousWarmupSteps) startCodebook();
      } else if (!cfg.freezeEncoder) {
        ema.update(zData, codes);
        if (!cfg.init && (state.step + 1) % cfg.restartEvery === 0 && state.step < cfg.restartUntil * cfg.steps) restarted = ema.restartDead(zData, codes, () => rng.next());
      }
      state.step++;
      const usage = codeUsage(codes, mcfg.codebookSize);
      codesSeen.push(...codes);
      push('ce', ceValue); push('commit', commitValue); push('perplexity', usage.perplexity);
      push('step_ms', performance.now() - t0); push('data_ms', tData);
      if (restarted.length) log(`step ${state.step}: restarted dead codes ${restarted.join(', ')}`);

      if (state.step % cfg.logEvery === 0) {
        const mean = (k: string) => { const a = recent[k] ?? []; return a.reduce((x, y) => x + y, 0) / Math.max(1, a.length); };
        const used = codeUsage(codesSeen, mcfg.codebookSize);
        run.logMetrics({
          step: state.step, split: 'train', lr, ce: mean('ce'), commit: mean('commit'), batch_perplexity: mean('perplexity'),
          window_perplexity: used.perplexity, codes_used: used.used, code_counts: used.counts,
          step_ms: mean('step_ms'), data_ms: mean('data_ms'), restarts: restarted.length,
        });
        progress.update(state.step, { ce: mean('ce'), ppl: used.perplexity, used: used.used, ms: Math.round(mean('step_ms')) });
        for (const k of Object.keys(recent)) recent[k] = [];
        codesSeen.length = 0;
      }
      if (state.step % cfg.evalEvery === 0 || state.step === cfg.steps) {
        const scores = validate(ds, valPick, model, cfg, state.step);
        logVal(scores, `step ${state.step}`);
        if (!state.best || scores.dynamicAccuracy > state.best.dynamicAccuracy) {
          state.best = scores;
          state.trainSeconds = secondsBefore + (Date.now() - started) / 1000;
          await saveWorldModel(bestDir, model, {
            step: state.step, command: process.argv.slice(1), data: { recordings: cfg.data, splits: summary },
            trainingSeconds: state.trainSeconds, backend: backendInfo.name, val: scores,
          });
        }
      }
      if (state.step % cfg.gridEvery === 0) await writeGrid(join(run.dir, `samples-${String(state.step).padStart(6, '0')}.png`), ds, gridPick, model, cfg);
      if (state.step % cfg.checkpointEvery === 0) {
        state.trainSeconds = secondsBefore + (Date.now() - started) / 1000;
        await saveLast();
      }
    }
    state.trainSeconds = secondsBefore + (Date.now() - started) / 1000;
    await saveLast();
    progress.finish();
    await writeCurves(run);
    const testEval = !stopping && existsSync(bestDir) ? await evalTestSplit(ds, bestDir, cfg, log) : [];
    run.writeSummary({ step: state.step, best: state.best, trainSeconds: state.trainSeconds, backend: backendInfo.name, stopped: stopping, splits: summary, testEval });
  } finally {
    removeInterrupt();
    await parallel.close();
    await run.close();
    if (!opts.dataset) ds.close();
  }
  model.dispose();
  optimizer.dispose();
  return { runDir: run.dir, step: state.step, best: state.best, stopped: stopping };
}

/** A sum tree over the training windows that draws the fast-ball, digit-change and bounce ones as often as their weights say. */
function weightedSampler(ds: LatentDataset, train: Window[], weights: WindowWeights, log: (l: string) => void): SumTree {
  const t0 = Date.now();
  const { tree, counts } = weightedWindowTree(ds, train, weights);
  const share = (n: number) => `${((100 * n) / train.length).toFixed(1)}%`;
  const what = { fastBall: 'have a fast ball', scoreChange: 'a digit that changes', bounce: 'a bounce' } as const;
  const parts = (Object.keys(what) as (keyof WindowWeights)[]).map((k) => `${counts[k]} (${share(counts[k])}) ${what[k]} (drawn ${weights[k]}x)`);
  log(`train-latent: of ${train.length} training windows, ${parts.join(', ')}; scan ${((Date.now() - t0) / 1000).toFixed(0)} s`);
  return tree;
}

/** The yardstick (eval-world-model, reconstruct) on a few test-split episodes, with the best checkpoint. */
async function evalTestSplit(ds: LatentDataset, bestDir: string, cfg: TrainLatentConfig, log: (l: string) => void): Promise<EvalWorldModelResult[]> {
  if (!isAtariScreen(cfg.model)) return [];
  const wm = await WorldModel.load(bestDir);
  const out: EvalWorldModelResult[] = [];
  const episodes = ds.episodes.map((e, i) => ({ e, i })).filter(({ e }) => e.split === 'test').slice(0, cfg.finalEvalEpisodes);
  for (const { e, i } of episodes) {
    const frames = Array.from({ length: e.frames }, (_, k) => classesToRgb(ds.store.read(i, k)));
    const r = await evalWorldModel(wm, { source: e.id, frames, actions: e.actions, resets: e.resets }, { horizon: cfg.finalEvalHorizon, stride: cfg.finalEvalStride, report: [1, 5, 10, 30] });
    log(formatEvalTable(r));
    out.push(r);
  }
  wm.model.dispose();
  return out;
}

/** Score the model on validation windows: loss, class-exact dynamic accuracy, ball placement, code usage. */
export function validate(ds: LatentDataset, windows: Window[], model: LatentActionModel, cfg: TrainLatentConfig, step: number): ValScores {
  let lossSum = 0, batches = 0, correct = 0, total = 0, ballJudged = 0, ballNear = 0;
  const native = isAtariScreen(model.config);
  const codes: number[] = [];
  for (let i = 0; i < windows.length; i += cfg.batchSize) {
    const ws = windows.slice(i, i + cfg.batchSize);
    const packed = packBatchOf(ds, ws, model.config, cfg.dynamicWeight);
    const t = toTensors(packed, model.config);
    const { loss, preds, batchCodes } = tf.tidy(() => {
      const z = model.encodeContinuous(t.older, t.last, t.next);
      const c = model.nearestCodes(z);
      const logits = model.decode(t.older, t.last, model.codeVectors(c));
      const l = weightedCrossEntropy(logits, t.target, t.weights, model.config.numClasses).dataSync()[0];
      return { loss: l, preds: decodeFrames(model, model.keepBiased(logits, t.last), packed.contextFrames), batchCodes: c };
    });
    disposeBatch(t);
    lossSum += loss; batches++;
    codes.push(...batchCodes);
    preds.forEach((p, j) => {
      const d = classDynamicAccuracy(p, packed.targetFrames[j], packed.lastFrames[j]);
      correct += d.correct; total += d.total;
      if (!native) return;
      const bt = findBall(classesToRgb(packed.targetFrames[j])), bp = findBall(classesToRgb(p));
      if (bt || bp) { ballJudged++; if (bt && bp && Math.hypot(bt.x - bp.x, bt.y - bp.y) <= 4) ballNear++; }
    });
  }
  const usage = codeUsage(codes, model.config.codebookSize);
  return {
    step,
    loss: lossSum / Math.max(1, batches),
    dynamicAccuracy: total === 0 ? 1 : correct / total,
    ballWithin4: ballJudged === 0 ? null : ballNear / ballJudged,
    codesUsed: usage.used,
    perplexity: usage.perplexity,
  };
}

/** Red where the prediction is wrong, the true frame dimmed elsewhere. */
export function differenceFrame(pred: Uint8Array, truth: Uint8Array): Uint8Array {
  const out = new Uint8Array(truth.length * 3);
  const rgb = classesToRgb(truth);
  for (let p = 0; p < truth.length; p++) {
    if (pred[p] !== truth[p]) { out[3 * p] = 255; out[3 * p + 1] = 255; out[3 * p + 2] = 255; }
    else { out[3 * p] = rgb[3 * p] >> 2; out[3 * p + 1] = rgb[3 * p + 1] >> 2; out[3 * p + 2] = rgb[3 * p + 2] >> 2; }
  }
  return out;
}

async function writeGrid(path: string, ds: LatentDataset, windows: Window[], model: LatentActionModel, cfg: TrainLatentConfig): Promise<void> {
  if (windows.length === 0) return;
  const packed = packBatchOf(ds, windows, model.config, cfg.dynamicWeight);
  const t = toTensors(packed, model.config);
  const { preds, codes } = tf.tidy(() => {
    const c = model.nearestCodes(model.encodeContinuous(t.older, t.last, t.next));
    return { preds: decodeFrames(model, model.keepBiased(model.decode(t.older, t.last, model.codeVectors(c)), t.last), packed.contextFrames), codes: c };
  });
  disposeBatch(t);
  const K = model.config.contextFrames;
  const rows = preds.map((p, i) => [
    ...packed.contextFrames[i].map((f) => classesToRgb(f)),
    classesToRgb(packed.targetFrames[i]),
    classesToRgb(p),
    differenceFrame(p, packed.targetFrames[i]),
  ]);
  const columnLabels = [...Array.from({ length: K }, (_, k) => `context t-${K - k}`), 'real next', 'predicted', 'difference'];
  await writeImageGridPng(path, rows, { columnLabels, rowLabels: Array.from(codes, (c) => `code ${c}`), width: model.config.width, height: model.config.height });
}

async function writeCurves(run: Run<unknown>): Promise<void> {
  const lines = readMetrics(run.dir);
  const trainLines = lines.filter((l) => l.split === 'train');
  const valLines = lines.filter((l) => l.split === 'val');
  if (trainLines.length < 2) return;
  await writeLineChartPng(run.path('loss.png'), [
    { name: 'train ce', points: trainLines.map((l) => [l.step, Number(l.ce)] as [number, number]) },
    ...(valLines.length ? [{ name: 'val loss', points: valLines.map((l) => [l.step, Number(l.loss)] as [number, number]) }] : []),
  ], { title: 'latent action model loss', xLabel: 'step' });
  if (valLines.length >= 2) {
    await writeLineChartPng(run.path('val-dynamic-accuracy.png'), [
      { name: 'dynamic accuracy', points: valLines.map((l) => [l.step, Number(l.dynamicAccuracy)] as [number, number]) },
    ], { title: 'validation dynamic-pixel accuracy', xLabel: 'step' });
  }
}

function concatFloats(parts: Float32Array[]): Float32Array {
  const out = new Float32Array(parts.reduce((n, p) => n + p.length, 0));
  let off = 0;
  for (const p of parts) { out.set(p, off); off += p.length; }
  return out;
}
