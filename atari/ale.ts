/**
 * The Arcade Learning Environment's rules on top of the console, as ALE 0.12.1 applies them:
 * the reset sequence, act() with frame skip and sticky actions drawn from ALE's own generator,
 * paddle and joystick input, per-game reward/lives/terminal, modes and difficulties, frame
 * counters, screens, RAM and state cloning.
 */
import { Console, NO_PADDLE } from './console';
import type { MachineState } from './console';
import { rulesForRom, type GameRules } from './games/index';
import { Mt19937 } from './mt19937';
import { PALETTE_GRAY, PALETTE_RGB } from './palette';
import { FRAME_HEIGHT, FRAME_WIDTH } from './tia';

export interface AleSettings {
  randomSeed: number;
  repeatActionProbability: number;
  frameSkip: number;
  mode: number;
  difficulty: number;
  maxNumFramesPerEpisode: number;
}

export const DEFAULT_ALE_SETTINGS: AleSettings = {
  randomSeed: 0,
  repeatActionProbability: 0.25,
  frameSkip: 1,
  mode: 0,
  difficulty: 0,
  maxNumFramesPerEpisode: 0,
};

/** ALE action ids. */
export const Action = {
  NOOP: 0,
  FIRE: 1,
  UP: 2,
  RIGHT: 3,
  LEFT: 4,
  DOWN: 5,
  UPRIGHT: 6,
  UPLEFT: 7,
  DOWNRIGHT: 8,
  DOWNLEFT: 9,
  UPFIRE: 10,
  RIGHTFIRE: 11,
  LEFTFIRE: 12,
  DOWNFIRE: 13,
  UPRIGHTFIRE: 14,
  UPLEFTFIRE: 15,
  DOWNRIGHTFIRE: 16,
  DOWNLEFTFIRE: 17,
} as const;
export const ACTION_NAMES = [
  'NOOP', 'FIRE', 'UP', 'RIGHT', 'LEFT', 'DOWN', 'UPRIGHT', 'UPLEFT', 'DOWNRIGHT', 'DOWNLEFT',
  'UPFIRE', 'RIGHTFIRE', 'LEFTFIRE', 'DOWNFIRE', 'UPRIGHTFIRE', 'UPLEFTFIRE', 'DOWNRIGHTFIRE', 'DOWNLEFTFIRE',
] as const;
/** Internal pseudo-action: the console RESET switch held (ALE's soft reset). */
const RESET_ACTION = 40;

// Action properties: bit 0 fire, 1 up, 2 right, 3 left, 4 down.
const A_FIRE = 1;
const A_UP = 2;
const A_RIGHT = 4;
const A_LEFT = 8;
const A_DOWN = 16;
// prettier-ignore
const ACTION_BITS = new Uint8Array([
  0, A_FIRE, A_UP, A_RIGHT, A_LEFT, A_DOWN, A_UP | A_RIGHT, A_UP | A_LEFT, A_DOWN | A_RIGHT, A_DOWN | A_LEFT,
  A_UP | A_FIRE, A_RIGHT | A_FIRE, A_LEFT | A_FIRE, A_DOWN | A_FIRE, A_UP | A_RIGHT | A_FIRE,
  A_UP | A_LEFT | A_FIRE, A_DOWN | A_RIGHT | A_FIRE, A_DOWN | A_LEFT | A_FIRE,
]);

export const PADDLE_MIN = 27450;
export const PADDLE_MAX = 790196;
export const PADDLE_DEFAULT = Math.trunc((PADDLE_MIN + PADDLE_MAX) / 2); // 408823
export const PADDLE_DELTA = 23000;

/** Frames ALE runs after a hardware reset before the RESET switch is pressed. */
const NOOP_FRAMES_AT_RESET = 60;
const SOFT_RESET_FRAMES = 4;
/** Frames Stella runs at ROM load to detect the display format. */
const DETECTION_FRAMES = 60;

/** Bad settings or arguments from the caller. */
export class AleError extends Error {
  readonly userFacing = true;
  constructor(message: string) {
    super(message);
    this.name = 'AleError';
  }
}

