// Prioritized experience replay (proportional, Schaul et al. 2016) that stores every frame once.
//
// Each environment owns a ring of `capacity / numEnvs` slots. Slot i holds the observation frame o_i
// (uint8: an 84x84 grayscale frame, or 128 RAM bytes) and, once the agent has acted, the action a_i,
// the reward r_i and whether the step ended the (learning) episode. Stacks of `stack` frames and the
// next observation are assembled at sample time from neighbouring slots, so a 500k-transition pixel
// buffer costs 500k x 7 KiB = 3.5 GB rather than 8x that for stored (s, s') stacks.
//
// When a learning episode ends (terminal, truncated, or a lost life) the final observation goes into
// its own "tail" slot that is never sampled as a transition start: it only serves as s' for the
// bootstrap. A new episode starts in the following slot; stepInEpisode stops stacks at episode starts
// (earlier frames are replaced by the episode's first frame, as a frame-stack wrapper does at reset).
//
// n-step returns are computed at sample time: R = sum_k gamma^k r_{i+k} until a terminal step, the end
// of the episode, the newest slot, or n steps; the bootstrap discount is gamma^k (0 after a terminal).
import { Prng } from './prng';
import { SumTree } from './sum-tree';

export interface ReplayBufferOptions {
  /** Total transitions over all environments. */
  capacity: number;
  /** Environments feeding the buffer (each gets capacity / numEnvs slots). */
  numEnvs: number;
  /** Bytes per stored frame (84*84 for frames, 128 for RAM). */
  frameSize: number;
  /** Frames per observation stack. */
  stack: number;
  /** Steps in the n-step return. */
  nStep: number;
  gamma: number;
  /** Prioritized (proportional) sampling; false gives uniform sampling and unit weights. */
  prioritized: boolean;
  /** Added to |TD error| so no transition gets priority zero. */
  priorityEps: number;
}

export interface ReplaySample {
  /** Global slot indices, for updatePriorities. */
  indices: Int32Array;
  /** Importance-sampling weights, normalised so the largest possible weight is 1. */
  weights: Float32Array;
  /** batch x frameSize x stack, channels last, scaled to [0, 1] (or through `lut`). */
  obs: Float32Array;
  actions: Int32Array;
  /** n-step discounted extrinsic reward. */
  returns: Float32Array;
  /** n-step discounted intrinsic reward (zeros unless intrinsic rewards were stored). */
  intrinsicReturns: Float32Array;
  /** gamma^k for the bootstrap, 0 when the return ended at a terminal step. */
  discounts: Float32Array;
  /** The bootstrap observation, same layout as obs. */
  nextObs: Float32Array;
}

const NO_ACTION = 255;
const CHUNK_SLOTS = 1 << 16;

export class ReplayBuffer {
  readonly opts: ReplayBufferOptions;
  readonly envCapacity: number;
  private readonly frames: Uint8Array[][]; // [env][chunk]
  private readonly actions: Uint8Array;
  private readonly rewards: Float32Array;
  private readonly intrinsic: Float32Array;
  private readonly terminal: Uint8Array;
  private readonly stepInEpisode: Uint32Array;
  private readonly head: Int32Array; // next slot to write, per env
  private readonly count: Int32Array; // filled slots, per env
  private readonly tree: SumTree;
  private readonly awaitingBegin: Uint8Array;
  private maxPriority = 1;
  /**
   * Optional input normalisation: out = lut[p * 256 + byte] for byte p of a frame (e.g. RAM bytes
   * standardised per position). Without it, bytes are scaled to [0, 1].
   */
  lut?: Float32Array;
  private transitions = 0;

