// Stage 4b: train the action map, a small MLP from the real action (one-hot, plus optional previous
// actions and frame features) to the latent code the encoder named (pipeline/collect-pairs.ts pairs).
// One readable loop; every hyperparameter in TrainActionMapConfig below.
//
// Per epoch: shuffle the train pairs, Adam on softmax cross-entropy in minibatches; then score the
// val split and keep the weights with the lowest val cross-entropy. At the end: accuracy per split
// and per action, the expected accuracy when codes are sampled at --temperature, a confusion-matrix
// PNG (action x code, true code x predicted code), and the checkpoint (TensorFlow.js model.json +
// weights, checkpoint.json).
import * as tf from '@tensorflow/tfjs';
import sharp from 'sharp';
import {
  ACTION_MAP_KIND, ActionMap, buildActionMapModel, DEFAULT_ACTION_MAP_CONFIG, encodeRow, FRAME_FEATURES, inputSize,
  temperatureProbabilities, type ActionMapConfig,
} from '../models/action-map';
import { initBackend, type BackendPreference } from '../models/backend';
import { saveCheckpoint } from '../models/checkpoint';
import { writeFileAtomic } from './atomic';
import { ACTION_NAMES, pairStats, readPairs, type ActionPairs } from './collect-pairs';
import { UserError } from './errors';
import type { Split } from './latent-dataset';
import { escapeXml, writeLineChartPng } from './plot';
import { Progress, onInterrupt } from './progress';
import { Prng } from './prng';
import { createRun } from './run';

export interface TrainActionMapConfig {
  /** A collect-pairs run folder (pairs.json + features.f32). */
  pairs: string;
  /** The network; codebookSize is taken from the pairs. */
  model: Omit<ActionMapConfig, 'codebookSize'>;
  /** Share of training rows whose action history is hidden (all zeros), so the map also works without one. */
  historyDropout: number;
  epochs: number;
  batchSize: number;
  lr: number;
  /** Sampling temperature reported at the end and stored as the players' default (0 = most likely code). */
  temperature: number;
  seed: number;
  backend: BackendPreference;
  /** Also save the checkpoint here (e.g. checkpoints/action-map); null = only in the run folder. */
  out: string | null;
}

export const DEFAULT_TRAIN_ACTION_MAP_CONFIG: TrainActionMapConfig = {
  pairs: '',
  model: { numActions: DEFAULT_ACTION_MAP_CONFIG.numActions, frameFeatures: true, history: DEFAULT_ACTION_MAP_CONFIG.history, ballClock: DEFAULT_ACTION_MAP_CONFIG.ballClock, hidden: [64, 64] },
  historyDropout: 0.1,
  epochs: 30,
  batchSize: 256,
  lr: 3e-3,
  temperature: 0,
  seed: 1,
  backend: 'auto',
  out: null,
};

/** Figures of the map on one split. */
export interface SplitScores {
  pairs: number;
  accuracy: number;
  /** Accuracy per action (null where the split has none of it). */
  perAction: (number | null)[];
  /** Mean probability of the true code when sampling at the configured temperature. */
  sampledAccuracy: number;
  crossEntropy: number;
  /** Rows: true code, columns: predicted (most likely) code. */
  confusion: number[][];
  /** Rows: action, columns: true code. */
  codeByAction: number[][];
}

/** Scores of predicted probabilities against the true codes. */
export function scorePredictions(probs: Float32Array[], actions: readonly number[], codes: readonly number[], numActions: number, temperature: number): SplitScores {
  const n = codes.length;
  const k = probs[0]?.length ?? 0;
  const confusion = Array.from({ length: k }, () => new Array<number>(k).fill(0));
  const codeByAction = Array.from({ length: numActions }, () => new Array<number>(k).fill(0));
  const right = new Array<number>(numActions).fill(0), seen = new Array<number>(numActions).fill(0);
  let correct = 0, sampled = 0, ce = 0;
  for (let i = 0; i < n; i++) {
    const p = probs[i];
    let best = 0;
    for (let c = 1; c < k; c++) if (p[c] > p[best]) best = c;
    confusion[codes[i]][best]++;
    codeByAction[actions[i]][codes[i]]++;
    seen[actions[i]]++;
    if (best === codes[i]) { correct++; right[actions[i]]++; }
    sampled += temperatureProbabilities(p, temperature)[codes[i]];
    ce -= Math.log(Math.max(p[codes[i]], 1e-12));
  }
  return {
    pairs: n,
    accuracy: n ? correct / n : NaN,
    perAction: seen.map((s, a) => (s ? right[a] / s : null)),
    sampledAccuracy: n ? sampled / n : NaN,
    crossEntropy: n ? ce / n : NaN,
    confusion,
    codeByAction,
  };
}