/** A saved environment: the machine, ALE's own counters and inputs, optionally the generator. */
export interface AleState {
  readonly machine: MachineState;
  /** Frame counters, paddles, remembered actions, mode, difficulty, game tracker. */
  readonly ale: Int32Array;
  /** The sticky-action generator, when cloned with `includeRng`. */
  readonly rng?: Uint32Array;
}

const ALE_STATE_WORDS = 12;

export class Ale {
  readonly console: Console;
  readonly rules: GameRules;
  private readonly settings: AleSettings;
  private readonly rng: Mt19937;

  private frameNumber = 0;
  private episodeFrameNumber = 0;
  private leftPaddle = PADDLE_DEFAULT;
  private rightPaddle = PADDLE_DEFAULT;
  /** Remembered (sticky) actions of players A and B, and A's paddle strength. */
  private actionA = 0;
  private actionB = 0;
  private strengthA = 1;
  private mode: number;
  private difficulty: number;
  private readonly screenCache = new ScreenCache();

  constructor(rom: Uint8Array, settings: Partial<AleSettings> = {}) {
    const s: AleSettings = { ...DEFAULT_ALE_SETTINGS, ...settings };
    if (!Number.isFinite(s.frameSkip) || s.frameSkip < 1) s.frameSkip = 1;
    s.frameSkip = Math.floor(s.frameSkip);
    if (!(s.repeatActionProbability >= 0 && s.repeatActionProbability <= 1)) {
      throw new AleError(`repeatActionProbability must be in [0, 1], got ${s.repeatActionProbability}`);
    }
    this.settings = s;
    this.rng = new Mt19937(s.randomSeed >>> 0);
    this.console = new Console(rom);
    this.rules = rulesForRom(rom);
    this.mode = this.rules.defaultMode;
    this.difficulty = 0;

    // Loading: the console's power-on, Stella's display-format detection frames, a second
    // hardware reset, then ALE's first reset_game() in the default mode and difficulty.
    const c = this.console;
    c.reset();
    c.inputResistance[0] = 0;
    c.inputResistance[1] = 0;
    c.swchb = 0x3f;
    for (let i = 0; i < DETECTION_FRAMES; i++) c.runFrame();
    c.reset();
    this.resetGame();
    if (s.mode !== this.mode || s.difficulty !== this.difficulty) {
      this.setMode(s.mode);
      this.setDifficulty(s.difficulty);
      this.resetGame();
    }
  }

  // -------------------------------------------------------------------------------------------
  // Episodes

  resetGame(): void {
    this.episodeFrameNumber = 0;
    this.leftPaddle = this.rightPaddle = PADDLE_DEFAULT;
    this.console.reset();
    for (let i = 0; i < NOOP_FRAMES_AT_RESET; i++) this.emulate(Action.NOOP, 1);
    this.softReset();
    this.rules.reset();
    // Mode selection: press SELECT until the game shows the requested mode.
    if (!this.rules.isModeSelected(this.console.riot.ram, this.mode)) {
      let presses = 0;
      while (!this.rules.isModeSelected(this.console.riot.ram, this.mode)) {
        if (++presses > 256) throw new AleError(`mode ${this.mode} could not be selected`);
        this.pressSelect();
      }
    }
    this.softReset();
    this.softReset();
    for (const a of this.rules.startingActions) this.emulate(a, 1);
  }

  private softReset(): void {
    for (let i = 0; i < SOFT_RESET_FRAMES; i++) this.emulate(RESET_ACTION, 1);
    this.actionA = Action.NOOP;
    this.actionB = Action.NOOP;
    this.strengthA = 1;
  }

  /** One frame with SELECT held (the game tracker is not updated), then one frame with no input. */
  private pressSelect(): void {
    this.setInputs(Action.NOOP, 1, false, true);
    this.console.runFrame();
    this.emulate(Action.NOOP, 1);
    this.frameNumber++;
    this.episodeFrameNumber++;
  }