  constructor(opts: ReplayBufferOptions) {
    if (opts.capacity % opts.numEnvs !== 0) throw new Error(`replay capacity ${opts.capacity} must be a multiple of numEnvs ${opts.numEnvs}`);
    this.opts = opts;
    this.envCapacity = opts.capacity / opts.numEnvs;
    if (this.envCapacity < opts.stack + opts.nStep + 2) throw new Error(`replay capacity ${opts.capacity} is too small`);
    const total = opts.capacity;
    this.frames = [];
    for (let e = 0; e < opts.numEnvs; e++) {
      const chunks: Uint8Array[] = [];
      for (let s = 0; s < this.envCapacity; s += CHUNK_SLOTS) {
        chunks.push(new Uint8Array(Math.min(CHUNK_SLOTS, this.envCapacity - s) * opts.frameSize));
      }
      this.frames.push(chunks);
    }
    this.actions = new Uint8Array(total).fill(NO_ACTION);
    this.rewards = new Float32Array(total);
    this.intrinsic = new Float32Array(total);
    this.terminal = new Uint8Array(total);
    this.stepInEpisode = new Uint32Array(total);
    this.head = new Int32Array(opts.numEnvs);
    this.count = new Int32Array(opts.numEnvs);
    this.tree = new SumTree(total);
    this.awaitingBegin = new Uint8Array(opts.numEnvs);
  }

  /** Transitions that can be sampled right now. */
  get size(): number {
    return this.transitions;
  }

  private frameView(env: number, slot: number): Uint8Array {
    const fs = this.opts.frameSize;
    const chunk = this.frames[env][Math.floor(slot / CHUNK_SLOTS)];
    const off = (slot % CHUNK_SLOTS) * fs;
    return chunk.subarray(off, off + fs);
  }

  private setPriority(g: number, p: number): void {
    const old = this.tree.get(g);
    if (old > 0 && p === 0) this.transitions--;
    if (old === 0 && p > 0) this.transitions++;
    this.tree.set(g, p);
  }

  /** Write a frame into the env's next slot; returns that slot. */
  private writeFrame(env: number, frame: Uint8Array, step: number): number {
    if (frame.length !== this.opts.frameSize) throw new Error(`replay frame has ${frame.length} bytes, expected ${this.opts.frameSize}`);
    const cap = this.envCapacity;
    const slot = this.head[env];
    const g = env * cap + slot;
    this.frameView(env, slot).set(frame);
    this.actions[g] = NO_ACTION;
    this.rewards[g] = 0;
    this.intrinsic[g] = 0;
    this.terminal[g] = 0;
    this.stepInEpisode[g] = step;
    this.setPriority(g, 0);
    this.head[env] = (slot + 1) % cap;
    if (this.count[env] < cap) this.count[env]++;
    // The oldest slots just lost frames behind them: drop those whose stack would now reach past the ring.
    if (this.count[env] === cap) {
      for (let k = 1; k < this.opts.stack; k++) {
        const s = (slot + k) % cap;
        const gs = env * cap + s;
        if (this.stepInEpisode[gs] > k - 1 && this.tree.get(gs) > 0) this.setPriority(gs, 0);
      }
    }
    return slot;
  }

  private newestSlot(env: number): number {
    return (this.head[env] - 1 + this.envCapacity) % this.envCapacity;
  }

  /** Start a learning episode in env `env` with its first observation frame. */
  beginEpisode(env: number, frame: Uint8Array): void {
    this.writeFrame(env, frame, 0);
    this.awaitingBegin[env] = 0;
  }

  /**
   * Record that the agent took `action` from the newest frame of env `env`, got `reward`
   * (already clipped if clipping is on) and saw `nextFrame`. `terminal`: no bootstrap past this step.
   * `episodeEnd`: the learning episode is over (terminal, truncated or life lost); call beginEpisode next.
   */
  addStep(env: number, action: number, reward: number, terminal: boolean, nextFrame: Uint8Array, episodeEnd: boolean, intrinsicReward = 0): void {
    const cap = this.envCapacity;
    if (this.count[env] === 0) throw new Error('replay: addStep before beginEpisode');
    const slot = this.newestSlot(env);
    const g = env * cap + slot;
    if (this.awaitingBegin[env]) throw new Error('replay: addStep after an episode ended without beginEpisode');
    this.actions[g] = action;
    this.rewards[g] = reward;
    this.intrinsic[g] = intrinsicReward;
    this.terminal[g] = terminal ? 1 : 0;
    this.setPriority(g, this.opts.prioritized ? this.maxPriority : 1);
    this.writeFrame(env, nextFrame, this.stepInEpisode[g] + 1);
    // After an episode end the newest slot is a tail: it never gets an action.
    this.awaitingBegin[env] = episodeEnd ? 1 : 0;
  }