/** The actions taken before pair i's action, oldest first (at most `history` of them). */
export function previousActions(p: Pick<ActionPairs, 'episodes' | 'episode' | 'target'>, i: number, history: number): number[] {
  const acts = p.episodes[p.episode[i]].actions;
  const k = p.target[i] - 1; // the pair's own action is acts[k]
  return acts.slice(Math.max(0, k - history), k);
}

/**
 * Input rows for the chosen pairs, as the map encodes them at play time (encodeRow). `hideHistory(r)`
 * true leaves row r's history unknown (training's history dropout).
 */
export function inputsOf(
  cfg: ActionMapConfig, p: Pick<ActionPairs, 'action' | 'features' | 'episodes' | 'episode' | 'target' | 'ballClock'>, idx: readonly number[], hideHistory?: (row: number) => boolean,
): Float32Array {
  const x = new Float32Array(idx.length * inputSize(cfg));
  idx.forEach((i, r) => {
    const previous = cfg.history > 0 && !hideHistory?.(r) ? previousActions(p, i, cfg.history) : null;
    encodeRow(cfg, p.action[i], previous, p.features.subarray(i * FRAME_FEATURES, (i + 1) * FRAME_FEATURES), x, r, p.ballClock[i]);
  });
  return x;
}

function predictAll(map: ActionMap, p: ActionPairs, idx: number[]): Float32Array[] {
  const out: Float32Array[] = [];
  for (let b = 0; b < idx.length; b += 4096) {
    const chunk = idx.slice(b, b + 4096);
    out.push(...map.probabilitiesOfInputs(inputsOf(map.config, p, chunk), chunk.length));
  }
  return out;
}

/** Score a map on the chosen pairs. */
export function scoreSplit(map: ActionMap, p: ActionPairs, idx: number[], temperature: number): SplitScores {
  return scorePredictions(predictAll(map, p, idx), idx.map((i) => p.action[i]), idx.map((i) => p.code[i]), map.config.numActions, temperature);
}

function heatmapSvg(x0: number, y0: number, title: string, rowTitle: string, colTitle: string, rows: string[], cols: string[], counts: number[][]): { svg: string; width: number; height: number } {
  const cell = 44, left = 70, top = 46;
  const parts = [`<text x="${x0 + left + (cols.length * cell) / 2}" y="${y0 + 16}" text-anchor="middle" font-weight="bold">${escapeXml(title)}</text>`];
  parts.push(`<text x="${x0 + left + (cols.length * cell) / 2}" y="${y0 + 34}" text-anchor="middle" font-size="11">${escapeXml(colTitle)} →</text>`);
  parts.push(`<text x="${x0 + 4}" y="${y0 + 34}" font-size="11">${escapeXml(rowTitle)} ↓</text>`);
  cols.forEach((c, j) => parts.push(`<text x="${x0 + left + j * cell + cell / 2}" y="${y0 + top - 2}" text-anchor="middle" font-size="11">${escapeXml(c)}</text>`));
  counts.forEach((row, i) => {
    const total = row.reduce((a, b) => a + b, 0);
    parts.push(`<text x="${x0 + left - 6}" y="${y0 + top + i * cell + cell / 2 + 4}" text-anchor="end" font-size="11">${escapeXml(rows[i])}</text>`);
    row.forEach((v, j) => {
      // Shade by the share of the row, so rare actions read as clearly as common ones.
      const share = total ? v / total : 0;
      const shade = Math.round(255 - 200 * share);
      parts.push(`<rect x="${x0 + left + j * cell}" y="${y0 + top + i * cell}" width="${cell - 1}" height="${cell - 1}" fill="rgb(${shade},${shade},255)"/>`);
      parts.push(`<text x="${x0 + left + j * cell + cell / 2}" y="${y0 + top + i * cell + cell / 2 + 4}" text-anchor="middle" font-size="10" fill="${share > 0.6 ? 'white' : 'black'}">${v}</text>`);
    });
  });
  return { svg: parts.join(''), width: left + cols.length * cell + 20, height: top + rows.length * cell + 10 };
}

