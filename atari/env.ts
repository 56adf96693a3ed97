/**
 * The environment agents use: the Gymnasium shape (`reset`/`step` returning observation, reward,
 * terminated, truncated, info) over our ALE, configured like Gymnasium's ALE v5 environments:
 *
 * - frame skip happens here, in the environment: `step` calls `ale.act` once per skipped frame and
 *   sums the rewards; ALE itself runs with frame skip 1. A random range draws the count per step
 *   from the environment's own seeded generator (not ALE's, so sticky actions are unaffected).
 * - sticky actions happen inside ALE (`repeatActionProbability`, default 0.25 as in v5), drawn from
 *   ALE's own generator, two draws per emulated frame.
 * - the observation is the screen (or RAM) after the last emulated frame of the step.
 *
 * Seeding: ALE seeds its generator only when a ROM is loaded. `reset({ seed })` therefore builds a
 * fresh `Ale` with `randomSeed = seed` (as an unsigned 32-bit value: seed 123 here matches ALE's
 * `random_seed=123`, see test/atari/env.test.ts), and reseeds the frame-skip generator from the same
 * seed. `reset()` without a seed just resets the game and lets both generators run on. Until the first
 * seeded reset, the seed is 0.
 */
import { Ale, type AleSettings, type AleState } from './ale';

export type ObsType = 'rgb' | 'grayscale' | 'ram';

export interface EnvOptions {
  /** What `observation` holds: the 210x160x3 RGB screen (default), the 210x160 grayscale screen, or the 128 RAM bytes. */
  obsType?: ObsType;
  /** Emulated frames per `step` (default 4, as Gymnasium's v5); `[lo, hi]` draws uniformly from lo..hi-1 per step (Gymnasium's convention). */
  frameSkip?: number | [number, number];
  /** Probability that ALE keeps the previous action for a frame (sticky actions); default 0.25. */
  repeatActionProbability?: number;
  /** All 18 ALE actions instead of the game's minimal set (Breakout: NOOP, FIRE, RIGHT, LEFT). */
  fullActionSpace?: boolean;
  /** Game mode (an ALE mode id; Breakout: 0, 4, ..., 44). Default 0. */
  mode?: number;
  /** Game difficulty (Breakout: 0 or 1). Default 0. */
  difficulty?: number;
  /** Episode length limit in emulated frames; reaching it sets `truncated`. 0 = none (default). */
  maxNumFramesPerEpisode?: number;
}

export interface StepInfo {
  lives: number;
  frameNumber: number;
  episodeFrameNumber: number;
}

export interface StepResult {
  observation: Uint8Array;
  reward: number;
  terminated: boolean;
  truncated: boolean;
  info: StepInfo;
}

/** A saved environment: the emulator with ALE's generator, plus the frame-skip generator. */
export interface EnvState {
  readonly ale: AleState;
  readonly rng: number;
}

/** The subset of `Ale` the environment uses (lets tests drive the environment with a small fake). */
export type AleFactory = (rom: Uint8Array, settings: Partial<AleSettings>) => Ale;

/** A bad environment option: the CLI prints only the message. */
export class EnvOptionError extends Error {
  readonly userFacing = true;
  constructor(message: string) {
    super(message);
    this.name = 'EnvOptionError';
  }
}

export const SCREEN_HEIGHT = 210;
export const SCREEN_WIDTH = 160;
export const RAM_SIZE = 128;

export class AtariEnv {
  readonly actionSet: readonly number[];
  readonly numActions: number;
  readonly observationShape: readonly number[];
  readonly obsType: ObsType;

  private aleInstance: Ale;
  private readonly rom: Uint8Array;
  private readonly createAle: AleFactory;
  private readonly frameSkipLo: number;
  private readonly frameSkipHi: number; // exclusive; lo + 1 when fixed
  private readonly maxFrames: number;
  private readonly repeatActionProbability: number;
  private readonly mode: number;
  private readonly difficulty: number;
  private rngState = 0;
  /** The seed of a freshly loaded ALE nothing has touched yet (a seeded reset to it need not reload). */
  private pristineSeed: number | null = null;

