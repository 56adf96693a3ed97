// Stage 2: record gameplay videos. Each episode is played by a random agent or the DQN (a share
// `percentRandom` of episodes random when `policy` is 'mixed'), and written as a lossless video,
// a lossy preview and a JSON sidecar with every action (pipeline/recording.ts). `workers` > 1 records
// episodes in parallel worker threads. Ctrl-C leaves only complete episodes.
import { existsSync, readdirSync, rmSync, statSync } from 'node:fs';
import { startTsWorker } from '../models/ts-worker';
import { join, resolve } from 'node:path';
import { ACTION_NAMES } from '../atari/ale';
import { AtariEnv } from '../atari/env';
import { findRom } from '../atari/roms';
import { writeJsonAtomic } from './atomic';
import { UserError } from './errors';
import { createRun, openRun, timestampName, type Run } from './run';
import { Progress, onInterrupt } from './progress';
import { RandomPolicy, type EnvLike, type Policy } from './policy';
import { seededRandom } from './policy';
import { HeldRandomPolicy, TrackerPolicy } from './tracker-policy';
import { episodeFiles, episodeStem, listRecording, type EpisodeSidecar } from './recording';
import { VideoError, VideoWriter, FRAME_HEIGHT, FRAME_WIDTH } from './video';
import { killActiveFfmpeg } from './ffmpeg';
import { CheckpointError, readCheckpointIndex } from '../models/checkpoint';
import { initBackend, type BackendPreference } from '../models/backend';

// ---- config: every option, with its default ----------------------------------------------------

export const POLICIES = ['random', 'dqn', 'mixed', 'tracker', 'steady-tracker', 'held'] as const;
export type PolicyKind = (typeof POLICIES)[number];

export interface RecordConfig {
  /**
   * Who plays: random, the DQN, mixed (percentRandom of the episodes random, the rest DQN), or a scripted
   * player (pipeline/tracker-policy.ts): `tracker` follows the ball (as the recordings up to tracker3-60
   * were played), `steady-tracker` stops its paddle under the ball and so reaches late, fast-ball games,
   * `held` holds random actions.
   */
  policy: PolicyKind;
  /** DQN checkpoint folder (for dqn and mixed). */
  checkpoint: string;
  episodes: number;
  /** Share of random episodes for --policy mixed, in percent. */
  percentRandom: number;
  /** DQN randomness: probability of a random action. */
  epsilon: number;
  /** DQN randomness: softmax temperature over Q-values instead of epsilon (0 = off). */
  temperature: number;
  /** Recording folder (also the run folder: config.json, metrics.jsonl, summary.json, manifest.json). */
  out: string;
  /** ROM file; default: found via ATARI_ROM_DIR or ale-py. */
  rom?: string;
  frameSkip: number;
  /** Sticky actions probability; 0 (off) so each recorded action is what the game received. */
  sticky: number;
  /** Step limit per episode (27,000 steps = ALE v5's 108,000 frames at frame skip 4). */
  maxSteps: number;
  seed: number;
  workers: number;
  /** Write the lossy MP4 preview beside each episode. */
  preview: boolean;
  /** Continue an interrupted recording in `out` (complete episodes are kept, the rest recorded). */
  resume: boolean;
  /** TensorFlow.js backend for the DQN (models/backend.ts). */
  backend: BackendPreference;
}

export const RECORD_DEFAULTS: RecordConfig = {
  policy: 'mixed',
  checkpoint: 'checkpoints/dqn',
  episodes: 100,
  percentRandom: 15,
  epsilon: 0.05,
  temperature: 0,
  out: '',
  frameSkip: 4,
  sticky: 0,
  maxSteps: 27_000,
  seed: 0,
  workers: 1,
  preview: true,
  resume: false,
  backend: 'auto',
};

export interface EpisodePlan {
  episode: number;
  seed: number;
  policy: Exclude<PolicyKind, 'mixed'>;
}

