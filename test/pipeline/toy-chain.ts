// A tiny deterministic environment for DQN tests: a chain of 5 states, start in state 1.
// LEFT (0) moves left, RIGHT (1) moves right. Reaching state 0 pays 0.1 and ends the game; reaching
// state 4 pays 1 and ends it. The optimal policy is RIGHT everywhere (the return 1 beats 0.1).
import type { EnvStep, VecEnv } from '../../pipeline/dqn-env';

export const CHAIN_LENGTH = 5;

export function chainFrame(state: number): Uint8Array {
  const f = new Uint8Array(CHAIN_LENGTH);
  f[state] = 255;
  return f;
}

export class ChainVecEnv implements VecEnv {
  readonly numActions = 2;
  readonly frameSize = CHAIN_LENGTH;
  private states: number[];
  private steps: number[];
  constructor(readonly numEnvs: number, private readonly maxSteps = 20) {
    this.states = new Array(numEnvs).fill(1);
    this.steps = new Array(numEnvs).fill(0);
  }
  async reset(): Promise<Uint8Array[]> {
    this.states.fill(1);
    this.steps.fill(0);
    return this.states.map(chainFrame);
  }
  async step(actions: number[]): Promise<EnvStep[]> {
    return actions.map((a, e) => {
      const s = this.states[e] + (a === 1 ? 1 : -1);
      this.states[e] = s;
      this.steps[e]++;
      const reward = s === 0 ? 0.1 : s === CHAIN_LENGTH - 1 ? 1 : 0;
      const gameOver = s === 0 || s === CHAIN_LENGTH - 1;
      const truncated = !gameOver && this.steps[e] >= this.maxSteps;
      const out: EnvStep = { frame: chainFrame(s), reward, gameOver, truncated, lifeLost: false, frames: 4 };
      if (gameOver || truncated) {
        out.game = { score: reward, steps: this.steps[e], frames: 4 * this.steps[e] };
        this.states[e] = 1;
        this.steps[e] = 0;
        out.restartFrame = chainFrame(1);
      }
      return out;
    });
  }
  async close(): Promise<void> {}
}
