// Stage 1: a DQN agent that learns Breakout on the real game (our emulator).
//
// One config at the top (every hyperparameter, its default and its help text) and one readable loop:
//   act (epsilon-greedy / Boltzmann / RND explorer) -> the games step in a worker thread while the
//   learner does its updates -> store the step in prioritized replay -> log, plot, checkpoint.
// Double DQN, Huber loss, gradient-norm clipping, Adam, a hard-updated target network, proportional
// PER with annealed alpha/beta and importance weights, optional dueling head and n-step returns.
// Life loss ends an episode and rewards are clipped to their sign, both for learning only: scores
// in the logs are the game's real scores.
//
// --exploration rnd: an explorer Q-network learns from extrinsic + scaled intrinsic (RND novelty)
// reward and acts; an exploiter Q-network learns from extrinsic reward alone from the same replay
// buffer and is what the checkpoint's `model` (and so eval and recording) uses.
import * as tf from '@tensorflow/tfjs';
import { join } from 'node:path';
import { initBackend, type BackendPreference } from '../models/backend';
import { loadCheckpoint, optimizerState, restoreOptimizerState, saveCheckpoint, type NamedTensor } from '../models/checkpoint';
import { buildQNetwork, copyWeights, dqnUpdate, forward, type QNetworkConfig } from '../models/dqn';
import { buildRnd, rndNovelty, rndUpdate, type Rnd } from '../models/rnd';
import { findRom } from '../atari/roms';
import { byteNormLut, byteStats, clipReward, FrameStacker, type ByteNorm } from './atari-preprocessing';
import { LocalVecEnv, WorkerVecEnv, type VecEnv } from './dqn-env';
import { chooseAction, type DqnCheckpointMeta } from './dqn-policy';
import { UserError } from './errors';
import { writeLineChartPng } from './plot';
import { Prng, type PrngState } from './prng';
import { onInterrupt, Progress } from './progress';
import { ReplayBuffer } from './replay-buffer';
import { writeJsonAtomic } from './atomic';
import { createRun, openRun, readMetrics, type MetricsLine, type Run } from './run';

// ----------------------------------------------------------------------------------------------
// Config
// ----------------------------------------------------------------------------------------------

export interface TrainDqnConfig {
  name: string;
  seed: number;
  backend: BackendPreference;
  rom: string;
  // observation
  obs: 'frames' | 'ram';
  frameStack: number;
  ramNorm: 'standardize' | 'scale';
  normSteps: number;
  // game (ALE v5)
  frameSkip: number;
  stickyActions: number;
  maxEpisodeFrames: number;
  lifeLossTerminal: boolean;
  clipRewards: boolean;
  numEnvs: number;
  envWorker: boolean;
  // budget
  totalSteps: number;
  // network
  dueling: boolean;
  hidden: number[];
  // learning
  lr: number;
  adamEps: number;
  batchSize: number;
  gamma: number;
  nStep: number;
  double: boolean;
  huberDelta: number;
  maxGradNorm: number;
  learningStarts: number;
  replayRatio: number;
  targetUpdate: number;
  // replay
  bufferSize: number;
  prioritized: boolean;
  perAlphaStart: number;
  perAlphaEnd: number;
  perBetaStart: number;
  perBetaEnd: number;
  perEps: number;
  // exploration
  exploration: 'epsilon' | 'temperature' | 'rnd';
  epsStart: number;
  epsEnd: number;
  epsDecaySteps: number;
  tempStart: number;
  tempEnd: number;
  tempDecaySteps: number;
  rndCoef: number;
  rndLr: number;
  rndFeatures: number;
  // bookkeeping
  logEvery: number;
  plotEverySec: number;
  checkpointEvery: number;
  returnWindow: number;
}