  /** ALE action ids 0..17; returns the summed reward of the emulated frames. */
  act(action: number, paddleStrength = 1): number {
    if (!Number.isInteger(action) || action < 0 || action > 17) {
      throw new AleError(`invalid action ${action}: ALE actions are integers 0..17`);
    }
    const p = this.settings.repeatActionProbability;
    let sum = 0;
    for (let i = 0; i < this.settings.frameSkip; i++) {
      if (this.rng.nextDouble() >= p) {
        this.actionA = action;
        this.strengthA = paddleStrength;
      }
      // Player B's draw happens too; its action is always NOOP.
      if (this.rng.nextDouble() >= p) this.actionB = Action.NOOP;
      if (this.isTerminal()) continue;
      this.emulate(this.actionA, this.strengthA);
      this.frameNumber++;
      this.episodeFrameNumber++;
      sum += this.rules.reward;
    }
    return sum;
  }

  private isTerminal(): boolean {
    const max = this.settings.maxNumFramesPerEpisode;
    return this.rules.terminal || (max > 0 && this.episodeFrameNumber >= max);
  }

  /** One frame with player A's `action` applied, then the game tracker reads RAM. */
  private emulate(action: number, strength: number): void {
    this.setInputs(action, strength, action === RESET_ACTION, false);
    this.console.runFrame();
    this.rules.step(this.console.riot.ram);
  }

  /** Releases everything, then applies the action to the controllers and switches. */
  private setInputs(action: number, strength: number, reset: boolean, select: boolean): void {
    const c = this.console;
    const bits = action < 18 ? ACTION_BITS[action] : 0;
    c.swchb =
      0x3c | (select ? 0 : 0x02) | (reset ? 0 : 0x01) | (this.difficulty & 1 ? 0x40 : 0) | (this.difficulty & 2 ? 0x80 : 0);
    if (this.rules.controller === 'paddles') {
      if (!select) {
        let delta = 0;
        if (bits & A_RIGHT) delta = -PADDLE_DELTA;
        else if (bits & A_LEFT) delta = PADDLE_DELTA;
        const st = strength > 1 ? 1 : strength < -1 ? -1 : strength;
        this.leftPaddle += Math.trunc(delta * st);
        if (this.leftPaddle < PADDLE_MIN) this.leftPaddle = PADDLE_MIN;
        if (this.leftPaddle > PADDLE_MAX) this.leftPaddle = PADDLE_MAX;
      }
      c.inputResistance[0] = this.leftPaddle;
      c.inputResistance[1] = this.rightPaddle;
      c.inputResistance[2] = NO_PADDLE;
      c.inputResistance[3] = NO_PADDLE;
      // Paddle 0's button is SWCHA bit 7, paddle 1's bit 6; the right port's joystick is idle.
      c.swcha = bits & A_FIRE ? 0x7f : 0xff;
      c.inpt4 = 1;
      c.inpt5 = 1;
    } else {
      c.inputResistance.fill(NO_PADDLE);
      let a = 0xff;
      if (bits & A_UP) a &= ~0x10;
      if (bits & A_DOWN) a &= ~0x20;
      if (bits & A_LEFT) a &= ~0x40;
      if (bits & A_RIGHT) a &= ~0x80;
      c.swcha = a;
      c.inpt4 = bits & A_FIRE ? 0 : 1;
      c.inpt5 = 1;
    }
  }

  // -------------------------------------------------------------------------------------------
  // Queries

  gameOver(): boolean {
    return this.isTerminal();
  }

  lives(): number {
    return this.rules.lives;
  }

  getFrameNumber(): number {
    return this.frameNumber;
  }

  getEpisodeFrameNumber(): number {
    return this.episodeFrameNumber;
  }

  /** 210 x 160 TIA colour values of the last completed frame. A view: do not modify. */
  getScreen(): Uint8Array {
    return this.console.screen;
  }

  /** 210 x 160 x 3 RGB bytes, row-major. */
  getScreenRGB(out?: Uint8Array): Uint8Array {
    const n = FRAME_WIDTH * FRAME_HEIGHT;
    const dst = out ?? new Uint8Array(n * 3);
    if (dst.length < n * 3) throw new AleError(`getScreenRGB needs a buffer of ${n * 3} bytes, got ${dst.length}`);
    const src = this.console.screen;
    if (LITTLE_ENDIAN) {
      dst.set(this.screenCache.rgbOf(src));
    } else {
      for (let i = 0, j = 0; i < n; i++, j += 3) {
        const c = PALETTE_RGB[src[i]];
        dst[j] = c >>> 16;
        dst[j + 1] = (c >>> 8) & 0xff;
        dst[j + 2] = c & 0xff;
      }
    }
    return dst;
  }