/** Which episodes are random: exactly round(n * percent / 100) of them, spread by a seeded shuffle. */
export function planEpisodes(cfg: Pick<RecordConfig, 'episodes' | 'policy' | 'percentRandom' | 'seed'>): EpisodePlan[] {
  const n = cfg.episodes;
  const random = new Set<number>();
  if (cfg.policy === 'random') for (let i = 1; i <= n; i++) random.add(i);
  if (cfg.policy === 'mixed') {
    const order = Array.from({ length: n }, (_, i) => i + 1);
    const rng = seededRandom(cfg.seed ^ 0x9e3779b9);
    for (let i = n - 1; i > 0; i--) {
      const j = Math.floor(rng() * (i + 1));
      [order[i], order[j]] = [order[j]!, order[i]!];
    }
    order.slice(0, Math.round((n * cfg.percentRandom) / 100)).forEach((e) => random.add(e));
  }
  return Array.from({ length: n }, (_, i) => ({
    episode: i + 1,
    // Distinct across episodes and across recordings with different --seed.
    seed: cfg.seed * 100_000 + i + 1,
    policy: cfg.policy === 'mixed' ? (random.has(i + 1) ? 'random' : 'dqn') : cfg.policy,
  }));
}

export function validateConfig(cfg: RecordConfig): void {
  const bad = (msg: string): never => {
    throw new UserError(msg);
  };
  if (!POLICIES.includes(cfg.policy)) bad(`--policy must be one of ${POLICIES.join(', ')}, not "${cfg.policy}"`);
  if (!Number.isInteger(cfg.episodes) || cfg.episodes < 1) bad(`--episodes must be an integer >= 1, not ${cfg.episodes}`);
  if (!(cfg.percentRandom >= 0 && cfg.percentRandom <= 100)) bad(`--percent-random must be in 0..100, not ${cfg.percentRandom}`);
  if (!(cfg.epsilon >= 0 && cfg.epsilon <= 1)) bad(`--epsilon must be in 0..1, not ${cfg.epsilon}`);
  if (!(cfg.temperature >= 0)) bad(`--temperature must be >= 0, not ${cfg.temperature}`);
  if (!Number.isInteger(cfg.frameSkip) || cfg.frameSkip < 1) bad(`--frame-skip must be an integer >= 1, not ${cfg.frameSkip}`);
  if (!(cfg.sticky >= 0 && cfg.sticky <= 1)) bad(`--sticky must be in 0..1, not ${cfg.sticky}`);
  if (!Number.isInteger(cfg.maxSteps) || cfg.maxSteps < 1) bad(`--max-steps must be an integer >= 1, not ${cfg.maxSteps}`);
  if (!Number.isInteger(cfg.seed) || cfg.seed < 0) bad(`--seed must be an integer >= 0, not ${cfg.seed}`);
  if (!Number.isInteger(cfg.workers) || cfg.workers < 1) bad(`--workers must be an integer >= 1, not ${cfg.workers}`);
  if (!cfg.out) bad('--out must name a folder');
}

// ---- the game and the players -------------------------------------------------------------------

export interface GameSetup {
  env: EnvLike;
  romMd5: string;
  romPath?: string;
  actionSet: number[];
  actionNames: string[];
}

/** The real game through our emulator: Breakout, frame skip and sticky actions as configured. */
export function makeRealGame(cfg: Pick<RecordConfig, 'rom' | 'frameSkip' | 'sticky'>): GameSetup {
  const rom = findRom('breakout', { romPath: cfg.rom });
  // obsType 'ram': the recorder reads the screen itself once per step; the env need not copy it too.
  const env = new AtariEnv(rom.bytes, { obsType: 'ram', frameSkip: cfg.frameSkip, repeatActionProbability: cfg.sticky });
  return {
    env,
    romMd5: rom.md5,
    romPath: rom.path,
    actionSet: [...env.actionSet],
    actionNames: env.actionSet.map((a) => ACTION_NAMES[a] ?? String(a)),
  };
}

/** Check the DQN checkpoint exists before anything is recorded (a clear error if not). */
export function checkDqnCheckpoint(dir: string): void {
  try {
    readCheckpointIndex(dir);
  } catch (err) {
    if (err instanceof CheckpointError) {
      throw new UserError(`${err.message}; train one with npm run stage:train-dqn, pass --checkpoint DIR, or record with --policy random`);
    }
    throw err;
  }
}

export async function makeDqnPolicy(cfg: Pick<RecordConfig, 'checkpoint' | 'epsilon' | 'temperature' | 'backend'>, seed: number): Promise<Policy> {
  checkDqnCheckpoint(cfg.checkpoint);
  await initBackend(cfg.backend, { log: () => {} });
  const { loadDqnPolicy } = await import('./dqn-policy');
  return loadDqnPolicy(cfg.checkpoint, { epsilon: cfg.epsilon, temperature: cfg.temperature, seed });
}

// ---- one episode ---------------------------------------------------------------------------------

export interface EpisodeResult {
  episode: number;
  policy: string;
  seed: number;
  steps: number;
  score: number;
  terminated: boolean;
  truncated: boolean;
  bytes: number;
  previewBytes: number;
  seconds: number;
  /** Count of each action index. */
  actionCounts: number[];
}