export const DQN_DEFAULTS: TrainDqnConfig = {
  name: '',
  seed: 0,
  backend: 'auto',
  rom: '',
  obs: 'ram',
  frameStack: 4,
  ramNorm: 'standardize',
  normSteps: 5_000,
  frameSkip: 4,
  stickyActions: 0.25,
  maxEpisodeFrames: 108_000,
  lifeLossTerminal: true,
  clipRewards: true,
  numEnvs: 1,
  envWorker: true,
  totalSteps: 2_500_000,
  dueling: true,
  hidden: [256, 256],
  lr: 1e-4,
  adamEps: 1.5e-4,
  batchSize: 32,
  gamma: 0.99,
  nStep: 3,
  double: true,
  huberDelta: 1,
  maxGradNorm: 10,
  learningStarts: 20_000,
  replayRatio: 0.25,
  targetUpdate: 2_000,
  bufferSize: 500_000,
  prioritized: true,
  perAlphaStart: 0.5,
  perAlphaEnd: 0.5,
  perBetaStart: 0.4,
  perBetaEnd: 1,
  perEps: 1e-6,
  exploration: 'epsilon',
  epsStart: 1,
  epsEnd: 0.01,
  epsDecaySteps: 250_000,
  tempStart: 1,
  tempEnd: 0.01,
  tempDecaySteps: 250_000,
  rndCoef: 0.5,
  rndLr: 1e-4,
  rndFeatures: 64,
  logEvery: 5_000,
  plotEverySec: 60,
  checkpointEvery: 50_000,
  returnWindow: 100,
};

export const DQN_HELP: Record<keyof TrainDqnConfig, string> = {
  name: 'run name: the run folder is data/runs/train-dqn-<name> (default: a timestamp)',
  seed: 'seed for weights, replay sampling, exploration and the games',
  backend: 'TensorFlow.js backend (auto, tensorflow, wasm, cpu)',
  rom: 'Breakout ROM file (default: ATARI_ROM_DIR or an installed ale-py)',
  obs: 'what the agent sees: frames (84x84 grayscale stack, Nature CNN) or ram (the 128 RAM bytes, MLP)',
  frameStack: 'observations per stack (4 or 8 frames; RAM snapshots for --obs ram)',
  ramNorm: 'RAM input scaling: standardize (per-byte mean/std from the first --norm-steps random steps) or scale (bytes/255)',
  normSteps: 'random-action steps whose RAM bytes set the standardisation (--obs ram --ram-norm standardize)',
  frameSkip: 'emulated frames per agent step (observation = max of the last two)',
  stickyActions: 'probability that the previous action repeats on a frame (ALE v5: 0.25)',
  maxEpisodeFrames: 'truncate a game after this many emulated frames (ALE v5: 108000)',
  lifeLossTerminal: 'treat a lost life as the end of an episode for learning (scores still count whole games)',
  clipRewards: 'clip rewards to their sign for learning',
  numEnvs: 'games stepped together (actions chosen in one batch)',
  envWorker: 'run the games in a worker thread so they overlap with learning (--no-env-worker: same thread)',
  totalSteps: 'agent steps to train for, summed over games (1 step = --frame-skip frames)',
  dueling: 'dueling head (value + advantage streams)',
  hidden: 'MLP hidden widths for --obs ram (the last is the width of the head)',
  lr: 'Adam learning rate',
  adamEps: 'Adam epsilon',
  batchSize: 'transitions per update',
  gamma: 'discount factor',
  nStep: 'steps in the n-step return',
  double: 'Double DQN targets (online net picks, target net values)',
  huberDelta: 'Huber loss threshold',
  maxGradNorm: 'clip the global gradient norm to this (0 = off)',
  learningStarts: 'agent steps stored before learning starts (also after --resume, as the buffer is refilled)',
  replayRatio: 'updates per agent step (0.25 = one update every 4 steps)',
  targetUpdate: 'updates between target-network copies',
  bufferSize: 'replay capacity in transitions (each frame stored once)',
  prioritized: 'prioritized replay (proportional); --no-prioritized samples uniformly',
  perAlphaStart: 'priority exponent alpha at the start (annealed linearly to --per-alpha-end)',
  perAlphaEnd: 'priority exponent alpha at the end of training',
  perBetaStart: 'importance-sampling exponent beta at the start (annealed linearly to --per-beta-end)',
  perBetaEnd: 'importance-sampling exponent beta at the end of training',
  perEps: 'added to |TD error| for priorities',
  exploration: 'epsilon (epsilon-greedy), temperature (softmax over Q) or rnd (novelty-seeking explorer + exploiter)',
  epsStart: 'epsilon at the start',
  epsEnd: 'epsilon after --eps-decay-steps (also the explorer epsilon with --exploration rnd)',
  epsDecaySteps: 'agent steps over which epsilon falls linearly',
  tempStart: 'softmax temperature at the start (--exploration temperature)',
  tempEnd: 'softmax temperature after --temp-decay-steps',
  tempDecaySteps: 'agent steps over which the temperature falls linearly',
  rndCoef: 'weight of the normalised intrinsic reward for the explorer (--exploration rnd)',
  rndLr: 'Adam learning rate of the RND predictor',
  rndFeatures: 'RND feature width',
  logEvery: 'agent steps between training-metric lines in metrics.jsonl',
  plotEverySec: 'seconds between learning-curve PNG updates',
  checkpointEvery: 'agent steps between checkpoints (one is also written at the end and on Ctrl-C)',
  returnWindow: 'games in the running mean return',
};