  /** 210 x 160 luminance bytes (ALE's formula). */
  getScreenGrayscale(out?: Uint8Array): Uint8Array {
    const n = FRAME_WIDTH * FRAME_HEIGHT;
    const dst = out ?? new Uint8Array(n);
    if (dst.length < n) throw new AleError(`getScreenGrayscale needs a buffer of ${n} bytes, got ${dst.length}`);
    const src = this.console.screen;
    if (LITTLE_ENDIAN) dst.set(this.screenCache.grayOf(src));
    else for (let i = 0; i < n; i++) dst[i] = PALETTE_GRAY[src[i]];
    return dst;
  }

  /** The 128 bytes of RAM ($80-$FF). A live view: do not modify (use setRAM). */
  getRAM(): Uint8Array {
    return this.console.riot.ram;
  }

  setRAM(index: number, value: number): void {
    if (!Number.isInteger(index) || index < 0 || index > 127) {
      throw new AleError(`RAM index must be an integer 0..127, got ${index}`);
    }
    this.console.riot.ram[index] = value & 0xff;
  }

  // -------------------------------------------------------------------------------------------
  // Actions, modes, difficulties

  getMinimalActionSet(): number[] {
    return [...this.rules.minimalActions];
  }

  getLegalActionSet(): number[] {
    return Array.from({ length: 18 }, (_, i) => i);
  }

  getAvailableModes(): number[] {
    return [...this.rules.modes];
  }

  getAvailableDifficulties(): number[] {
    return [...this.rules.difficulties];
  }

  /** Takes effect at the next resetGame(). */
  setMode(m: number): void {
    if (!this.rules.modes.includes(m)) {
      throw new AleError(`invalid mode ${m}: available modes are ${this.rules.modes.join(', ')}`);
    }
    this.mode = m;
  }

  /** Sets the difficulty switches (from the next emulated frame; games read them at reset). */
  setDifficulty(d: number): void {
    if (!this.rules.difficulties.includes(d)) {
      throw new AleError(`invalid difficulty ${d}: available difficulties are ${this.rules.difficulties.join(', ')}`);
    }
    this.difficulty = d;
  }

  getMode(): number {
    return this.mode;
  }

  getDifficulty(): number {
    return this.difficulty;
  }

  // -------------------------------------------------------------------------------------------
  // State

  /**
   * Saves the machine and ALE's counters (not the frame buffers, as in ALE). With `includeRng`
   * the sticky-action generator is saved too, so a restore replays the same sticky draws.
   */
  cloneState(includeRng = false): AleState {
    const machine = this.console.saveState();
    const a = new Int32Array(ALE_STATE_WORDS + this.rules.stateSize);
    a[0] = this.frameNumber;
    a[1] = this.episodeFrameNumber;
    a[2] = this.leftPaddle;
    a[3] = this.rightPaddle;
    a[4] = this.actionA;
    a[5] = this.actionB;
    a[6] = Math.round(this.strengthA * 1e6);
    a[7] = this.mode;
    a[8] = this.difficulty;
    this.rules.saveState(a, ALE_STATE_WORDS);
    return includeRng ? { machine, ale: a, rng: this.rng.saveState() } : { machine, ale: a };
  }

  restoreState(state: AleState): void {
    const a = state.ale;
    if (a.length !== ALE_STATE_WORDS + this.rules.stateSize) {
      throw new AleError('restoreState: the state was saved by an environment for another game');
    }
    this.console.loadState(state.machine);
    this.frameNumber = a[0];
    this.episodeFrameNumber = a[1];
    this.leftPaddle = a[2];
    this.rightPaddle = a[3];
    this.actionA = a[4];
    this.actionB = a[5];
    this.strengthA = a[6] / 1e6;
    this.mode = a[7];
    this.difficulty = a[8];
    this.rules.loadState(a, ALE_STATE_WORDS);
    if (state.rng) this.rng.loadState(state.rng);
  }
}

const LITTLE_ENDIAN = new Uint8Array(new Uint32Array([1]).buffer)[0] === 1;

