/**
 * Game rules by ROM md5. A ROM we have no rules for still runs, with `UnknownGameRules`: a joystick,
 * all 18 actions, no reward and no end.
 */
import { md5Hex } from '../md5';
import { BREAKOUT_MD5, BreakoutRules } from './breakout';
import type { GameRules } from './types';

export type { ControllerKind, GameRules } from './types';

const FACTORIES: Record<string, () => GameRules> = {
  [BREAKOUT_MD5]: () => new BreakoutRules(),
};

const ALL_ACTIONS = Array.from({ length: 18 }, (_, i) => i);

export class UnknownGameRules implements GameRules {
  readonly id = 'unknown';
  readonly controller = 'joystick' as const;
  readonly minimalActions = ALL_ACTIONS;
  readonly modes = [0];
  readonly difficulties = [0];
  readonly defaultMode = 0;
  readonly startingActions = [];
  readonly reward = 0;
  readonly terminal = false;
  readonly lives = 0;
  readonly stateSize = 0;
  constructor(readonly md5: string) {}
  reset(): void {}
  step(): void {}
  isModeSelected(): boolean {
    return true;
  }
  saveState(): void {}
  loadState(): void {}
}

/** The rules for a ROM image (looked up by md5), or `UnknownGameRules`. */
export function rulesForRom(rom: Uint8Array): GameRules {
  const md5 = md5Hex(rom);
  const make = FACTORIES[md5];
  return make ? make() : new UnknownGameRules(md5);
}

/** md5s of the ROMs that have rules. */
export const SUPPORTED_MD5S: readonly string[] = Object.keys(FACTORIES);