/** The learning curve's points, (emulated frames, game score), from the episode lines of a run's metrics. */
export function scoreCurve(lines: MetricsLine[]): [number, number][] {
  return lines
    .filter((l) => l.type === 'episode' && typeof l.frames === 'number' && typeof l.episode_return === 'number')
    .map((l) => [l.frames as number, l.episode_return as number]);
}

// ----------------------------------------------------------------------------------------------
// Schedules (pure functions of the step counter, so a resumed run continues them exactly)
// ----------------------------------------------------------------------------------------------

export function linear(start: number, end: number, duration: number, t: number): number {
  if (duration <= 0) return end;
  return start + (end - start) * Math.min(1, Math.max(0, t / duration));
}

// ----------------------------------------------------------------------------------------------
// Training state saved in checkpoints
// ----------------------------------------------------------------------------------------------

interface Counters {
  steps: number;
  frames: number;
  updates: number;
  games: number;
  lastTargetUpdate: number;
  wallSeconds: number;
  bestMeanReturn: number;
}

interface TrainState {
  counters: Counters;
  prng: PrngState;
  recentReturns: number[];
  intrinsicStats: { count: number; mean: number; m2: number };
}

export interface TrainDqnResult {
  runDir: string;
  counters: Counters;
  meanReturn: number;
  recentReturns: number[];
}

export interface TrainDqnOptions {
  /** Continue this run folder (weights, optimizer, counters, schedules; the buffer is refilled). */
  resume?: string;
  /** With `resume`: continue at this learning rate (lowering it is the usual last phase of a long run); saved to config.json. */
  lr?: number;
  /** Run folder root (default data/runs). */
  runsRoot?: string;
  /** Games to train on (tests pass a toy environment); default: Breakout from the ROM. */
  makeEnv?: (cfg: TrainDqnConfig) => Promise<VecEnv>;
  /** Where progress lines go (default: stderr). */
  quiet?: boolean;
}

function rollingMean(xs: number[]): number {
  return xs.length ? xs.reduce((a, b) => a + b, 0) / xs.length : NaN;
}

export function validateConfig(c: TrainDqnConfig): void {
  const bad = (msg: string) => {
    throw new UserError(`train-dqn: ${msg}`);
  };
  if (!['frames', 'ram'].includes(c.obs)) bad(`--obs must be frames or ram, not ${c.obs}`);
  if (!['epsilon', 'temperature', 'rnd'].includes(c.exploration)) bad(`--exploration must be epsilon, temperature or rnd, not ${c.exploration}`);
  if (!['standardize', 'scale'].includes(c.ramNorm)) bad(`--ram-norm must be standardize or scale, not ${c.ramNorm}`);
  if (!Number.isInteger(c.frameStack) || c.frameStack < 1 || c.frameStack > 16) bad(`--frame-stack must be an integer in 1..16, not ${c.frameStack}`);
  if (!Number.isInteger(c.nStep) || c.nStep < 1) bad(`--n-step must be an integer >= 1, not ${c.nStep}`);
  if (!Number.isInteger(c.numEnvs) || c.numEnvs < 1) bad(`--num-envs must be an integer >= 1, not ${c.numEnvs}`);
  if (c.bufferSize % c.numEnvs !== 0) bad(`--buffer-size (${c.bufferSize}) must be a multiple of --num-envs (${c.numEnvs})`);
  if (!(c.gamma > 0 && c.gamma <= 1)) bad(`--gamma must be in (0, 1], not ${c.gamma}`);
  if (!(c.replayRatio > 0)) bad(`--replay-ratio must be > 0, not ${c.replayRatio}`);
  if (!(c.lr > 0)) bad(`--lr must be > 0, not ${c.lr}`);
  if (!Number.isInteger(c.batchSize) || c.batchSize < 1) bad(`--batch-size must be an integer >= 1, not ${c.batchSize}`);
  if (c.learningStarts < c.batchSize) bad(`--learning-starts (${c.learningStarts}) must be at least --batch-size (${c.batchSize})`);
  if (c.obs === 'ram' && c.ramNorm === 'standardize' && c.normSteps > c.learningStarts) bad(`--norm-steps (${c.normSteps}) must not exceed --learning-starts (${c.learningStarts})`);
  if (c.hidden.length < 1 || c.hidden.some((h) => !Number.isInteger(h) || h < 1)) bad(`--hidden needs positive integer widths, got ${c.hidden.join(',')}`);
}