/** The confusion matrices as one PNG: action x true code, and true code x predicted code (counts, shaded by row share). */
export async function confusionPng(scores: SplitScores, split: string): Promise<Buffer> {
  const k = scores.confusion.length;
  const codes = Array.from({ length: k }, (_, c) => `c${c}`);
  const a = heatmapSvg(0, 0, `${split}: code per action`, 'action', 'true code', ACTION_NAMES.slice(0, scores.codeByAction.length), codes, scores.codeByAction);
  const b = heatmapSvg(a.width + 20, 0, `${split}: true x predicted code`, 'true', 'predicted', codes, codes, scores.confusion);
  const width = a.width + 20 + b.width, height = Math.max(a.height, b.height);
  const svg = `<svg xmlns="http://www.w3.org/2000/svg" width="${width}" height="${height}" font-family="DejaVu Sans, Arial, sans-serif" font-size="13"><rect width="100%" height="100%" fill="white"/>${a.svg}${b.svg}</svg>`;
  return sharp(Buffer.from(svg)).png().toBuffer();
}

export interface TrainActionMapOptions {
  config: TrainActionMapConfig;
  name?: string;
  root?: string;
  /** Pairs given by the caller (tests); default: read from config.pairs. */
  pairs?: ActionPairs & { worldModel?: string };
  log?: (line: string) => void;
}

export interface TrainActionMapResult {
  runDir: string;
  checkpointDir: string;
  scores: Partial<Record<Split, SplitScores>>;
  stopped: boolean;
}

const pct = (v: number | null | undefined) => (v === null || v === undefined || Number.isNaN(v) ? '-' : `${(100 * v).toFixed(2)}%`);

export function formatScores(scores: Partial<Record<Split, SplitScores>>, temperature: number): string {
  const lines = [`split   pairs     acc    ${ACTION_NAMES.map((n) => n.padStart(7)).join(' ')}   acc@T=${temperature}  CE`];
  for (const [split, s] of Object.entries(scores)) {
    if (!s) continue;
    lines.push(`${split.padEnd(6)}${String(s.pairs).padStart(7)}  ${pct(s.accuracy).padStart(7)}  ${s.perAction.map((v) => pct(v).padStart(7)).join(' ')}   ${pct(s.sampledAccuracy).padStart(7)}   ${s.crossEntropy.toFixed(4)}`);
  }
  return lines.join('\n');
}