export interface EpisodeContext {
  game: GameSetup;
  cfg: RecordConfig;
  /** Called every few hundred steps with the steps done since the last call (for progress). */
  onSteps?: (steps: number) => void;
  /** Polled every step: true means stop (the episode's partial files are removed). */
  shouldStop?: () => boolean;
}

/**
 * Play and record one episode into `cfg.out`. Returns its result, or undefined when stopped (then
 * nothing of it remains on disk).
 */
export async function recordEpisode(plan: EpisodePlan, policy: Policy, ctx: EpisodeContext): Promise<EpisodeResult | undefined> {
  const { env, actionSet, actionNames, romMd5 } = ctx.game;
  const { cfg } = ctx;
  const started = Date.now();
  const files = episodeFiles(cfg.out, plan.episode);
  const fps = 60 / cfg.frameSkip;
  const writer = new VideoWriter(files.video, { fps, previewPath: cfg.preview ? files.preview : undefined });
  const actions: number[] = [];
  const rewards: number[] = [];
  const stepTerminated: boolean[] = [];
  const stepTruncated: boolean[] = [];
  let reset = env.reset({ seed: plan.seed });
  const lives: number[] = [reset.info.lives];
  policy.reset?.(plan.seed);
  let observation: unknown = reset.observation;
  let terminated = false;
  let truncated = false;
  let pending = 0;
  let lastYield = Date.now();
  try {
    for (let step = 0; ; step++) {
      const screen = env.screenRGB();
      await writer.write(screen);
      if (terminated || truncated) break;
      // Let signals and worker messages through every ~10 ms (the loop is otherwise all microtasks).
      // tsx relays a terminal Ctrl-C to us and, unless we acknowledge it within 30 ms, sends it
      // again and then SIGKILL: so the event loop must never be blocked for long.
      if (Date.now() - lastYield >= 10) {
        await new Promise((r) => setImmediate(r));
        lastYield = Date.now();
      }
      if (ctx.shouldStop?.()) {
        await writer.abort();
        return undefined;
      }
      const action = policy.act({ screen, ram: env.ale.getRAM(), observation, lives: lives[lives.length - 1]!, step, env });
      if (!Number.isInteger(action) || action < 0 || action >= actionSet.length) {
        throw new Error(`policy ${policy.name} chose action ${action}, outside 0..${actionSet.length - 1}`);
      }
      const r = env.step(action);
      observation = r.observation;
      terminated = r.terminated;
      truncated = !terminated && (r.truncated || step + 1 >= cfg.maxSteps);
      actions.push(action);
      rewards.push(r.reward);
      stepTerminated.push(terminated);
      stepTruncated.push(truncated);
      lives.push(r.info.lives);
      if (++pending === 200) {
        ctx.onSteps?.(pending);
        pending = 0;
      }
    }
    if (pending) ctx.onSteps?.(pending);
    const written = await writer.finish();
    const steps = actions.length;
    if (written.frames !== steps + 1) throw new Error(`episode ${plan.episode}: wrote ${written.frames} frames for ${steps} steps`);
    const score = rewards.reduce((a, b) => a + b, 0);
    const sidecar: EpisodeSidecar = {
      format: 'neural-breakout-episode',
      version: 1,
      episode: plan.episode,
      video: files.video.slice(files.video.lastIndexOf('/') + 1),
      preview: cfg.preview ? files.preview.slice(files.preview.lastIndexOf('/') + 1) : undefined,
      game: 'breakout',
      romMd5,
      settings: { frameSkip: cfg.frameSkip, repeatActionProbability: cfg.sticky, mode: 0, difficulty: 0, maxSteps: cfg.maxSteps },
      policy: policy.name,
      seed: plan.seed,
      width: FRAME_WIDTH,
      height: FRAME_HEIGHT,
      fps,
      steps,
      frames: steps + 1,
      score,
      terminated,
      truncated,
      actionSet,
      actionNames,
      actionIndices: true,
      actions,
      rewards,
      stepTerminated,
      stepTruncated,
      lives,
      seconds: (Date.now() - started) / 1000,
    };
    // The sidecar last: its presence marks the episode complete.
    writeJsonAtomic(files.sidecar, sidecar);
    const actionCounts = new Array<number>(actionSet.length).fill(0);
    for (const a of actions) actionCounts[a]!++;
    return {
      episode: plan.episode,
      policy: policy.name,
      seed: plan.seed,
      steps,
      score,
      terminated,
      truncated,
      bytes: written.bytes,
      previewBytes: written.previewBytes ?? 0,
      seconds: sidecar.seconds,
      actionCounts,
    };
  } catch (err) {
    await writer.abort();
    rmSync(files.sidecar, { force: true });
    // A Ctrl-C reaches ffmpeg too: its death is then a stop, not a failure.
    if ((err instanceof VideoError && err.interrupted) || ctx.shouldStop?.()) return undefined;
    throw err;
  }
}