/**
 * RGB and grayscale versions of the screen, converted row by row and kept: a row whose colour
 * values equal those converted last time is not converted again (most rows of consecutive
 * frames are identical).
 */
class ScreenCache {
  private readonly rgb = new Uint8Array(FRAME_WIDTH * FRAME_HEIGHT * 3);
  private readonly rgb32 = new Uint32Array(this.rgb.buffer);
  private readonly rgbSrc = new Uint32Array((FRAME_WIDTH * FRAME_HEIGHT) >> 2);
  private rgbValid = false;
  private readonly gray = new Uint8Array(FRAME_WIDTH * FRAME_HEIGHT);
  private readonly gray32 = new Uint32Array(this.gray.buffer);
  private readonly graySrc = new Uint32Array((FRAME_WIDTH * FRAME_HEIGHT) >> 2);
  private grayValid = false;

  rgbOf(screen: Uint8Array): Uint8Array {
    const s32 = new Uint32Array(screen.buffer, screen.byteOffset, (FRAME_WIDTH * FRAME_HEIGHT) >> 2);
    const known = this.rgbSrc;
    const w = this.rgb32;
    const words = FRAME_WIDTH >> 2;
    for (let row = 0; row < FRAME_HEIGHT; row++) {
      const base = row * words;
      const stop = base + words;
      let k = base;
      if (this.rgbValid) while (k < stop && s32[k] === known[k]) k++;
      // Four pixels make three little-endian words: R0G0B0R1 G1B1R2G2 B2R3G3B3.
      for (; k < stop; k++) {
        const q = s32[k];
        known[k] = q;
        const j = k * 3;
        const p1 = (q >>> 8) & 0xff;
        const p2 = (q >>> 16) & 0xff;
        w[j] = RGB_T0[q & 0xff] | RGB_T1[p1];
        w[j + 1] = RGB_T2[p1] | RGB_T3[p2];
        w[j + 2] = RGB_T4[p2] | RGB_T5[q >>> 24];
      }
    }
    this.rgbValid = true;
    return this.rgb;
  }

  grayOf(screen: Uint8Array): Uint8Array {
    const s32 = new Uint32Array(screen.buffer, screen.byteOffset, (FRAME_WIDTH * FRAME_HEIGHT) >> 2);
    const known = this.graySrc;
    const g = this.gray32;
    const words = FRAME_WIDTH >> 2;
    for (let row = 0; row < FRAME_HEIGHT; row++) {
      const base = row * words;
      const stop = base + words;
      let k = base;
      if (this.grayValid) while (k < stop && s32[k] === known[k]) k++;
      for (; k < stop; k++) {
        const q = s32[k];
        known[k] = q;
        g[k] =
          PALETTE_GRAY[q & 0xff] |
          (PALETTE_GRAY[(q >>> 8) & 0xff] << 8) |
          (PALETTE_GRAY[(q >>> 16) & 0xff] << 16) |
          (PALETTE_GRAY[q >>> 24] << 24);
      }
    }
    this.grayValid = true;
    return this.gray;
  }
}

// Colour bytes pre-shifted for getScreenRGB's packing of 4 pixels into 3 little-endian words.
const RGB_T0 = new Int32Array(256); // R G B of pixel 0 in bytes 0-2
const RGB_T1 = new Int32Array(256); // R of pixel 1 in byte 3
const RGB_T2 = new Int32Array(256); // G B of pixel 1 in bytes 0-1
const RGB_T3 = new Int32Array(256); // R G of pixel 2 in bytes 2-3
const RGB_T4 = new Int32Array(256); // B of pixel 2 in byte 0
const RGB_T5 = new Int32Array(256); // R G B of pixel 3 in bytes 1-3
for (let v = 0; v < 256; v++) {
  const c = PALETTE_RGB[v];
  const r = c >>> 16;
  const g = (c >>> 8) & 0xff;
  const b = c & 0xff;
  RGB_T0[v] = r | (g << 8) | (b << 16);
  RGB_T1[v] = r << 24;
  RGB_T2[v] = g | (b << 8);
  RGB_T3[v] = (r << 16) | (g << 24);
  RGB_T4[v] = b;
  RGB_T5[v] = (r << 8) | (g << 16) | (b << 24);
}
