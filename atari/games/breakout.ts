/**
 * Breakout (Atari, 1978), md5 f34f08e5eb96e500e851a80be3277a56: ALE's rules for it.
 * Score is three BCD digits in $CC (hundreds, low nibble) and $CD (tens and units); the lives
 * byte is $B9; the game mode byte is $B2. The game counts as started once the lives byte has
 * been 5, and is over when started and the byte is 0.
 */
import type { GameRules } from './types';

/** The ROM these rules are for (ALE's supported-ROM md5). */
export const BREAKOUT_MD5 = 'f34f08e5eb96e500e851a80be3277a56';

const SCORE_HUNDREDS = 0x4c; // $CC
const SCORE_TENS_UNITS = 0x4d; // $CD
const LIVES = 0x39; // $B9
const MODE = 0x32; // $B2

export class BreakoutRules implements GameRules {
  readonly id = 'breakout';
  readonly md5 = BREAKOUT_MD5;
  readonly controller = 'paddles' as const;
  readonly minimalActions = [0, 1, 3, 4] as const;
  readonly modes = [0, 4, 8, 12, 16, 20, 24, 28, 32, 36, 40, 44] as const;
  readonly difficulties = [0, 1] as const;
  readonly defaultMode = 0;
  readonly startingActions = [] as const;
  readonly stateSize = 5;

  private score = 0;
  private lastReward = 0;
  private isTerminal = false;
  private started = false;
  private livesByte = 5;

  get reward(): number {
    return this.lastReward;
  }
  get terminal(): boolean {
    return this.isTerminal;
  }
  get lives(): number {
    return this.isTerminal ? 0 : this.livesByte;
  }

  reset(): void {
    this.score = 0;
    this.lastReward = 0;
    this.isTerminal = false;
    this.started = false;
    this.livesByte = 5;
  }

  step(ram: Uint8Array): void {
    const tu = ram[SCORE_TENS_UNITS];
    const score = (tu & 0x0f) + 10 * (tu >> 4) + 100 * (ram[SCORE_HUNDREDS] & 0x0f);
    this.lastReward = score - this.score;
    this.score = score;
    const lives = ram[LIVES];
    if (!this.started && lives === 5) this.started = true;
    this.isTerminal = this.started && lives === 0;
    this.livesByte = lives;
  }

  isModeSelected(ram: Uint8Array, mode: number): boolean {
    return ram[MODE] === mode;
  }

  saveState(out: Int32Array, at: number): void {
    out[at] = this.score;
    out[at + 1] = this.lastReward;
    out[at + 2] = this.isTerminal ? 1 : 0;
    out[at + 3] = this.started ? 1 : 0;
    out[at + 4] = this.livesByte;
  }

  loadState(s: Int32Array, at: number): void {
    this.score = s[at];
    this.lastReward = s[at + 1];
    this.isTerminal = s[at + 2] !== 0;
    this.started = s[at + 3] !== 0;
    this.livesByte = s[at + 4];
  }
}
