// A trained DQN as a player: the checkpoint's Q-network plus the observation pipeline it was trained
// with (frame or RAM stack, input normalisation, FIRE at the start of each life).
//
// `DqnAgent` acts from preprocessed observations (training's own pipeline: eval-dqn uses it).
// `loadDqnPolicy` wraps it as a `Policy` for the recording stage, which steps a plain AtariEnv with
// frame skip 4: there the RAM path sees exactly what it saw in training; the frames path sees the last
// screen of each step without the max over the last two frames (the env does not keep the frame before
// last; Breakout draws no flickering objects, so the two agree except while the ball moves between them).
import * as tf from '@tensorflow/tfjs';
import { loadModel, readCheckpointMeta, CheckpointError } from '../models/checkpoint';
import { forward, type QNetworkConfig } from '../models/dqn';
import { byteNormLut, FrameStacker, resizeArea, SCREEN_H, SCREEN_W, type ByteNorm, type ObsKind } from './atari-preprocessing';
import type { Policy, PolicyObservation } from './policy';
import { Prng } from './prng';

/** What checkpoint.json holds for a DQN (besides the training state used by --resume). */
export interface DqnCheckpointMeta {
  kind: 'dqn';
  network: QNetworkConfig;
  obs: ObsKind;
  frameStack: number;
  /** Bytes per observation (84*84 frames, 128 RAM). */
  frameSize: number;
  frameSkip: number;
  /** RAM standardisation (null: bytes / 255). */
  byteNorm: ByteNorm | null;
  [key: string]: unknown;
}

export interface ActOptions {
  /** Probability of a uniformly random action (0 = greedy). */
  epsilon?: number;
  /** Sample from softmax(Q / temperature) instead of argmax (0 = off). */
  temperature?: number;
  seed?: number;
}

/** Pick an action from Q-values: epsilon-greedy or Boltzmann (softmax with temperature). */
export function chooseAction(q: Float32Array | number[], rng: Prng, epsilon: number, temperature: number): number {
  const n = q.length;
  if (temperature > 0) {
    let max = -Infinity;
    for (let i = 0; i < n; i++) max = Math.max(max, q[i]);
    const w = Array.from(q, (v) => Math.exp((v - max) / temperature));
    const total = w.reduce((a, b) => a + b, 0);
    let u = rng.next() * total;
    for (let i = 0; i < n; i++) {
      u -= w[i];
      if (u < 0) return i;
    }
    return n - 1;
  }
  if (epsilon > 0 && rng.next() < epsilon) return rng.int(n);
  let best = 0;
  for (let i = 1; i < n; i++) if (q[i] > q[best]) best = i;
  return best;
}

export class DqnAgent {
  readonly model: tf.LayersModel;
  readonly meta: DqnCheckpointMeta;
  readonly stacker: FrameStacker;
  readonly inputShape: number[];
  private readonly input: Float32Array;
  private readonly rng: Prng;
  epsilon: number;
  temperature: number;

  constructor(model: tf.LayersModel, meta: DqnCheckpointMeta, opts: ActOptions = {}) {
    this.model = model;
    this.meta = meta;
    const frameSize = meta.frameSize;
    this.stacker = new FrameStacker(meta.frameStack, frameSize, meta.byteNorm ? byteNormLut(meta.byteNorm) : undefined);
    this.inputShape = meta.network.inputShape;
    this.input = new Float32Array(frameSize * meta.frameStack);
    this.rng = new Prng(opts.seed ?? 0);
    this.epsilon = opts.epsilon ?? 0;
    this.temperature = opts.temperature ?? 0;
  }

  /** Start of a life: the stack holds only this observation. */
  startLife(frame: Uint8Array): void {
    this.stacker.reset(frame);
  }

  qValues(): Float32Array {
    this.stacker.write(this.input);
    return tf.tidy(() => forward(this.model, tf.tensor(this.input, [1, ...this.inputShape])).dataSync() as Float32Array).slice();
  }

  /** Push the newest observation and choose. */
  act(frame: Uint8Array): number {
    this.stacker.push(frame);
    return chooseAction(this.qValues(), this.rng, this.epsilon, this.temperature);
  }

  /** Choose from the current stack (right after startLife). */
  actFromStack(): number {
    return chooseAction(this.qValues(), this.rng, this.epsilon, this.temperature);
  }

  reseed(seed: number): void {
    this.rng.setState(new Prng(seed).getState());
  }
}

export async function loadDqnAgent(checkpointDir: string, opts: ActOptions = {}): Promise<DqnAgent> {
  const meta = readCheckpointMeta(checkpointDir) as DqnCheckpointMeta;
  if (meta.kind !== 'dqn') throw new CheckpointError(`checkpoint ${checkpointDir} is a ${String(meta.kind)} checkpoint, expected a DQN (kind "dqn")`);
  const model = await loadModel(checkpointDir, 'model');
  return new DqnAgent(model, meta, opts);
}

const FIRE = 1;

/** Grayscale 84x84 of an RGB screen (ITU-R BT.601 luma, as ALE's grayscale palette), for the frames path. */
function rgbToFrame(rgb: Uint8Array): Uint8Array {
  const gray = new Uint8Array(SCREEN_H * SCREEN_W);
  for (let i = 0; i < gray.length; i++) gray[i] = Math.round(0.299 * rgb[3 * i] + 0.587 * rgb[3 * i + 1] + 0.114 * rgb[3 * i + 2]);
  return resizeArea(gray);
}

/**
 * The DQN as a recording Policy. Presses FIRE on the first step of each life (as training did), then
 * acts on its stack; `epsilon` or `temperature` adds randomness.
 */
export async function loadDqnPolicy(checkpointDir: string, opts: ActOptions = {}): Promise<Policy> {
  const agent = await loadDqnAgent(checkpointDir, opts);
  let lives = -1;
  let justFired = false;
  const observe = (o: PolicyObservation): Uint8Array => (agent.meta.obs === 'ram' ? Uint8Array.from(o.ram) : rgbToFrame(o.screen));
  const desc = agent.temperature > 0 ? `temperature=${agent.temperature}` : `epsilon=${agent.epsilon}`;
  return {
    name: `dqn(${desc})`,
    reset(seed: number) {
      lives = -1;
      justFired = false;
      agent.reseed(seed);
    },
    act(o: PolicyObservation): number {
      const frame = observe(o);
      if (o.step === 0 || lives < 0 || o.lives < lives) {
        // A new game or life: the ball waits for FIRE; the stack restarts from the observation after it.
        lives = o.lives;
        justFired = true;
        return FIRE;
      }
      lives = o.lives;
      if (justFired) {
        // Training's stack for a life starts at the observation after the automatic FIRE.
        justFired = false;
        agent.startLife(frame);
        return agent.actFromStack();
      }
      return agent.act(frame);
    },
    dispose() {
      agent.model.dispose();
    },
  };
}