  /** Age of a slot: 0 for the oldest filled slot of its env. */
  private offset(env: number, slot: number): number {
    const cap = this.envCapacity;
    const oldest = this.count[env] === cap ? this.head[env] : 0;
    return (slot - oldest + cap) % cap;
  }

  /** Write the stack ending at (env, slot) into out[base + p*stack + k], scaled to [0, 1]. */
  private writeStack(env: number, slot: number, out: Float32Array, base: number): void {
    const { stack, frameSize } = this.opts;
    const cap = this.envCapacity;
    const g = env * cap + slot;
    const back = Math.min(this.stepInEpisode[g], this.offset(env, slot));
    for (let k = 0; k < stack; k++) {
      const lag = Math.min(stack - 1 - k, back);
      const frame = this.frameView(env, (slot - lag + cap) % cap);
      const lut = this.lut;
      if (lut) for (let p = 0; p < frameSize; p++) out[base + p * stack + k] = lut[p * 256 + frame[p]];
      else for (let p = 0; p < frameSize; p++) out[base + p * stack + k] = frame[p] * (1 / 255);
    }
  }

  /** The current observation stack of env `env` (the newest frame and its history), channels last, in [0, 1]. */
  currentStack(env: number, out: Float32Array, base = 0): void {
    this.writeStack(env, this.newestSlot(env), out, base);
  }

  /** Draw a batch: stratified proportional sampling (uniform when not prioritized). */
  sample(batchSize: number, beta: number, rng: Prng): ReplaySample {
    if (this.transitions === 0) throw new Error('replay: sample from an empty buffer');
    const { stack, frameSize, nStep, gamma } = this.opts;
    const cap = this.envCapacity;
    const obsLen = frameSize * stack;
    const out: ReplaySample = {
      indices: new Int32Array(batchSize),
      weights: new Float32Array(batchSize),
      obs: new Float32Array(batchSize * obsLen),
      actions: new Int32Array(batchSize),
      returns: new Float32Array(batchSize),
      intrinsicReturns: new Float32Array(batchSize),
      discounts: new Float32Array(batchSize),
      nextObs: new Float32Array(batchSize * obsLen),
    };
    const total = this.tree.total;
    const minP = this.tree.min;
    const segment = total / batchSize;
    for (let b = 0; b < batchSize; b++) {
      const g = this.tree.find(Math.min((b + rng.next()) * segment, total * (1 - 1e-12)));
      const env = Math.floor(g / cap);
      const slot = g % cap;
      out.indices[b] = g;
      out.actions[b] = this.actions[g];
      out.weights[b] = this.opts.prioritized ? Math.pow(this.tree.get(g) / minP, -beta) : 1;
      // n-step return.
      let ret = 0;
      let iret = 0;
      let disc = 1;
      let s = slot;
      const newestOffset = this.offset(env, this.newestSlot(env));
      for (let k = 0; k < nStep; k++) {
        const gs = env * cap + s;
        ret += disc * this.rewards[gs];
        iret += disc * this.intrinsic[gs];
        disc *= gamma;
        if (this.terminal[gs]) {
          disc = 0;
          s = (s + 1) % cap;
          break;
        }
        s = (s + 1) % cap;
        const gn = env * cap + s;
        // Stop at a tail slot (episode over) or at the newest slot (no action taken yet).
        if (this.actions[gn] === NO_ACTION || this.offset(env, s) >= newestOffset) break;
      }
      out.returns[b] = ret;
      out.intrinsicReturns[b] = iret;
      out.discounts[b] = disc;
      this.writeStack(env, slot, out.obs, b * obsLen);
      this.writeStack(env, s, out.nextObs, b * obsLen);
    }
    return out;
  }

  /** Set priorities from TD errors: p = (|delta| + eps)^alpha. */
  updatePriorities(indices: Int32Array, tdErrors: Float32Array | number[], alpha: number): void {
    if (!this.opts.prioritized) return;
    for (let b = 0; b < indices.length; b++) {
      const g = indices[b];
      if (this.tree.get(g) === 0) continue; // overwritten since it was sampled
      const p = Math.pow(Math.abs(tdErrors[b]) + this.opts.priorityEps, alpha);
      this.tree.set(g, p);
      if (p > this.maxPriority) this.maxPriority = p;
    }
  }
}
