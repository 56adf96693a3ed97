// The game side of DQN training: N preprocessed Breakout games stepped together, either in this
// thread or in a worker thread (so the game and the learner each get a core).
//
// Every step of every game reports what the learner needs: the next observation, the raw reward and
// whether a life was lost or the game ended. Games restart by themselves: when a game ends (or a life
// is lost, after which FIRE is pressed) the result carries `restartFrame`, the first observation of
// the next life, and finished games report their score and length.
import type { Worker } from 'node:worker_threads';
import { startTsWorker } from '../models/ts-worker';
import { AtariEnv } from '../atari/env';
import { AtariPreprocessing, type ObsKind } from './atari-preprocessing';

export interface GameSettings {
  obs: ObsKind;
  frameSkip: number;
  /** Sticky-action probability (ALE v5: 0.25). */
  stickyActions: number;
  /** Truncate a game after this many emulated frames (ALE v5: 108,000 = 30 minutes). */
  maxEpisodeFrames: number;
}

export interface EnvStep {
  /** Observation after the action (s'). */
  frame: Uint8Array;
  /** Raw reward of the agent's step. */
  reward: number;
  /** The game is over. */
  gameOver: boolean;
  /** The game hit the frame limit (not a terminal state). */
  truncated: boolean;
  lifeLost: boolean;
  /** First observation of the next life or game, when this step ended one. */
  restartFrame?: Uint8Array;
  /** When a game ended: its score (FIRE presses included) and length in agent steps. */
  game?: { score: number; steps: number; frames: number };
  /** Emulated frames this step took (automatic FIRE and reset included). */
  frames: number;
}

/** N games stepped together; async so a worker can run them while the caller trains. */
export interface VecEnv {
  readonly numEnvs: number;
  readonly numActions: number;
  readonly frameSize: number;
  /** Start every game; returns each game's first observation. */
  reset(): Promise<Uint8Array[]>;
  step(actions: number[]): Promise<EnvStep[]>;
  close(): Promise<void>;
}

/** The synchronous core: used directly in-process, and inside the worker. */
export class GameBatch {
  readonly games: AtariPreprocessing[];
  private readonly scores: number[];
  private readonly steps: number[];
  private readonly frameCounts: number[];
  private readonly seed: number;

  constructor(rom: Uint8Array, settings: GameSettings, numEnvs: number, seed: number) {
    this.seed = seed;
    this.games = Array.from({ length: numEnvs }, () => {
      const env = new AtariEnv(rom, {
        obsType: 'ram',
        frameSkip: 1,
        repeatActionProbability: settings.stickyActions,
        maxNumFramesPerEpisode: settings.maxEpisodeFrames,
      });
      return new AtariPreprocessing(env, { obs: settings.obs, frameSkip: settings.frameSkip, fireOnLifeStart: true });
    });
    this.scores = new Array(numEnvs).fill(0);
    this.steps = new Array(numEnvs).fill(0);
    this.frameCounts = new Array(numEnvs).fill(0);
  }

  get numActions(): number {
    return this.games[0].numActions;
  }

  get frameSize(): number {
    return this.games[0].frameSize;
  }

  reset(): Uint8Array[] {
    return this.games.map((g, i) => {
      const r = g.reset(this.seed + i);
      this.scores[i] = r.reward;
      this.steps[i] = 0;
      this.frameCounts[i] = g.opts.frameSkip;
      return r.frame;
    });
  }

  step(actions: number[]): EnvStep[] {
    return this.games.map((g, i) => {
      const s = g.step(actions[i]);
      this.scores[i] += s.reward;
      this.steps[i]++;
      this.frameCounts[i] += s.frames;
      let frames = s.frames;
      const out: EnvStep = { frame: s.frame, reward: s.reward, gameOver: s.terminated, truncated: s.truncated, lifeLost: s.lifeLost, frames };
      let over = s.terminated || s.truncated;
      if (!over && s.lifeLost) {
        const f = g.fire();
        frames += f.frames;
        this.frameCounts[i] += f.frames;
        this.scores[i] += f.reward;
        if (f.terminated || f.truncated) over = true;
        else out.restartFrame = f.frame;
      }
      if (over) {
        out.game = { score: this.scores[i], steps: this.steps[i], frames: this.frameCounts[i] };
        const r = g.reset();
        frames += g.opts.frameSkip;
        out.restartFrame = r.frame;
        this.scores[i] = r.reward;
        this.steps[i] = 0;
        this.frameCounts[i] = g.opts.frameSkip;
      }
      out.frames = frames;
      return out;
    });
  }
}

/** Games in this thread (tests, and machines with one core). */
export class LocalVecEnv implements VecEnv {
  private readonly batch: GameBatch;
  constructor(rom: Uint8Array, settings: GameSettings, numEnvs: number, seed: number) {
    this.batch = new GameBatch(rom, settings, numEnvs, seed);
  }
  get numEnvs(): number {
    return this.batch.games.length;
  }
  get numActions(): number {
    return this.batch.numActions;
  }
  get frameSize(): number {
    return this.batch.frameSize;
  }
  async reset(): Promise<Uint8Array[]> {
    return this.batch.reset();
  }
  async step(actions: number[]): Promise<EnvStep[]> {
    return this.batch.step(actions);
  }
  async close(): Promise<void> {}
}

export interface WorkerInit {
  rom: Uint8Array;
  settings: GameSettings;
  numEnvs: number;
  seed: number;
}

type WorkerReply = { id: number; ok: true; value: unknown } | { id: number; ok: false; error: string };

/** Games in a worker thread: `step` returns at once and resolves when the worker replies. */
export class WorkerVecEnv implements VecEnv {
  readonly numEnvs: number;
  numActions = 0;
  frameSize = 0;
  private readonly worker: Worker;
  private nextId = 0;
  private readonly pending = new Map<number, { resolve: (v: unknown) => void; reject: (e: Error) => void }>();

  private constructor(init: WorkerInit) {
    this.numEnvs = init.numEnvs;
    this.worker = startTsWorker(new URL('./dqn-env-worker.ts', import.meta.url), init);
    this.worker.on('message', (msg: WorkerReply) => {
      const p = this.pending.get(msg.id);
      if (!p) return;
      this.pending.delete(msg.id);
      if (msg.ok) p.resolve(msg.value);
      else p.reject(new Error(`game worker: ${msg.error}`));
    });
    this.worker.on('error', (err) => {
      for (const p of this.pending.values()) p.reject(err);
      this.pending.clear();
    });
  }

  static async create(init: WorkerInit): Promise<WorkerVecEnv> {
    const env = new WorkerVecEnv(init);
    const info = (await env.call('info')) as { numActions: number; frameSize: number };
    env.numActions = info.numActions;
    env.frameSize = info.frameSize;
    return env;
  }

  private call(kind: string, arg?: unknown): Promise<unknown> {
    const id = this.nextId++;
    return new Promise((resolve, reject) => {
      this.pending.set(id, { resolve, reject });
      this.worker.postMessage({ id, kind, arg });
    });
  }

  async reset(): Promise<Uint8Array[]> {
    return (await this.call('reset')) as Uint8Array[];
  }

  async step(actions: number[]): Promise<EnvStep[]> {
    return (await this.call('step', actions)) as EnvStep[];
  }

  async close(): Promise<void> {
    await this.worker.terminate();
  }
}
