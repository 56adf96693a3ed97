// What plays during recording. A Policy picks an action index (into the environment's minimal
// action set, e.g. Breakout's NOOP, FIRE, RIGHT, LEFT) from what the environment shows.

/** The environment surface the pipeline uses (atari/env.ts's AtariEnv provides it). */
export interface EnvInfo {
  lives: number;
  frameNumber: number;
  episodeFrameNumber: number;
}

export interface StepResult {
  observation: unknown;
  reward: number;
  terminated: boolean;
  truncated: boolean;
  info: EnvInfo;
}

export interface EnvLike {
  reset(opts?: { seed?: number }): { observation: unknown; info: EnvInfo };
  step(action: number): StepResult;
  /** The current screen as 210x160x3 RGB bytes. */
  screenRGB(): Uint8Array;
  ale: { getRAM(): Uint8Array };
}

export interface PolicyObservation {
  /** The screen after the last step (210x160x3 RGB); the frame the video records. */
  screen: Uint8Array;
  /** The 128 bytes of console RAM. */
  ram: Uint8Array;
  /** Whatever the environment returned as observation (its obsType decides the form). */
  observation: unknown;
  lives: number;
  /** Agent steps taken so far in this episode. */
  step: number;
  /** The environment itself, for policies that need more (e.g. the frame before last for max-pooling). */
  env: EnvLike;
}

export interface Policy {
  /** Written to each episode's sidecar, e.g. 'random' or 'dqn(epsilon=0.05)'. */
  name: string;
  act(obs: PolicyObservation): number;
  /** Called at the start of each episode (clear frame stacks etc.). */
  reset?(seed: number): void;
  /** Free tensors and the like. */
  dispose?(): void;
}

/** xorshift-style PRNG (mulberry32): small, fast, and reproducible from a seed. */
export function seededRandom(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

/** Uniformly random actions, reproducible: the sequence depends only on the seed given to reset. */
export class RandomPolicy implements Policy {
  readonly name = 'random';
  private rng: () => number;
  constructor(
    private readonly numActions: number,
    seed = 0,
  ) {
    this.rng = seededRandom(seed);
  }
  reset(seed: number): void {
    this.rng = seededRandom(seed ^ 0x5eed);
  }
  act(): number {
    return Math.floor(this.rng() * this.numActions);
  }
}