/** Plays episodes with the right policy, creating each policy once. */
export class EpisodeRecorder {
  private random?: Policy;
  private tracker?: Policy;
  private steadyTracker?: Policy;
  private held?: Policy;
  private dqn?: Policy;
  constructor(
    private readonly ctx: EpisodeContext,
    private readonly makeDqn: (seed: number) => Promise<Policy> = (seed) => makeDqnPolicy(ctx.cfg, seed),
  ) {}

  /** Load the DQN now (so a bad checkpoint fails before anything is recorded). */
  async prepare(needDqn: boolean, seed: number): Promise<void> {
    if (needDqn) this.dqn ??= await this.makeDqn(seed);
  }

  async record(plan: EpisodePlan): Promise<EpisodeResult | undefined> {
    let policy: Policy;
    switch (plan.policy) {
      case 'random': policy = this.random ??= new RandomPolicy(this.ctx.game.actionSet.length, plan.seed); break;
      // A steadier tracker than the class default, so games reach the late, fast-ball states.
      case 'tracker': policy = this.tracker ??= new TrackerPolicy({ randomShare: 0.02, deadZone: 3, lead: 'velocity' }); break;
      // Steadier still: steady-60 scored 318 a game with the fast ball in 47% of its steps (tracker3-60: 67 and 9%).
      case 'steady-tracker': policy = this.steadyTracker ??= new TrackerPolicy({ randomShare: 0.005, deadZone: 6, lead: 'settle' }); break;
      case 'held': policy = this.held ??= new HeldRandomPolicy(); break;
      case 'dqn': policy = this.dqn ??= await this.makeDqn(plan.seed); break;
    }
    return recordEpisode(plan, policy, this.ctx);
  }

  dispose(): void {
    this.dqn?.dispose?.();
  }
}

// ---- the whole stage ------------------------------------------------------------------------------

export interface RecordSummary {
  out: string;
  episodes: number;
  steps: number;
  frames: number;
  meanScore: number;
  maxScore: number;
  minScore: number;
  bytes: number;
  previewBytes: number;
  seconds: number;
  framesPerSecond: number;
  interrupted: boolean;
}

export interface RecordDeps {
  /** The game (default: the real Breakout). Tests pass a small fake. */
  makeGame?: (cfg: RecordConfig) => GameSetup;
  /** The DQN policy (default: loadDqnPolicy on cfg.checkpoint). */
  makeDqn?: (seed: number) => Promise<Policy>;
  /** Progress output (default stderr). */
  stream?: NodeJS.WritableStream;
  /** Install the Ctrl-C handler (default true; tests turn it off and use `stop`). */
  handleSignals?: boolean;
  /** Polled between steps; true stops the recording like Ctrl-C. */
  stop?: () => boolean;
}

/** Remove files of episodes that never got their sidecar (an interrupted run), and stray temporaries. */
export function removeIncomplete(dir: string): string[] {
  if (!existsSync(dir)) return [];
  const removed: string[] = [];
  const names = readdirSync(dir);
  const complete = new Set(names.filter((n) => /^episode-\d+\.json$/.test(n)).map((n) => n.replace(/\.json$/, '')));
  for (const n of names) {
    const m = /^\.?(episode-\d+)\./.exec(n);
    if (!m) continue;
    const isTemp = n.startsWith('.');
    if (isTemp || !complete.has(m[1]!)) {
      rmSync(join(dir, n), { force: true });
      removed.push(n);
    }
  }
  return removed;
}

function summarize(results: EpisodeResult[]) {
  const scores = results.map((r) => r.score);
  const steps = results.reduce((s, r) => s + r.steps, 0);
  return {
    episodes: results.length,
    steps,
    frames: steps + results.length,
    meanScore: scores.length ? scores.reduce((a, b) => a + b, 0) / scores.length : 0,
    maxScore: scores.length ? Math.max(...scores) : 0,
    minScore: scores.length ? Math.min(...scores) : 0,
    bytes: results.reduce((s, r) => s + r.bytes, 0),
    previewBytes: results.reduce((s, r) => s + r.previewBytes, 0),
  };
}

