/**
 * What ALE knows about one game ROM: its controller, action sets, modes and difficulties, how a
 * mode is selected, and how reward, lives and the end of the game are read from RAM.
 */
export type ControllerKind = 'paddles' | 'joystick';

export interface GameRules {
  readonly id: string;
  readonly md5: string;
  readonly controller: ControllerKind;
  readonly minimalActions: readonly number[];
  readonly modes: readonly number[];
  readonly difficulties: readonly number[];
  readonly defaultMode: number;
  /** Actions ALE emulates once at the end of every reset (none for most games). */
  readonly startingActions: readonly number[];
  /** Reward of the last `step`. */
  readonly reward: number;
  readonly terminal: boolean;
  /** ALE's lives(): 0 once terminal. */
  readonly lives: number;
  /** Clears the tracker (score, lives, started, terminal), as at the start of an episode. */
  reset(): void;
  /** Reads RAM after an emulated frame ($80-$FF as indices 0..127). */
  step(ram: Uint8Array): void;
  /** Whether the game currently shows `mode` (mode selection presses SELECT until it does). */
  isModeSelected(ram: Uint8Array, mode: number): boolean;
  /** Number of Int32 words of tracker state. */
  readonly stateSize: number;
  saveState(out: Int32Array, at: number): void;
  loadState(s: Int32Array, at: number): void;
}