export async function trainActionMap(opts: TrainActionMapOptions): Promise<TrainActionMapResult> {
  const log = opts.log ?? ((l: string) => console.log(l));
  const cfg = opts.config;
  for (const [what, ok] of [
    ['epochs', Number.isInteger(cfg.epochs) && cfg.epochs > 0], ['batch size', Number.isInteger(cfg.batchSize) && cfg.batchSize > 0],
    ['learning rate', cfg.lr > 0], ['temperature', cfg.temperature >= 0], ['history dropout', cfg.historyDropout >= 0 && cfg.historyDropout <= 1],
  ] as const) if (!ok) throw new UserError(`train-action-map: ${what} out of range`);
  const pairs = opts.pairs ?? readPairs(cfg.pairs);
  const backendInfo = await initBackend(cfg.backend, { log });
  const run = await createRun({ stage: 'train-action-map', name: opts.name, root: opts.root, config: { ...cfg, backendInfo } });
  log(`train-action-map: run folder ${run.dir}`);
  if (!opts.pairs) await run.writeManifest([{ role: 'pairs', path: cfg.pairs }]);

  const mcfg: ActionMapConfig = { ...cfg.model, codebookSize: pairs.codebookSize };
  const bySplit: Record<Split, number[]> = { train: [], val: [], test: [] };
  pairs.code.forEach((_, i) => bySplit[pairs.episodes[pairs.episode[i]].split].push(i));
  if (bySplit.train.length === 0) throw new UserError(`${cfg.pairs}: no train pairs`);
  const valIdx = bySplit.val.length ? bySplit.val : bySplit.train;
  if (!bySplit.val.length) log('train-action-map: no val pairs; choosing the best epoch on the train pairs');
  const stats = pairStats(pairs);
  log(`train-action-map: ${pairs.code.length} pairs (train ${bySplit.train.length}, val ${bySplit.val.length}, test ${bySplit.test.length}), ${pairs.codebookSize} codes, input ${inputSize(mcfg)} (action${mcfg.history ? ` + ${mcfg.history} previous` : ''}${mcfg.frameFeatures ? ' + frame features' : ''}${mcfg.ballClock ? ' + ball clock' : ''})`);
  if (stats.tableAccuracy) log(`train-action-map: most frequent code per action (a table) scores ${pct(stats.tableAccuracy.accuracy)} on ${stats.tableAccuracy.split}`);

  const model = buildActionMapModel(mcfg, cfg.seed);
  const map = new ActionMap(mcfg, model);
  const optimizer = tf.train.adam(cfg.lr);
  const rng = new Prng(cfg.seed);
  const order = bySplit.train.slice();
  const nIn = inputSize(mcfg);
  let best: { epoch: number; accuracy: number; ce: number; weights: tf.Tensor[] } | null = null;
  let stopping = false;
  const removeInterrupt = onInterrupt(() => { stopping = true; }, { exit: false });
  const stepsPerEpoch = Math.ceil(order.length / cfg.batchSize);
  const progress = new Progress({ total: cfg.epochs * stepsPerEpoch, label: 'train-action-map', unit: 'step' });
  // Epoch lines through the caller's log when given, else printed above the progress bar.
  const say = opts.log ? log : (m: string) => progress.log(m);
  const curves: Record<string, [number, number][]> = { 'train loss': [], 'val CE': [], 'val acc': [] };
  let epoch = 0;
  try {
    for (epoch = 1; epoch <= cfg.epochs && !stopping; epoch++) {
      for (let i = order.length - 1; i > 0; i--) { const j = rng.int(i + 1); [order[i], order[j]] = [order[j], order[i]]; }
      let lossSum = 0;
      for (let b = 0; b < order.length && !stopping; b += cfg.batchSize) {
        const idx = order.slice(b, b + cfg.batchSize);
        const x = tf.tensor2d(inputsOf(mcfg, pairs, idx, () => rng.next() < cfg.historyDropout), [idx.length, nIn]);
        const y = tf.oneHot(tf.tensor1d(idx.map((i) => pairs.code[i]), 'int32'), mcfg.codebookSize);
        const loss = optimizer.minimize(() => tf.losses.softmaxCrossEntropy(y, model.apply(x) as tf.Tensor) as tf.Scalar, true)!;
        lossSum += loss.dataSync()[0] * idx.length;
        tf.dispose([x, y, loss]);
        progress.tick();
        if ((b / cfg.batchSize) % 50 === 49) await new Promise((r) => setImmediate(r));
      }
      const val = scoreSplit(map, pairs, valIdx, cfg.temperature);
      const trainLoss = lossSum / order.length;
      run.logMetrics({ step: epoch, epoch, train_loss: trainLoss, val_accuracy: val.accuracy, val_ce: val.crossEntropy });
      curves['train loss'].push([epoch, trainLoss]);
      curves['val CE'].push([epoch, val.crossEntropy]);
      curves['val acc'].push([epoch, val.accuracy]);
      say(`epoch ${epoch}: train loss ${trainLoss.toFixed(4)}, val accuracy ${pct(val.accuracy)}, val CE ${val.crossEntropy.toFixed(4)}`);
      // Best by validation cross-entropy: smoother than accuracy on a small val split.
      if (!best || val.crossEntropy < best.ce) {
        best?.weights.forEach((w) => w.dispose());
        best = { epoch, accuracy: val.accuracy, ce: val.crossEntropy, weights: model.getWeights().map((w) => w.clone()) };
      }
    }
  } finally {
    progress.finish();
    removeInterrupt();
  }
  if (!best) throw new UserError('train-action-map: stopped before the first epoch ended; nothing saved');
  model.setWeights(best.weights);
  best.weights.forEach((w) => w.dispose());
  log(`train-action-map: best epoch ${best.epoch} (val cross-entropy ${best.ce.toFixed(4)}, accuracy ${pct(best.accuracy)})`);

  const scores: Partial<Record<Split, SplitScores>> = {};
  for (const split of ['train', 'val', 'test'] as const) if (bySplit[split].length) scores[split] = scoreSplit(map, pairs, bySplit[split], cfg.temperature);
  const judged: Split = scores.test ? 'test' : scores.val ? 'val' : 'train';
  writeFileAtomic(run.path('confusion.png'), await confusionPng(scores[judged]!, judged));
  await writeLineChartPng(run.path('curves.png'), Object.entries(curves).map(([name, points]) => ({ name, points })), { title: 'action map', xLabel: 'epoch' });

  // The players' table fallback: the mean distribution per action over the train pairs.
  const trainProbs = predictAll(map, pairs, bySplit.train);
  const codeTable = Array.from({ length: mcfg.numActions }, () => new Array<number>(mcfg.codebookSize).fill(0));
  const perAction = new Array<number>(mcfg.numActions).fill(0);
  bySplit.train.forEach((i, r) => { perAction[pairs.action[i]]++; trainProbs[r].forEach((v, c) => { codeTable[pairs.action[i]][c] += v; }); });
  codeTable.forEach((row, a) => row.forEach((_, c) => { row[c] = perAction[a] ? Number((row[c] / perAction[a]).toFixed(6)) : 1 / mcfg.codebookSize; }));

  const brief = (s: SplitScores | undefined) => s && { pairs: s.pairs, accuracy: s.accuracy, perAction: Object.fromEntries(ACTION_NAMES.map((n, a) => [n, s.perAction[a]])), sampledAccuracy: s.sampledAccuracy, crossEntropy: s.crossEntropy, confusion: s.confusion };
  const evalFigures = {
    train: brief(scores.train), val: brief(scores.val), test: brief(scores.test),
    temperature: cfg.temperature, bestEpoch: best.epoch, tableAccuracy: stats.tableAccuracy,
  };
  const meta = {
    kind: ACTION_MAP_KIND,
    config: mcfg,
    command: ['npm', 'run', 'stage:train-action-map', '--', ...process.argv.slice(3)],
    data: { pairs: cfg.pairs || '(given in memory)', worldModel: pairs.worldModel ?? null, contextFrames: pairs.contextFrames, splits: stats.splits, actionHistogram: stats.actionHistogram },
    eval: evalFigures,
    temperature: cfg.temperature,
    actionNames: ACTION_NAMES,
    codeTable,
    trainSeconds: run.elapsedSeconds(),
  };
  const checkpointDir = run.path('checkpoint');
  await saveCheckpoint(checkpointDir, { models: { model }, meta });
  if (cfg.out) await saveCheckpoint(cfg.out, { models: { model }, meta });
  run.writeSummary({ ...evalFigures, checkpoint: checkpointDir, out: cfg.out, stopped: stopping });
  await run.close();
  log(formatScores(scores, cfg.temperature));
  log(`train-action-map: checkpoint ${checkpointDir}${cfg.out ? ` and ${cfg.out}` : ''}; confusion matrix ${run.path('confusion.png')}`);
  map.dispose();
  optimizer.dispose();
  return { runDir: run.dir, checkpointDir, scores, stopped: stopping };
}