async function writeRecordingManifest(run: Run<RecordConfig>, cfg: RecordConfig, game: Pick<GameSetup, 'romPath' | 'romMd5' | 'actionNames'>, usesDqn: boolean): Promise<EpisodeResult[]> {
  // From the sidecars on disk, so a resumed recording's manifest covers every episode.
  const episodes = listRecording(cfg.out).map(({ sidecar: s }) => s);
  const results: EpisodeResult[] = episodes.map((s) => {
    const counts = new Array<number>(s.actionSet.length).fill(0);
    for (const a of s.actions) counts[a]!++;
    const files = episodeFiles(cfg.out, s.episode);
    const size = (p: string) => (existsSync(p) ? statSize(p) : 0);
    return {
      episode: s.episode,
      policy: s.policy,
      seed: s.seed,
      steps: s.steps,
      score: s.score,
      terminated: s.terminated,
      truncated: s.truncated,
      bytes: size(files.video),
      previewBytes: size(files.preview),
      seconds: s.seconds,
      actionCounts: counts,
    };
  });
  const histogram: Record<string, number> = {};
  game.actionNames.forEach((name, i) => (histogram[name] = results.reduce((s, r) => s + (r.actionCounts[i] ?? 0), 0)));
  const inputs = [];
  if (game.romPath) inputs.push({ role: 'rom', path: game.romPath });
  if (usesDqn && existsSync(cfg.checkpoint)) inputs.push({ role: 'dqn-checkpoint', path: cfg.checkpoint });
  const totals = summarize(results);
  await run.writeManifest(inputs, {
    romMd5: game.romMd5,
    totals: { ...totals, sizeBytes: totals.bytes + totals.previewBytes },
    actionHistogram: histogram,
    episodes: results.map(({ actionCounts: _c, ...r }) => ({ ...r, file: `${episodeStem(r.episode)}.json` })),
  });
  return results;
}

const statSize = (p: string) => statSync(p).size;

/** Record `cfg.episodes` episodes into `cfg.out`; returns the figures also written to summary.json. */
export async function recordStage(options: Partial<RecordConfig>, deps: RecordDeps = {}): Promise<RecordSummary> {
  const cfg: RecordConfig = { ...RECORD_DEFAULTS, ...options };
  if (!cfg.out) cfg.out = join('data/recordings', timestampName());
  validateConfig(cfg);
  const plans = planEpisodes(cfg);
  const usesDqn = plans.some((p) => p.policy === 'dqn');
  if (usesDqn && !deps.makeDqn) checkDqnCheckpoint(cfg.checkpoint);
  const makeGame = deps.makeGame ?? makeRealGame;
  // Open the game once here too: a wrong ROM fails before any folder is made.
  const game = makeGame(cfg);

  // In-process recording loads the DQN before the folder is made: a bad checkpoint leaves nothing.
  const inProcess = cfg.workers <= 1 || plans.length <= 1;
  const recorder = inProcess ? new EpisodeRecorder({ game, cfg, onSteps: (n) => onSteps(n), shouldStop: () => shouldStop() }, deps.makeDqn) : undefined;
  await recorder?.prepare(usesDqn, plans[0]!.seed);

  const outExisted = existsSync(cfg.out) && readdirSync(cfg.out).length > 0;
  let run: Run<RecordConfig>;
  if (cfg.resume && existsSync(join(cfg.out, 'config.json'))) {
    run = await openRun<RecordConfig>(cfg.out);
    const keep = run.config;
    for (const k of ['policy', 'episodes', 'percentRandom', 'seed', 'frameSkip', 'sticky', 'maxSteps'] as const) {
      if (keep[k] !== cfg[k]) throw new UserError(`--resume ${cfg.out}: --${k} differs from the recording's (${String(keep[k])}); resume with the same settings`);
    }
    removeIncomplete(cfg.out);
  } else {
    run = await createRun({ stage: 'record', dir: cfg.out, config: cfg });
  }
  const done = new Set(cfg.resume ? listRecording(cfg.out).map((e) => e.sidecar.episode) : []);
  const todo = plans.filter((p) => !done.has(p.episode));

  const progress = new Progress({ total: plans.length, initial: done.size, label: 'record', unit: 'ep', stream: deps.stream });
  const started = Date.now();
  const results: EpisodeResult[] = [];
  let stepsSeen = 0;
  let stopping = false;
  const shouldStop = () => stopping || (deps.stop?.() ?? false);
  const onSteps = (n: number) => {
    stepsSeen += n;
    progress.update(done.size + results.length, { 'frames/s': Math.round(stepsSeen / ((Date.now() - started) / 1000)) });
  };
  const onResult = (r: EpisodeResult) => {
    results.push(r);
    run.logMetrics({ step: r.episode, episode: r.episode, policy: r.policy, score: r.score, steps: r.steps, bytes: r.bytes, seconds: r.seconds });
    const mean = results.reduce((s, x) => s + x.score, 0) / results.length;
    progress.update(done.size + results.length, { 'mean score': mean, 'frames/s': Math.round(stepsSeen / ((Date.now() - started) / 1000)) });
  };
  const disposeSignals =
    deps.handleSignals === false
      ? () => {}
      : onInterrupt(
          () => {
            stopping = true;
            progress.log('stopping: the episodes being recorded are dropped, complete ones are kept');
          },
          {
            exit: false,
            onForceExit: () => {
              killActiveFfmpeg();
              removeIncomplete(cfg.out);
            },
          },
        );

  try {
    if (recorder) {
      for (const plan of todo) {
        if (shouldStop()) break;
        const r = await recorder.record(plan);
        if (r) onResult(r);
      }
    } else {
      await recordWithWorkers(cfg, todo, { onSteps, onResult, shouldStop });
    }
  } catch (err) {
    progress.finish();
    removeIncomplete(cfg.out);
    // A failure before any episode was complete leaves no folder behind (unless it was there before).
    if (!outExisted && listRecording(cfg.out).length === 0) rmSync(cfg.out, { recursive: true, force: true });
    throw err;
  } finally {
    recorder?.dispose();
    disposeSignals();
    if (shouldStop()) removeIncomplete(cfg.out);
  }
  const interrupted = shouldStop() && done.size + results.length < plans.length;
  progress.finish();
  const all = await writeRecordingManifest(run, cfg, game, usesDqn);
  const seconds = (Date.now() - started) / 1000;
  const totals = summarize(all);
  const newFrames = results.reduce((s, r) => s + r.steps + 1, 0);
  const summary: RecordSummary = { out: cfg.out, ...totals, seconds, framesPerSecond: newFrames / seconds, interrupted };
  run.writeSummary({ ...summary });
  await run.close();
  return summary;
}

