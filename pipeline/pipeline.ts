// Every stage in order on one fresh run folder, calling each stage's plain function:
//   train-dqn -> record -> train-latent -> collect-pairs -> train-action-map
// Presets size the stages: `full` is the real thing (hours), `tiny` ends with a playable (if crude)
// model in under 15 minutes on this machine, `ci` only proves the stages still fit together (a test
// runs it). Each stage writes its own run folder inside the pipeline folder; pipeline.json records
// what ran, where its output is and how long it took.
import { existsSync, mkdirSync } from 'node:fs';
import { join, resolve } from 'node:path';
import type { BackendPreference } from '../models/backend';
import { DEFAULT_LATENT_ACTION_CONFIG, type LatentActionConfig } from '../models/latent-action';
import { writeJsonAtomic } from './atomic';
import { collectPairs, DEFAULT_COLLECT_PAIRS_CONFIG } from './collect-pairs';
import { UserError } from './errors';
import { recordStage, RECORD_DEFAULTS, type RecordConfig } from './record';
import { timestampName } from './run';
import { DEFAULT_TRAIN_ACTION_MAP_CONFIG, trainActionMap, type TrainActionMapConfig } from './train-action-map';
import { DQN_DEFAULTS, trainDqn, type TrainDqnConfig } from './train-dqn';
import { DEFAULT_TRAIN_BALL_HEAD_CONFIG, trainBallHead, type TrainBallHeadConfig } from './train-ball-head';
import { DEFAULT_TRAIN_PADDLE_HEAD_CONFIG, trainPaddleHead, type TrainPaddleHeadConfig } from './train-paddle-head';
import { DEFAULT_TRAIN_LATENT_CONFIG, trainLatent, type TrainLatentConfig } from './train-latent';

export const PRESETS = ['ci', 'tiny', 'full'] as const;
export type PresetName = (typeof PRESETS)[number];

/** What each stage overrides of its own defaults. */
export interface PipelinePreset {
  description: string;
  dqn: Partial<TrainDqnConfig>;
  record: Partial<RecordConfig>;
  latent: Partial<Omit<TrainLatentConfig, 'model'>> & { model?: Partial<LatentActionConfig> };
  ballHead: Partial<Omit<TrainBallHeadConfig, 'data' | 'out'>>;
  actionMap: Partial<Omit<TrainActionMapConfig, 'pairs' | 'out'>>;
  paddleHead: Partial<Omit<TrainPaddleHeadConfig, 'pairs' | 'out'>>;
}

const SMALL_DECODER: Partial<LatentActionConfig> = { encoderChannels: [16, 24, 32], stemChannels: 16, bodyChannels: 24, bodyBlocks: 1, refineChannels: 16 };

export const PIPELINE_PRESETS: Record<PresetName, PipelinePreset> = {
  ci: {
    description: 'wiring check: a few steps of every stage (about 1-2 minutes)',
    dqn: { totalSteps: 300, learningStarts: 64, normSteps: 64, bufferSize: 1_000, batchSize: 8, hidden: [16], envWorker: false, logEvery: 100, checkpointEvery: 1_000, targetUpdate: 100, epsDecaySteps: 200 },
    record: { episodes: 2, percentRandom: 50, maxSteps: 30, preview: false, workers: 1 },
    latent: { steps: 2, batchSize: 2, warmupSteps: 1, evalEvery: 2, valWindows: 4, gridEvery: 2, checkpointEvery: 2, logEvery: 1, restartEvery: 1, model: SMALL_DECODER },
    ballHead: { epochs: 1, model: { hidden: [16] } },
    actionMap: { epochs: 2, batchSize: 64 },
    paddleHead: { epochs: 1, hidden: [16] },
  },
  tiny: {
    description: 'a playable crude model in under 15 minutes: short DQN, a few random-heavy episodes, 1,500 world-model steps on both cores',
    dqn: { totalSteps: 3_000, learningStarts: 1_000, normSteps: 1_000, bufferSize: 10_000, hidden: [64, 64], checkpointEvery: 10_000, targetUpdate: 500, epsDecaySteps: 2_000 },
    record: { episodes: 6, percentRandom: 50, maxSteps: 400, preview: false, workers: 1 },
    latent: { steps: 1500, timeLimitMin: 9, batchSize: 8, workers: 2, warmupSteps: 50, continuousWarmupSteps: 100, evalEvery: 250, valWindows: 64, gridEvery: 500, checkpointEvery: 250, model: SMALL_DECODER },
    ballHead: { epochs: 10 },
    actionMap: { epochs: 20 },
    paddleHead: {},
  },
  full: {
    description: 'the real thing (many hours): every stage at its own defaults',
    dqn: {},
    record: {},
    latent: {},
    ballHead: {},
    actionMap: {},
    paddleHead: {},
  },
};

export interface PipelineOptions {
  preset: PresetName;
  /** The pipeline folder (default data/runs/pipeline-<preset>-<timestamp>); must not exist yet. */
  out?: string;
  seed: number;
  backend: BackendPreference;
  /** ROM file (default: ATARI_ROM_DIR, then ale-py). */
  rom?: string;
  log?: (line: string) => void;
}

