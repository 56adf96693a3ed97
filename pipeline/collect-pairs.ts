// Stage 4a: the training data of the action map. The latent action model's encoder runs over every
// transition of the recordings (K context frames + the next frame) and names its code; each pair is
// (the action taken, a reference to its context: episode + target frame, the code), with the split of
// the episode it came from (the same split by episode as stage 3, so held-out stays held out), plus
// the frame features of its context (models/action-map.ts) so training needs no frames.
//
// Writes a run folder data/runs/collect-pairs-NAME/: pairs.json (columns), features.f32
// ([pairs, FRAME_FEATURES] float32, little-endian), summary.json (action histogram, code distribution
// per action), manifest.json (world model + recordings, hashed).
import { existsSync, readFileSync, readdirSync, statSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { initBackend, type BackendPreference } from '../models/backend';
import { BALL_CLOCK_MAX, ballClockAfter, ballClockOf, FRAME_FEATURES, frameFeatures } from '../models/action-map';
import { readCheckpointIndex } from '../models/checkpoint';
import { writeFileAtomic, writeJsonAtomic } from './atomic';
import { UserError } from './errors';
import { fieldBall } from './breakout-decode';
import { actionIndex } from './eval-world-model';
import { buildLatentDataset, type LatentDataset, type Split, type Window } from './latent-dataset';
import { Progress, onInterrupt } from './progress';
import { createRun } from './run';
import { WorldModel } from './world-model';

export const PAIRS_FORMAT = 'neural-breakout-action-pairs';
export const ACTION_NAMES = ['NOOP', 'FIRE', 'RIGHT', 'LEFT'] as const;
const SPLITS: Split[] = ['train', 'val', 'test'];

export interface CollectPairsConfig {
  /** World model checkpoint folder (its encoder names the codes). */
  worldModel: string;
  /** Recording folders (or episode sidecars); default: those the world model was trained on. */
  data: string[];
  /** At most this many episodes per recording folder (0 = all). */
  maxEpisodes: number;
  cacheDir: string;
  /** Split shares by episode; keep them equal to stage 3's so its held-out episodes stay held out. */
  valShare: number;
  testShare: number;
  /** Transitions encoded per encoder call. */
  batch: number;
  /** Give a ball that comes back the code under which the decoder draws one (comebackCode). */
  relabelComebacks: boolean;
  backend: BackendPreference;
}

export const DEFAULT_COLLECT_PAIRS_CONFIG: CollectPairsConfig = {
  worldModel: 'checkpoints/world-model',
  data: [],
  maxEpisodes: 0,
  cacheDir: 'data/cache/latent-frames',
  valShare: 0.1,
  testShare: 0.1,
  batch: 32,
  relabelComebacks: false,
  backend: 'auto',
};

/** The pairs, as columns (pair i is element i of each). */
export interface ActionPairs {
  codebookSize: number;
  contextFrames: number;
  /** Per episode; `actions` are minimal-set indices of every step (actions[k] taken on frame k), for the action history. */
  episodes: { id: string; source: string; split: Split; frames: number; actions: number[] }[];
  /** Episode index of each pair (into `episodes`). */
  episode: number[];
  /** Target frame: the code names the transition target-1 → target; the context ends at target-1. */
  target: number[];
  /** Action index into the minimal set (0 NOOP, 1 FIRE, 2 RIGHT, 3 LEFT), taken on frame target-1. */
  action: number[];
  code: number[];
  /** The ball clock at the end of the context (ballClockAfter over the episode's frames 0..target-1). */
  ballClock: number[];
  /** Pairs whose code comebackCode changed, as [pair, the encoder's code]. */
  relabelled: [number, number][];
  /** FRAME_FEATURES floats per pair: frameFeatures() of the context. */
  features: Float32Array;
}

export interface PairsJson extends Omit<ActionPairs, 'features'> {
  format: typeof PAIRS_FORMAT;
  version: 1;
  worldModel: string;
  featureSize: number;
  actionNames: readonly string[];
}

/** The encoder and decoder of a world model, as collectPairsFrom needs them (a WorldModel, or a stand-in in tests). */
export interface CodeNamer {
  readonly contextFrames: number;
  readonly codebookSize: number;
  inferCodes(contexts: Uint8Array[][], nexts: Uint8Array[]): ArrayLike<number>;
  predict(contexts: Uint8Array[][], codes: ArrayLike<number>): Uint8Array[];
}

/**
 * The code a pair should teach the action map when the ball comes back (none in the last context frame,
 * one in the target: a serve, or the ball out of the bricks, where it is not red). The encoder names
 * most serves "nothing happened" (code 0: a serve is rare, and where the new ball shows is not up to the
 * player), so a map trained on its codes never serves, though the decoder draws a served ball under
 * other codes (README, "Serving: relabelled comebacks"). If the encoder's own code draws no ball, the
 * pair takes the code whose decoded ball lies nearest the real one; if none draws one, its code stays.
 */
export function comebackCode(wm: CodeNamer, context: Uint8Array[], target: Uint8Array, code: number): number {
  const truth = fieldBall(target);
  if (!truth || fieldBall(context[context.length - 1])) return code;
  const codes = Array.from({ length: wm.codebookSize }, (_, c) => c);
  const distance = wm.predict(codes.map(() => context), codes).map((frame) => {
    const ball = fieldBall(frame);
    return ball ? Math.abs(ball.x - truth.x) + Math.abs(ball.y - truth.y) : Infinity;
  });
  if (distance[code] < Infinity) return code;
  const best = distance.indexOf(Math.min(...distance));
  return distance[best] < Infinity ? best : code;
}

/** Encode every window of the dataset (all splits) into pairs. `onBatch` reports progress; return false to stop. */
export async function collectPairsFrom(
  wm: CodeNamer,
  ds: LatentDataset,
  { batch, relabelComebacks }: Pick<CollectPairsConfig, 'batch' | 'relabelComebacks'>,
  onBatch?: (done: number, total: number) => boolean | void,
): Promise<ActionPairs> {
  if (ds.contextFrames !== wm.contextFrames) throw new Error(`dataset has ${ds.contextFrames} context frames, the world model ${wm.contextFrames}`);
  const windows: Window[] = SPLITS.flatMap((s) => ds.windows(s)).sort((a, b) => a.episode - b.episode || a.target - b.target);
  const out: ActionPairs = {
    codebookSize: wm.codebookSize,
    contextFrames: wm.contextFrames,
    episodes: ds.episodes.map((e) => ({ id: e.id, source: e.source, split: e.split, frames: e.frames, actions: e.actions.map((a, k) => actionIndex(a, `${e.source} step ${k}`)) })),
    episode: [], target: [], action: [], code: [], ballClock: [], relabelled: [],
    features: new Float32Array(windows.length * FRAME_FEATURES),
  };
  // The ball clock runs along each episode's windows, which come in order. The first window of a game
  // (of an episode, or after a reset within one: the windows skip across it) starts it on its context.
  let clock = { episode: -1, frame: -1, value: BALL_CLOCK_MAX };
  const clockAt = (w: Window, context: readonly Uint8Array[]): number => {
    const last = w.target - 1;
    const value = clock.episode === w.episode && clock.frame === last - 1 ? ballClockAfter(clock.value, context[context.length - 1]) : ballClockOf(context);
    clock = { episode: w.episode, frame: last, value };
    return value;
  };
  for (let b = 0; b < windows.length; b += batch) {
    const group = windows.slice(b, b + batch);
    const frames = group.map((w) => ds.frames(w));
    const codes = wm.inferCodes(frames.map((f) => f.context), frames.map((f) => f.target));
    group.forEach((w, i) => {
      const n = out.code.length;
      out.episode.push(w.episode);
      out.target.push(w.target);
      out.action.push(actionIndex(ds.action(w), `${ds.episodes[w.episode].source} step ${w.target - 1}`));
      const code = relabelComebacks ? comebackCode(wm, frames[i].context, frames[i].target, codes[i]) : codes[i];
      if (code !== codes[i]) out.relabelled.push([n, codes[i]]);
      out.code.push(code);
      out.ballClock.push(clockAt(w, frames[i].context));
      frameFeatures(frames[i].context, out.features.subarray(n * FRAME_FEATURES, (n + 1) * FRAME_FEATURES));
    });
    // Yield to the event loop so Ctrl-C is seen between batches.
    await new Promise((r) => setImmediate(r));
    if (onBatch?.(Math.min(b + batch, windows.length), windows.length) === false) {
      out.features = out.features.slice(0, out.code.length * FRAME_FEATURES);
      break;
    }
  }
  return out;
}

export interface PairStats {
  pairs: number;
  /** Pairs per split. */
  splits: Record<Split, number>;
  /** Pairs per action, per split. */
  actionHistogram: Record<Split, number[]>;
  /** Code counts per action (rows: actions, columns: codes), all splits. */
  codeByAction: number[][];
  /** Accuracy on test (else val, else train) of the most frequent train code per action: the best an action-only table can do. */
  tableAccuracy: { split: Split; accuracy: number } | null;
  /** Codes seen at least once. */
  codesUsed: number;
  /** Pairs comebackCode relabelled, by the encoder's code (rows) and the new one (columns). */
  relabelled: number[][];
}

export function pairStats(p: ActionPairs, numActions = ACTION_NAMES.length): PairStats {
  const zeros = () => new Array<number>(numActions).fill(0);
  const actionHistogram = { train: zeros(), val: zeros(), test: zeros() };
  const splits = { train: 0, val: 0, test: 0 };
  const codeByAction = Array.from({ length: numActions }, () => new Array<number>(p.codebookSize).fill(0));
  const trainCounts = Array.from({ length: numActions }, () => new Array<number>(p.codebookSize).fill(0));
  for (let i = 0; i < p.code.length; i++) {
    const s = p.episodes[p.episode[i]].split;
    splits[s]++;
    actionHistogram[s][p.action[i]]++;
    codeByAction[p.action[i]][p.code[i]]++;
    if (s === 'train') trainCounts[p.action[i]][p.code[i]]++;
  }
  const best = trainCounts.map((row) => row.indexOf(Math.max(...row)));
  const judged: Split | undefined = (['test', 'val', 'train'] as const).find((s) => splits[s] > 0);
  let tableAccuracy: PairStats['tableAccuracy'] = null;
  if (judged && splits.train > 0) {
    let right = 0;
    for (let i = 0; i < p.code.length; i++) if (p.episodes[p.episode[i]].split === judged && best[p.action[i]] === p.code[i]) right++;
    tableAccuracy = { split: judged, accuracy: right / splits[judged] };
  }
  const relabelled = Array.from({ length: p.codebookSize }, () => new Array<number>(p.codebookSize).fill(0));
  for (const [i, from] of p.relabelled) relabelled[from][p.code[i]]++;
  const codesUsed = codeByAction[0].map((_, c) => codeByAction.some((r) => r[c] > 0)).filter(Boolean).length;
  return { pairs: p.code.length, splits, actionHistogram, codeByAction, tableAccuracy, codesUsed, relabelled };
}

/** The statistics as plain text: action histogram per split, then the code distribution per action (shares). */
export function formatPairStats(s: PairStats): string {
  const lines = [`${s.pairs} pairs (train ${s.splits.train}, val ${s.splits.val}, test ${s.splits.test}); codes used ${s.codesUsed}/${s.codeByAction[0]?.length ?? 0}`];
  lines.push(`action histogram   ${ACTION_NAMES.map((n) => n.padStart(7)).join(' ')}`);
  for (const split of SPLITS) lines.push(`  ${split.padEnd(17)}${s.actionHistogram[split].map((c) => String(c).padStart(7)).join(' ')}`);
  const codes = s.codeByAction[0]?.length ?? 0;
  lines.push(`code share per action (%)  ${Array.from({ length: codes }, (_, c) => `c${c}`.padStart(5)).join(' ')}`);
  s.codeByAction.forEach((row, a) => {
    const total = row.reduce((x, y) => x + y, 0) || 1;
    lines.push(`  ${(ACTION_NAMES[a] ?? String(a)).padEnd(25)}${row.map((c) => ((100 * c) / total).toFixed(1).padStart(5)).join(' ')}`);
  });
  const moves = s.relabelled.flatMap((row, from) => row.flatMap((n, to) => (n ? [`${from}->${to} ${n}`] : [])));
  lines.push(`comebacks relabelled: ${moves.length ? moves.join(', ') : 'none'}`);
  if (s.tableAccuracy) lines.push(`most frequent code per action (action alone), ${s.tableAccuracy.split} accuracy: ${(100 * s.tableAccuracy.accuracy).toFixed(2)}%`);
  return lines.join('\n');
}

/** Write pairs.json + features.f32 into a folder (each atomically). */
export function writePairs(dir: string, p: ActionPairs, worldModel: string): void {
  const json: PairsJson = {
    format: PAIRS_FORMAT, version: 1, worldModel, featureSize: FRAME_FEATURES, actionNames: ACTION_NAMES,
    codebookSize: p.codebookSize, contextFrames: p.contextFrames, episodes: p.episodes,
    episode: p.episode, target: p.target, action: p.action, code: p.code, ballClock: p.ballClock, relabelled: p.relabelled,
  };
  writeFileAtomic(join(dir, 'features.f32'), new Uint8Array(p.features.buffer, p.features.byteOffset, p.features.byteLength));
  writeJsonAtomic(join(dir, 'pairs.json'), json);
}

/** Read a pairs folder; UserError naming what is wrong. */
export function readPairs(dir: string): ActionPairs & { worldModel: string } {
  const path = join(dir, 'pairs.json');
  if (!existsSync(path)) throw new UserError(`--pairs ${dir}: no pairs.json (collect pairs with npm run stage:collect-pairs)`);
  let j: PairsJson;
  try {
    j = JSON.parse(readFileSync(path, 'utf8')) as PairsJson;
  } catch (err) {
    throw new UserError(`${path}: not valid JSON (${(err as Error).message})`);
  }
  if (j.format !== PAIRS_FORMAT) throw new UserError(`${path}: format ${String(j.format)}, expected ${PAIRS_FORMAT}`);
  const n = j.code?.length ?? -1;
  if (n < 0 || j.action.length !== n || j.episode.length !== n || j.target.length !== n) throw new UserError(`${path}: columns of different lengths`);
  if (!Array.isArray(j.episodes) || j.episodes.some((e) => !Array.isArray(e.actions))) throw new UserError(`${path}: episodes lack their actions (written by an older version: collect the pairs again)`);
  if (!Array.isArray(j.ballClock) || j.ballClock.length !== n) throw new UserError(`${path}: no ball clock per pair (written by an older version: collect the pairs again)`);
  if (j.featureSize !== FRAME_FEATURES) throw new UserError(`${path}: ${j.featureSize} features per pair, this version computes ${FRAME_FEATURES} (collect the pairs again)`);
  const fpath = join(dir, 'features.f32');
  if (!existsSync(fpath)) throw new UserError(`${dir}: features.f32 is missing`);
  const buf = readFileSync(fpath);
  if (buf.byteLength !== n * FRAME_FEATURES * 4) throw new UserError(`${fpath}: ${buf.byteLength} bytes, expected ${n * FRAME_FEATURES * 4} (truncated?)`);
  const features = new Float32Array(buf.buffer.slice(buf.byteOffset, buf.byteOffset + buf.byteLength));
  return { ...j, relabelled: j.relabelled ?? [], features };
}

/** The newest data/runs/collect-pairs-* folder with a pairs.json (the default --pairs of training). */
export function latestPairsDir(root = 'data/runs'): string | null {
  if (!existsSync(root)) return null;
  const dirs = readdirSync(root)
    .filter((d) => d.startsWith('collect-pairs-') && existsSync(join(root, d, 'pairs.json')))
    .map((d) => ({ d, t: statSync(join(root, d, 'pairs.json')).mtimeMs }))
    .sort((a, b) => b.t - a.t);
  return dirs.length ? join(root, dirs[0].d) : null;
}

/** The --pairs flag of the commands that train on pairs (stage 4). */
export const pairsOption = { type: 'string', describe: 'A collect-pairs run folder (default: the newest data/runs/collect-pairs-*)' } as const;

/** A --pairs flag's folder: as given, else the newest collect-pairs run; a UserError when there is none. */
export function pairsDir(flag: string | undefined): string {
  const dir = flag ?? latestPairsDir();
  if (!dir) throw new UserError('--pairs: no data/runs/collect-pairs-* folder found (run npm run stage:collect-pairs first, or pass --pairs DIR)');
  return dir;
}

export interface CollectPairsOptions {
  config: CollectPairsConfig;
  name?: string;
  root?: string;
  /** A dataset built by the caller (tests); default: built from config.data. */
  dataset?: LatentDataset;
  log?: (line: string) => void;
}

export interface CollectPairsResult {
  runDir: string;
  stats: PairStats;
  stopped: boolean;
}

/**
 * The split of each episode the world model saw, by episode id, when known: from its checkpoint.json
 * (meta.data.episodes) or from the manifest of the run folder it sits in (stage 3 writes
 * manifest.json with dataset.episodes). Pairs then keep the world model's held-out episodes held out
 * even when a different set of episodes is collected.
 */
export function worldModelSplits(dir: string): Map<string, Split> | null {
  const fromList = (list: unknown): Map<string, Split> | null => {
    if (!Array.isArray(list)) return null;
    const m = new Map<string, Split>();
    for (const e of list as { id?: unknown; split?: unknown }[]) {
      if (typeof e?.id === 'string' && (e.split === 'train' || e.split === 'val' || e.split === 'test')) m.set(e.id, e.split);
    }
    return m.size ? m : null;
  };
  const data = readCheckpointIndex(dir).meta.data as { episodes?: unknown; dataset?: { episodes?: unknown } } | undefined;
  const own = fromList(data?.episodes) ?? fromList(data?.dataset?.episodes);
  if (own) return own;
  const manifest = join(dirname(resolve(dir)), 'manifest.json');
  if (!existsSync(manifest)) return null;
  try {
    return fromList((JSON.parse(readFileSync(manifest, 'utf8')) as { dataset?: { episodes?: unknown } }).dataset?.episodes);
  } catch {
    return null;
  }
}

/** The recordings a world model checkpoint says it was trained on (meta.data.recordings), if any. */
export function worldModelRecordings(dir: string): string[] {
  const data = readCheckpointIndex(dir).meta.data as { recordings?: unknown } | undefined;
  return Array.isArray(data?.recordings) ? data.recordings.filter((r): r is string => typeof r === 'string') : [];
}

export async function collectPairs(opts: CollectPairsOptions): Promise<CollectPairsResult> {
  const log = opts.log ?? ((l: string) => console.log(l));
  const cfg = { ...opts.config };
  if (!existsSync(join(cfg.worldModel, 'checkpoint.json'))) {
    throw new UserError(`world model not found: ${cfg.worldModel}/checkpoint.json (train one with npm run stage:train-latent, or pass --world-model DIR)`);
  }
  if (cfg.data.length === 0 && !opts.dataset) {
    cfg.data = worldModelRecordings(cfg.worldModel);
    if (cfg.data.length === 0) throw new UserError(`--data: give recording folders (the world model ${cfg.worldModel} does not name the ones it was trained on)`);
    log(`collect-pairs: recordings of the world model: ${cfg.data.join(', ')}`);
  }
  const backend = await initBackend(cfg.backend, { log });
  const wm = await WorldModel.load(cfg.worldModel);
  const run = await createRun({ stage: 'collect-pairs', name: opts.name, root: opts.root, config: { ...cfg, backendInfo: backend } });
  log(`collect-pairs: run folder ${run.dir}`);
  const ds = opts.dataset ?? (await buildLatentDataset({
    recordings: cfg.data, cacheDir: cfg.cacheDir, contextFrames: wm.contextFrames,
    valShare: cfg.valShare, testShare: cfg.testShare, maxEpisodes: cfg.maxEpisodes, log,
  }));
  const known = worldModelSplits(cfg.worldModel);
  if (known) {
    let kept = 0;
    for (const e of ds.episodes) {
      const split = known.get(e.id);
      if (split) { e.split = split; kept++; }
    }
    log(`collect-pairs: ${kept}/${ds.episodes.length} episodes take the split the world model gave them${kept < ds.episodes.length ? ' (the others, unseen by it, keep their own)' : ''}`);
  } else {
    log('collect-pairs: the world model names no per-episode splits; splitting by episode hash as stage 3 does (same shares and recordings give the same split)');
  }
  await run.writeManifest([{ role: 'world-model', path: cfg.worldModel }, ...(opts.dataset ? [] : cfg.data.map((p, i) => ({ role: `recording-${i}`, path: p })))]);
  let stopping = false;
  const removeInterrupt = onInterrupt(() => { stopping = true; }, { exit: false });
  const total = SPLITS.reduce((s, split) => s + ds.windows(split).length, 0);
  const progress = new Progress({ total, label: 'collect-pairs', unit: 'pair' });
  let pairs: ActionPairs;
  try {
    pairs = await collectPairsFrom(wm, ds, cfg, (done) => { progress.update(done); return !stopping; });
  } finally {
    progress.finish();
    removeInterrupt();
    if (!opts.dataset) ds.close();
  }
  writePairs(run.dir, pairs, cfg.worldModel);
  const stats = pairStats(pairs);
  run.writeSummary({ ...stats, stopped: stopping, worldModel: cfg.worldModel, data: cfg.data });
  await run.close();
  log(formatPairStats(stats));
  log(`collect-pairs: ${stopping ? 'stopped early; wrote the pairs collected so far' : 'done'}: ${run.dir}`);
  return { runDir: run.dir, stats, stopped: stopping };
}