  constructor(rom: Uint8Array, options: EnvOptions = {}, createAle: AleFactory = (r, s) => new Ale(r, s)) {
    this.rom = rom;
    this.createAle = createAle;
    this.obsType = options.obsType ?? 'rgb';
    if (!['rgb', 'grayscale', 'ram'].includes(this.obsType)) {
      throw new EnvOptionError(`obsType must be rgb, grayscale or ram, not ${String(this.obsType)}`);
    }
    const skip = options.frameSkip ?? 4;
    if (typeof skip === 'number') {
      if (!Number.isInteger(skip) || skip < 1) throw new EnvOptionError(`frameSkip must be an integer >= 1, not ${skip}`);
      this.frameSkipLo = skip;
      this.frameSkipHi = skip + 1;
    } else {
      const [lo, hi] = skip;
      if (!Number.isInteger(lo) || !Number.isInteger(hi) || lo < 1 || hi <= lo) {
        throw new EnvOptionError(`frameSkip range [lo, hi) needs integers 1 <= lo < hi, not [${lo}, ${hi}]`);
      }
      this.frameSkipLo = lo;
      this.frameSkipHi = hi;
    }
    this.repeatActionProbability = options.repeatActionProbability ?? 0.25;
    if (!(this.repeatActionProbability >= 0 && this.repeatActionProbability <= 1)) {
      throw new EnvOptionError(`repeatActionProbability must be in [0, 1], not ${this.repeatActionProbability}`);
    }
    this.maxFrames = options.maxNumFramesPerEpisode ?? 0;
    if (!Number.isInteger(this.maxFrames) || this.maxFrames < 0) {
      throw new EnvOptionError(`maxNumFramesPerEpisode must be an integer >= 0, not ${this.maxFrames}`);
    }
    this.mode = options.mode ?? 0;
    this.difficulty = options.difficulty ?? 0;

    this.aleInstance = this.load(0);
    this.actionSet = Object.freeze(
      options.fullActionSpace ? [...this.aleInstance.getLegalActionSet()] : [...this.aleInstance.getMinimalActionSet()],
    );
    this.numActions = this.actionSet.length;
    this.observationShape = Object.freeze(
      this.obsType === 'rgb' ? [SCREEN_HEIGHT, SCREEN_WIDTH, 3] : this.obsType === 'grayscale' ? [SCREEN_HEIGHT, SCREEN_WIDTH] : [RAM_SIZE],
    );
  }

  /** The emulator underneath (a new instance after each seeded reset). */
  get ale(): Ale {
    return this.aleInstance;
  }

  /** Loads the ROM into a fresh ALE seeded with `seed`, applies mode and difficulty (effective at the next reset). */
  private load(seed: number): Ale {
    const ale = this.createAle(this.rom, {
      randomSeed: seed >>> 0,
      repeatActionProbability: this.repeatActionProbability,
      frameSkip: 1,
      mode: this.mode,
      difficulty: this.difficulty,
      maxNumFramesPerEpisode: this.maxFrames,
    });
    const modes = ale.getAvailableModes();
    if (!modes.includes(this.mode)) throw new EnvOptionError(`mode ${this.mode} is not available; available modes: ${modes.join(', ')}`);
    const difficulties = ale.getAvailableDifficulties();
    if (!difficulties.includes(this.difficulty)) {
      throw new EnvOptionError(`difficulty ${this.difficulty} is not available; available: ${difficulties.join(', ')}`);
    }
    ale.setMode(this.mode);
    ale.setDifficulty(this.difficulty);
    this.rngState = mixSeed(seed);
    this.pristineSeed = seed;
    return ale;
  }

  /** Starts a new episode; with a seed, reseeds ALE's generator (by reloading the ROM) and the frame-skip generator. */
  reset(options: { seed?: number } = {}): { observation: Uint8Array; info: StepInfo } {
    if (options.seed !== undefined) {
      if (!Number.isInteger(options.seed)) throw new EnvOptionError(`seed must be an integer, not ${options.seed}`);
      if (this.pristineSeed !== options.seed) this.aleInstance = this.load(options.seed);
    }
    this.pristineSeed = null;
    this.aleInstance.resetGame();
    return { observation: this.observe(), info: this.info() };
  }