/** Breakout from the ROM, in a worker or in this thread. */
export async function breakoutVecEnv(cfg: TrainDqnConfig): Promise<VecEnv> {
  const rom = findRom('breakout', cfg.rom ? { romPath: cfg.rom } : {});
  const settings = { obs: cfg.obs, frameSkip: cfg.frameSkip, stickyActions: cfg.stickyActions, maxEpisodeFrames: cfg.maxEpisodeFrames };
  return cfg.envWorker
    ? WorkerVecEnv.create({ rom: rom.bytes, settings, numEnvs: cfg.numEnvs, seed: cfg.seed })
    : new LocalVecEnv(rom.bytes, settings, cfg.numEnvs, cfg.seed);
}

// ----------------------------------------------------------------------------------------------
// The training loop
// ----------------------------------------------------------------------------------------------

export async function trainDqn(config: TrainDqnConfig, opts: TrainDqnOptions = {}): Promise<TrainDqnResult> {
  // --- run folder, backend ---
  let run: Run<TrainDqnConfig>;
  let cfg = config;
  if (opts.resume) {
    run = await openRun<TrainDqnConfig>(opts.resume);
    // The saved config wins (schedules must match); only the budget may be extended.
    cfg = { ...DQN_DEFAULTS, ...run.config, totalSteps: Math.max(config.totalSteps, run.config.totalSteps ?? 0), backend: config.backend, envWorker: config.envWorker };
    if (opts.lr !== undefined && opts.lr !== cfg.lr) {
      if (!(opts.lr > 0)) throw new UserError(`--lr ${opts.lr}: must be a positive number`);
      cfg = { ...cfg, lr: opts.lr };
      writeJsonAtomic(run.path('config.json'), cfg);
    }
  } else {
    validateConfig(cfg);
    run = await createRun({ stage: 'train-dqn', name: cfg.name || undefined, root: opts.runsRoot, config: cfg });
  }
  const say = (line: string) => {
    if (!opts.quiet) process.stderr.write(`${line}\n`);
  };
  const backend = await initBackend(cfg.backend, { log: say });
  say(`train-dqn: run folder ${run.dir}`);

  const env = await (opts.makeEnv ?? breakoutVecEnv)(cfg);
  const N = env.numEnvs;
  const A = env.numActions;
  const frameSize = env.frameSize;
  const isRnd = cfg.exploration === 'rnd';
  const inputShape = cfg.obs === 'frames' ? [84, 84, cfg.frameStack] : [frameSize * cfg.frameStack];
  const obsLen = frameSize * cfg.frameStack;
  const rng = new Prng(cfg.seed);

  // --- networks and optimizers ---
  const netCfg: QNetworkConfig = {
    kind: cfg.obs === 'frames' ? 'nature' : 'mlp',
    inputShape,
    numActions: A,
    dueling: cfg.dueling,
    hidden: cfg.hidden,
    seed: cfg.seed * 7919 + 1,
  };
  const adam = (lr: number) => tf.train.adam(lr, 0.9, 0.999, cfg.adamEps);
  const online = buildQNetwork(netCfg);
  const target = buildQNetwork(netCfg);
  const optimizer = adam(cfg.lr);
  // RND: the explorer (acts, extrinsic + intrinsic) beside the exploiter (`online`, extrinsic only).
  const explorer = isRnd ? buildQNetwork({ ...netCfg, seed: netCfg.seed + 5000 }) : undefined;
  const explorerTarget = isRnd ? buildQNetwork({ ...netCfg, seed: netCfg.seed + 5000 }) : undefined;
  const explorerOptimizer = isRnd ? adam(cfg.lr) : undefined;
  const rndInputShape = cfg.obs === 'frames' ? [84, 84, 1] : [frameSize];
  const rnd: Rnd | undefined = isRnd ? buildRnd({ kind: cfg.obs === 'frames' ? 'conv' : 'mlp', inputShape: rndInputShape, features: cfg.rndFeatures, seed: cfg.seed * 31 + 7 }) : undefined;
  const rndOptimizer = isRnd ? tf.train.adam(cfg.rndLr) : undefined;

  let counters: Counters = { steps: 0, frames: 0, updates: 0, games: 0, lastTargetUpdate: 0, wallSeconds: 0, bestMeanReturn: -Infinity };
  let recentReturns: number[] = [];
  const intrinsicStats = { count: 0, mean: 0, m2: 0 };
  let byteNorm: ByteNorm | null = null;

  const checkpointDir = join(run.dir, 'checkpoint');
  if (opts.resume) {
    const ck = await loadCheckpoint(checkpointDir);
    const meta = ck.meta as DqnCheckpointMeta & { train: TrainState };
    const copyFrom = (src: tf.LayersModel | undefined, dst: tf.LayersModel | undefined) => {
      if (!src || !dst) throw new UserError(`--resume ${opts.resume}: checkpoint lacks a network this config needs`);
      copyWeights(src, dst);
      src.dispose();
    };
    copyFrom(ck.models.model, online);
    copyFrom(ck.models.target, target);
    await restoreOptimizerState(optimizer, ck.tensors.optimizer);
    if (isRnd) {
      copyFrom(ck.models.explorer, explorer);
      copyFrom(ck.models.explorer_target, explorerTarget);
      copyFrom(ck.models.rnd_predictor, rnd?.predictor);
      copyFrom(ck.models.rnd_target, rnd?.target);
      await restoreOptimizerState(explorerOptimizer as tf.Optimizer, ck.tensors.explorer_optimizer);
      await restoreOptimizerState(rndOptimizer as tf.Optimizer, ck.tensors.rnd_optimizer);
    }
    counters = { ...meta.train.counters, bestMeanReturn: meta.train.counters.bestMeanReturn ?? -Infinity };
    recentReturns = meta.train.recentReturns;
    Object.assign(intrinsicStats, meta.train.intrinsicStats);
    rng.setState(meta.train.prng);
    byteNorm = meta.byteNorm;
    say(`train-dqn: resumed at step ${counters.steps} (${counters.updates} updates, ${counters.games} games); refilling the replay buffer`);
  } else {
    copyWeights(online, target);
    if (explorer && explorerTarget) copyWeights(explorer, explorerTarget);
  }
  const wantsNorm = cfg.obs === 'ram' && cfg.ramNorm === 'standardize';
  let lut: Float32Array | undefined = byteNorm ? byteNormLut(byteNorm) : undefined;

  // --- replay and per-game state ---
  const buffer = new ReplayBuffer({
    capacity: cfg.bufferSize,
    numEnvs: N,
    frameSize,
    stack: cfg.frameStack,
    nStep: cfg.nStep,
    gamma: cfg.gamma,
    prioritized: cfg.prioritized,
    priorityEps: cfg.perEps,
  });
  buffer.lut = lut;
  const stackers = Array.from({ length: N }, () => new FrameStacker(cfg.frameStack, frameSize, lut));
  const normFrames: Uint8Array[] = [];

  // --- checkpointing ---
  const meta = (): DqnCheckpointMeta & { train: TrainState } => ({
    kind: 'dqn',
    network: netCfg,
    obs: cfg.obs,
    frameStack: cfg.frameStack,
    frameSize,
    frameSkip: cfg.frameSkip,
    byteNorm,
    command: ['npm', 'run', 'stage:train-dqn', '--', ...process.argv.slice(3)],
    data: { agentSteps: counters.steps, framesSeen: counters.frames, updates: counters.updates, games: counters.games, wallSeconds: Math.round(counters.wallSeconds) },
    runDir: run.dir,
    backend: backend.name,
    meanReturn: rollingMean(recentReturns),
    train: { counters, prng: rng.getState(), recentReturns, intrinsicStats: { ...intrinsicStats } },
  });
  const saveTo = async (dir: string) => {
    const tensors: Record<string, NamedTensor[]> = { optimizer: await optimizerState(optimizer) };
    const models: Record<string, tf.LayersModel> = { model: online, target };
    if (isRnd) {
      Object.assign(models, { explorer, explorer_target: explorerTarget, rnd_predictor: rnd?.predictor, rnd_target: rnd?.target });
      tensors.explorer_optimizer = await optimizerState(explorerOptimizer as tf.Optimizer);
      tensors.rnd_optimizer = await optimizerState(rndOptimizer as tf.Optimizer);
    }
    await saveCheckpoint(dir, { models, tensors, meta: meta() });
  };

  // --- progress, plotting, Ctrl-C ---
  const progress = new Progress({ total: cfg.totalSteps, initial: counters.steps, label: 'train-dqn', unit: 'step', stream: opts.quiet ? { write: () => true } as unknown as NodeJS.WritableStream : undefined });
  let stop = false;
  const removeInterrupt = onInterrupt(() => {
    stop = true;
  }, { exit: false });
  const curve = scoreCurve(readMetrics(run.dir)); // a resumed run's curve goes on from its earlier games
  const plot = async () => {
    if (curve.length < 2) return;
    await writeLineChartPng(run.path('learning-curve.png'), [{ name: 'game score', points: curve }], {
      title: `DQN Breakout (${cfg.obs}) — score per game`,
      xLabel: 'emulated frames',
      yLabel: 'score',
      smooth: Math.min(cfg.returnWindow, Math.max(2, Math.floor(curve.length / 10))),
    }).catch((err: unknown) => say(`train-dqn: could not write the learning curve (${(err as Error).message})`));
  };

  // --- acting ---
  const actInput = new Float32Array(N * obsLen);
  const epsilonAt = (t: number) => linear(cfg.epsStart, cfg.epsEnd, cfg.epsDecaySteps, t);
  const temperatureAt = (t: number) => linear(cfg.tempStart, cfg.tempEnd, cfg.tempDecaySteps, t);
  const selectActions = (): number[] => {
    const random = (wantsNorm && !lut) || (counters.steps < cfg.learningStarts && !opts.resume);
    if (random) return Array.from({ length: N }, () => rng.int(A));
    for (let e = 0; e < N; e++) stackers[e].write(actInput, e * obsLen);
    const actor = explorer ?? online;
    const q = tf.tidy(() => forward(actor, tf.tensor(actInput, [N, ...inputShape])).dataSync() as Float32Array);
    const eps = cfg.exploration === 'temperature' ? 0 : epsilonAt(counters.steps);
    const temp = cfg.exploration === 'temperature' ? temperatureAt(counters.steps) : 0;
    return Array.from({ length: N }, (_, e) => chooseAction(q.subarray(e * A, (e + 1) * A), rng, eps, temp));
  };

  // --- learning ---
  let lastLoss = NaN;
  let lastMeanQ = NaN;
  let lastGradNorm = NaN;
  let lastRndLoss = NaN;
  const updateOpts = { inputShape, numActions: A, double: cfg.double, huberDelta: cfg.huberDelta, maxGradNorm: cfg.maxGradNorm };
  const learn = () => {
    const progressFrac = counters.steps / cfg.totalSteps;
    const alpha = linear(cfg.perAlphaStart, cfg.perAlphaEnd, 1, progressFrac);
    const beta = linear(cfg.perBetaStart, cfg.perBetaEnd, 1, progressFrac);
    const batch = buffer.sample(cfg.batchSize, beta, rng);
    const r = dqnUpdate(online, target, optimizer, batch, updateOpts);
    let td = r.tdErrors;
    if (explorer && explorerTarget && explorerOptimizer && rnd && rndOptimizer) {
      const returns = new Float32Array(batch.returns.length);
      for (let i = 0; i < returns.length; i++) returns[i] = batch.returns[i] + cfg.rndCoef * batch.intrinsicReturns[i];
      const rx = dqnUpdate(explorer, explorerTarget, explorerOptimizer, { ...batch, returns }, updateOpts);
      // Priorities follow the larger of the two errors, so both learners find what surprises them.
      td = td.map((v, i) => Math.max(Math.abs(v), Math.abs(rx.tdErrors[i])));
      // The predictor learns on the newest frame of each sampled observation.
      const newest = new Float32Array(cfg.batchSize * frameSize);
      for (let b = 0; b < cfg.batchSize; b++) for (let p = 0; p < frameSize; p++) newest[b * frameSize + p] = batch.nextObs[b * obsLen + p * cfg.frameStack + cfg.frameStack - 1];
      lastRndLoss = rndUpdate(rnd, rndOptimizer, newest, cfg.batchSize, rndInputShape);
    }
    buffer.updatePriorities(batch.indices, td, alpha);
    counters.updates++;
    lastLoss = r.loss;
    lastMeanQ = r.meanQ;
    lastGradNorm = r.gradNorm;
    if (counters.updates - counters.lastTargetUpdate >= cfg.targetUpdate) {
      copyWeights(online, target);
      if (explorer && explorerTarget) copyWeights(explorer, explorerTarget);
      counters.lastTargetUpdate = counters.updates;
    }
  };

  /** Normalised novelty of each game's newest observation (RND), Welford-standardised. */
  const intrinsicRewards = (frames: Uint8Array[]): number[] => {
    if (!rnd) return frames.map(() => 0);
    const x = new Float32Array(frames.length * frameSize);
    frames.forEach((f, e) => {
      for (let p = 0; p < frameSize; p++) x[e * frameSize + p] = lut ? lut[p * 256 + f[p]] : f[p] / 255;
    });
    const nov = rndNovelty(rnd, x, frames.length, rndInputShape);
    return Array.from(nov, (v) => {
      intrinsicStats.count++;
      const d = v - intrinsicStats.mean;
      intrinsicStats.mean += d / intrinsicStats.count;
      intrinsicStats.m2 += d * (v - intrinsicStats.mean);
      const std = Math.sqrt(intrinsicStats.m2 / Math.max(1, intrinsicStats.count - 1)) || 1;
      return v / std;
    });
  };

  // --- main loop ---
  let frames = await env.reset();
  for (let e = 0; e < N; e++) {
    buffer.beginEpisode(e, frames[e]);
    stackers[e].reset(frames[e]);
  }
  const startSteps = counters.steps;
  let updatesOwed = 0;
  let lastLog = counters.steps;
  let lastCheckpoint = counters.steps;
  let lastPlot = Date.now();
  let wallMark = Date.now();
  // Where the learner thread's time goes: learning, or waiting for the games (the worker is the bottleneck).
  const rate = { t: Date.now(), frames: counters.frames, updates: counters.updates, envWait: 0, learnBusy: 0 };
  let fps = 0;
  let ups = 0;
  const logTrain = () => {
    const now = Date.now();
    const dt = (now - rate.t) / 1000;
    fps = dt > 0 ? (counters.frames - rate.frames) / dt : 0;
    ups = dt > 0 ? (counters.updates - rate.updates) / dt : 0;
    const learnFrac = dt > 0 ? rate.learnBusy / 1000 / dt : 0;
    const waitFrac = dt > 0 ? rate.envWait / 1000 / dt : 0;
    Object.assign(rate, { t: now, frames: counters.frames, updates: counters.updates, envWait: 0, learnBusy: 0 });
    run.logMetrics({
      step: counters.steps,
      type: 'train',
      frames: counters.frames,
      updates: counters.updates,
      games: counters.games,
      mean_return: rollingMean(recentReturns),
      loss: lastLoss,
      mean_q: lastMeanQ,
      grad_norm: lastGradNorm,
      ...(isRnd ? { rnd_loss: lastRndLoss } : {}),
      epsilon: cfg.exploration === 'temperature' ? undefined : epsilonAt(counters.steps),
      temperature: cfg.exploration === 'temperature' ? temperatureAt(counters.steps) : undefined,
      fps,
      updates_per_s: ups,
      learn_time_frac: learnFrac,
      env_wait_frac: waitFrac,
      buffer: buffer.size,
    });
  };

  try {
    while (counters.steps < cfg.totalSteps && !stop) {
      const actions = selectActions();
      const pending = env.step(actions); // runs in the worker while we learn below
      const learnStart = Date.now();
      if (buffer.size >= cfg.learningStarts) {
        updatesOwed += cfg.replayRatio * N;
        while (updatesOwed >= 1) {
          learn();
          updatesOwed--;
        }
      }
      rate.learnBusy += Date.now() - learnStart;
      const waitStart = Date.now();
      const results = await pending;
      rate.envWait += Date.now() - waitStart;
      const novelty = intrinsicRewards(results.map((r) => r.frame));
      for (let e = 0; e < N; e++) {
        const r = results[e];
        counters.steps++;
        counters.frames += r.frames;
        const terminal = r.gameOver || (cfg.lifeLossTerminal && r.lifeLost);
        const episodeEnd = terminal || r.truncated || r.lifeLost;
        const reward = cfg.clipRewards ? clipReward(r.reward) : r.reward;
        buffer.addStep(e, actions[e], reward, terminal, r.frame, episodeEnd, novelty[e]);
        if (wantsNorm && !lut) normFrames.push(r.frame);
        if (episodeEnd) {
          const start = r.restartFrame as Uint8Array;
          buffer.beginEpisode(e, start);
          stackers[e].reset(start);
        } else {
          stackers[e].push(r.frame);
        }
        if (r.game) {
          counters.games++;
          recentReturns.push(r.game.score);
          if (recentReturns.length > cfg.returnWindow) recentReturns.shift();
          curve.push([counters.frames, r.game.score]);
          run.logMetrics({ step: counters.steps, type: 'episode', episode_return: r.game.score, episode_length: r.game.steps, episode_frames: r.game.frames, frames: counters.frames, games: counters.games });
        }
      }
      // Standardisation stats from the first random steps, then frozen (saved in the checkpoint).
      if (wantsNorm && !lut && normFrames.length >= cfg.normSteps) {
        byteNorm = byteStats(normFrames);
        lut = byteNormLut(byteNorm);
        buffer.lut = lut;
        for (const s of stackers) s.lut = lut;
        normFrames.length = 0;
        say(`train-dqn: RAM standardisation fixed from ${cfg.normSteps} random steps`);
      }

      const now = Date.now();
      counters.wallSeconds += (now - wallMark) / 1000;
      wallMark = now;
      if (counters.steps - lastLog >= cfg.logEvery) {
        lastLog = counters.steps;
        logTrain();
      }
      const mean = rollingMean(recentReturns);
      progress.update(counters.steps, {
        ret: Number.isFinite(mean) ? mean : undefined,
        games: counters.games,
        eps: cfg.exploration === 'temperature' ? undefined : Number(epsilonAt(counters.steps).toFixed(3)),
        fps: Math.round(fps),
        'upd/s': Math.round(ups),
      });
      if (now - lastPlot >= cfg.plotEverySec * 1000) {
        lastPlot = now;
        await plot();
      }
      if (counters.steps - lastCheckpoint >= cfg.checkpointEvery) {
        lastCheckpoint = counters.steps;
        await saveTo(checkpointDir);
        // Keep the best agent so far by running mean score (over a full window of games).
        if (recentReturns.length >= Math.min(cfg.returnWindow, 20) && mean > counters.bestMeanReturn) {
          counters.bestMeanReturn = mean;
          await saveTo(join(run.dir, 'checkpoint-best'));
        }
      }
    }
  } finally {
    removeInterrupt();
    await env.close();
  }
  await saveTo(checkpointDir);
  if (counters.steps > lastLog) logTrain();
  await plot();
  progress.finish();
  const result: TrainDqnResult = { runDir: run.dir, counters: { ...counters }, meanReturn: rollingMean(recentReturns), recentReturns: [...recentReturns] };
  run.writeSummary({
    agentSteps: counters.steps,
    framesSeen: counters.frames,
    updates: counters.updates,
    games: counters.games,
    meanReturn: result.meanReturn,
    bestMeanReturn: counters.bestMeanReturn,
    stoppedEarly: stop,
    stepsThisSession: counters.steps - startSteps,
    backend: backend.name,
  });
  await run.close();
  say(`train-dqn: ${stop ? 'stopped' : 'done'} at step ${counters.steps}; checkpoint ${checkpointDir}`);
  return result;
}