// ---- parallel recording ---------------------------------------------------------------------------

export type WorkerRequest = { type: 'episode'; plan: EpisodePlan } | { type: 'stop' };
export type WorkerReply =
  | { type: 'ready' }
  | { type: 'steps'; n: number }
  | { type: 'result'; result: EpisodeResult | null }
  | { type: 'error'; message: string; userFacing: boolean };

async function recordWithWorkers(
  cfg: RecordConfig,
  todo: EpisodePlan[],
  hooks: { onSteps: (n: number) => void; onResult: (r: EpisodeResult) => void; shouldStop: () => boolean },
): Promise<void> {
  const queue = [...todo];
  const n = Math.min(cfg.workers, todo.length);
  let failure: Error | undefined;
  const workerUrl = new URL('./record-worker.ts', import.meta.url);
  const runOne = (index: number) =>
    new Promise<void>((resolveWorker) => {
      const worker = startTsWorker(workerUrl, { cfg: { ...cfg, out: resolve(cfg.out) }, index });
      const poll = setInterval(() => {
        if (hooks.shouldStop() || failure) worker.postMessage({ type: 'stop' } satisfies WorkerRequest);
      }, 100);
      const next = () => {
        const plan = hooks.shouldStop() || failure ? undefined : queue.shift();
        if (plan) worker.postMessage({ type: 'episode', plan } satisfies WorkerRequest);
        else void worker.terminate();
      };
      worker.on('message', (msg: WorkerReply) => {
        if (msg.type === 'ready') next();
        else if (msg.type === 'steps') hooks.onSteps(msg.n);
        else if (msg.type === 'result') {
          if (msg.result) hooks.onResult(msg.result);
          next();
        } else if (msg.type === 'error') {
          failure ??= msg.userFacing ? new UserError(msg.message) : new Error(msg.message);
          void worker.terminate();
        }
      });
      worker.on('error', (err) => {
        failure ??= err;
      });
      worker.on('exit', () => {
        clearInterval(poll);
        resolveWorker();
      });
    });
  await Promise.all(Array.from({ length: n }, (_, i) => runOne(i)));
  if (failure) throw failure;
}