  /** Takes `action` (an index into `actionSet`) for this step's frames and returns what happened. */
  step(action: number): StepResult {
    const aleAction = this.actionSet[action];
    if (aleAction === undefined || !Number.isInteger(action)) {
      throw new RangeError(`action must be an integer index in 0..${this.numActions - 1}, not ${action}`);
    }
    this.pristineSeed = null;
    const frames = this.frameSkipHi - this.frameSkipLo === 1 ? this.frameSkipLo : this.drawFrameSkip();
    const ale = this.aleInstance;
    let reward = 0;
    // Like Gymnasium's ALE env, act() is called for every frame even after the game ended: ALE then
    // emulates nothing but still draws from its generator, which keeps the sticky-action stream identical.
    for (let i = 0; i < frames; i++) reward += ale.act(aleAction);
    const episodeFrame = ale.getEpisodeFrameNumber();
    const truncated = this.maxFrames > 0 && episodeFrame >= this.maxFrames;
    // Ale.gameOver() includes the frame limit (as ALE's game_over(with_truncation=True)); the game's
    // own end is the rules' terminal flag.
    const rules = (ale as { rules?: { terminal: boolean } }).rules;
    const terminated = rules ? rules.terminal : ale.gameOver() && !(truncated && ale.lives() > 0);
    return {
      observation: this.observe(),
      reward,
      terminated,
      truncated: truncated && !terminated,
      info: { lives: ale.lives(), frameNumber: ale.getFrameNumber(), episodeFrameNumber: episodeFrame },
    };
  }

  screenRGB(out?: Uint8Array): Uint8Array {
    return this.aleInstance.getScreenRGB(out);
  }

  screenGrayscale(out?: Uint8Array): Uint8Array {
    return this.aleInstance.getScreenGrayscale(out);
  }

  /** Everything needed to continue exactly from here, ALE's sticky-action generator included. */
  getState(): EnvState {
    return { ale: this.aleInstance.cloneState(true), rng: this.rngState };
  }

  setState(state: EnvState): void {
    this.pristineSeed = null;
    this.aleInstance.restoreState(state.ale);
    this.rngState = state.rng;
  }

  /**
   * For planning: for each i, restore `states[i]`, take `actions[i]`, save the state reached. The
   * environment is put back where it was before the call.
   */
  stepBatch(states: readonly EnvState[], actions: readonly number[]): { results: StepResult[]; states: EnvState[] } {
    if (states.length !== actions.length) {
      throw new RangeError(`stepBatch needs one action per state: ${states.length} states, ${actions.length} actions`);
    }
    const saved = this.getState();
    const results: StepResult[] = [];
    const next: EnvState[] = [];
    try {
      for (let i = 0; i < states.length; i++) {
        this.setState(states[i]);
        results.push(this.step(actions[i]));
        next.push(this.getState());
      }
    } finally {
      this.setState(saved);
    }
    return { results, states: next };
  }

  private observe(): Uint8Array {
    const ale = this.aleInstance;
    if (this.obsType === 'rgb') return ale.getScreenRGB(new Uint8Array(SCREEN_HEIGHT * SCREEN_WIDTH * 3));
    if (this.obsType === 'grayscale') return ale.getScreenGrayscale(new Uint8Array(SCREEN_HEIGHT * SCREEN_WIDTH));
    return Uint8Array.from(ale.getRAM());
  }

  private info(): StepInfo {
    const ale = this.aleInstance;
    return { lives: ale.lives(), frameNumber: ale.getFrameNumber(), episodeFrameNumber: ale.getEpisodeFrameNumber() };
  }

  /** Uniform integer in [frameSkipLo, frameSkipHi) from a mulberry32 generator whose state is one number. */
  private drawFrameSkip(): number {
    this.rngState = (this.rngState + 0x6d2b79f5) | 0;
    let t = this.rngState;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    const u = ((t ^ (t >>> 14)) >>> 0) / 4294967296;
    return this.frameSkipLo + Math.floor(u * (this.frameSkipHi - this.frameSkipLo));
  }
}

/** A well-mixed 32-bit start state for the frame-skip generator (so seeds 0, 1, 2 differ a lot). */
function mixSeed(seed: number): number {
  let z = (seed ^ 0x9e3779b9) | 0;
  z = Math.imul(z ^ (z >>> 16), 0x85ebca6b);
  z = Math.imul(z ^ (z >>> 13), 0xc2b2ae35);
  return (z ^ (z >>> 16)) | 0;
}