export interface StageRecord {
  stage: string;
  dir: string;
  seconds: number;
}

export interface PipelineResult {
  dir: string;
  dqnCheckpoint: string;
  recordings: string;
  worldModel: string;
  ballHead: string;
  pairs: string;
  actionMap: string;
  paddleHead: string;
  stages: StageRecord[];
  seconds: number;
}

export async function runPipeline(opts: PipelineOptions): Promise<PipelineResult> {
  const preset = PIPELINE_PRESETS[opts.preset];
  if (!preset) throw new UserError(`--preset must be one of ${PRESETS.join(', ')}, not ${String(opts.preset)}`);
  const log = opts.log ?? ((l: string) => console.log(l));
  const dir = resolve(opts.out ?? join('data/runs', `pipeline-${opts.preset}-${timestampName()}`));
  if (existsSync(dir)) throw new UserError(`pipeline folder ${dir} already exists (each pipeline run starts on a fresh folder)`);
  mkdirSync(dir, { recursive: true });
  const t0 = performance.now();
  const stages: StageRecord[] = [];
  const partial: Partial<PipelineResult> = { dir, stages };
  const save = (status: string) => writeJsonAtomic(join(dir, 'pipeline.json'), { preset: opts.preset, description: preset.description, status, seed: opts.seed, backend: opts.backend, ...partial, seconds: (performance.now() - t0) / 1000 });
  const stage = async <T>(name: string, fn: () => Promise<T>, where: (r: T) => string): Promise<T> => {
    log(`pipeline: ${name} ...`);
    save(`running ${name}`);
    const s0 = performance.now();
    const r = await fn();
    const rec = { stage: name, dir: where(r), seconds: (performance.now() - s0) / 1000 };
    stages.push(rec);
    log(`pipeline: ${name} done in ${rec.seconds.toFixed(0)} s -> ${rec.dir}`);
    return r;
  };

  const dqnConfig: TrainDqnConfig = { ...DQN_DEFAULTS, ...preset.dqn, name: 'dqn', seed: opts.seed, backend: opts.backend, rom: opts.rom ?? '' };
  const dqn = await stage('train-dqn', () => trainDqn(dqnConfig, { runsRoot: dir, quiet: false }), (r) => r.runDir);
  partial.dqnCheckpoint = join(dqn.runDir, 'checkpoint');

  const recordings = join(dir, 'recordings');
  await stage('record', () => recordStage({ ...RECORD_DEFAULTS, ...preset.record, policy: 'mixed', checkpoint: partial.dqnCheckpoint!, out: recordings, rom: opts.rom, seed: opts.seed }), () => recordings);
  partial.recordings = recordings;

  const cacheDir = join(dir, 'cache');
  const latentConfig: TrainLatentConfig = {
    ...DEFAULT_TRAIN_LATENT_CONFIG,
    ...preset.latent,
    model: { ...DEFAULT_LATENT_ACTION_CONFIG, ...preset.latent.model },
    data: [recordings],
    cacheDir,
    seed: opts.seed,
    backend: opts.backend,
  };
  const latent = await stage('train-latent', () => trainLatent({ config: latentConfig, name: 'world-model', root: dir, log }), (r) => r.runDir);
  const best = join(latent.runDir, 'checkpoint-best');
  partial.worldModel = existsSync(join(best, 'checkpoint.json')) ? best : join(latent.runDir, 'checkpoint-last');

  const head = await stage(
    'train-ball-head',
    () => trainBallHead({ config: { ...DEFAULT_TRAIN_BALL_HEAD_CONFIG, ...preset.ballHead, data: [recordings], cacheDir, out: null, seed: opts.seed, backend: opts.backend }, name: 'ball-head', root: dir, log }),
    (r) => r.checkpointDir,
  );
  partial.ballHead = head.checkpointDir;

  const pairs = await stage(
    'collect-pairs',
    () => collectPairs({ config: { ...DEFAULT_COLLECT_PAIRS_CONFIG, worldModel: partial.worldModel!, data: [recordings], cacheDir, backend: opts.backend }, name: 'pairs', root: dir, log }),
    (r) => r.runDir,
  );
  partial.pairs = pairs.runDir;

  const map = await stage(
    'train-action-map',
    () => trainActionMap({ config: { ...DEFAULT_TRAIN_ACTION_MAP_CONFIG, ...preset.actionMap, pairs: pairs.runDir, out: null, seed: opts.seed, backend: opts.backend }, name: 'action-map', root: dir, log }),
    (r) => r.checkpointDir,
  );
  partial.actionMap = map.checkpointDir;

  const paddle = await stage(
    'train-paddle-head',
    () => trainPaddleHead({ config: { ...DEFAULT_TRAIN_PADDLE_HEAD_CONFIG, ...preset.paddleHead, pairs: pairs.runDir, cacheDir, out: null, seed: opts.seed, backend: opts.backend }, name: 'paddle-head', root: dir, log }),
    (r) => r.checkpointDir,
  );
  partial.paddleHead = paddle.checkpointDir;
  save('done');
  return { ...(partial as PipelineResult), seconds: (performance.now() - t0) / 1000 };
}
