// The trained latent action model as a world model: load/save a checkpoint folder, infer the code of
// a real transition (encoder), predict the next frame from context frames and a code (decoder).
// Frames here are colour-class frames (pipeline/frame-classes.ts), H*W bytes each.
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import * as tf from '@tensorflow/tfjs';
import {
  type LatentActionConfig,
  LatentActionModel,
  latentActionFromWeights,
  packFrames,
  packedShape,
} from '../models/latent-action';
import { BALL_HEAD_KIND, BallHead } from '../models/ball-head';
import { decodeFrames } from './breakout-decode';
import { CheckpointError, loadModel, loadTensorGroup, readCheckpointMeta, saveCheckpoint, tensorRecord, type CheckpointMeta, type NamedTensor } from '../models/checkpoint';

export const WORLD_MODEL_KIND = 'world-model';

/** Pack a batch of frame lists (each the same length) into one tensor [B, h4, w4, F*16*C]. */
export function packBatch(cfg: LatentActionConfig, samples: Uint8Array[][], buffer?: Float32Array): tf.Tensor4D {
  const f = samples[0].length;
  const s = packedShape(cfg, f);
  const size = samples.length * s.h4 * s.w4 * s.channels;
  const data = buffer && buffer.length >= size ? buffer.subarray(0, size) : new Float32Array(size);
  samples.forEach((frames, i) => packFrames(cfg, frames, data, i));
  return tf.tensor4d(data, [samples.length, s.h4, s.w4, s.channels]);
}

export class WorldModel {
  /** `ballHead` places the ball of each predicted frame where it gives a place (models/ball-head.ts). */
  constructor(readonly model: LatentActionModel, readonly meta: CheckpointMeta = {}, readonly ballHead: BallHead | null = null) {}

  get config(): LatentActionConfig { return this.model.config; }
  get contextFrames(): number { return this.model.config.contextFrames; }
  get codebookSize(): number { return this.model.config.codebookSize; }

  /** Load a checkpoint folder; `keepBias` replaces the saved one (LatentActionConfig.keepBias); `ballHead` is a ball head's checkpoint folder. */
  static async load(dir: string, { keepBias, ballHead }: { keepBias?: number; ballHead?: string } = {}): Promise<WorldModel> {
    const head = ballHead !== undefined ? await loadBallHead(ballHead) : null;
    const meta = readCheckpointMeta(dir);
    const named = tensorRecord(loadTensorGroup(dir, 'weights'));
    if (meta.kind !== undefined && meta.kind !== WORLD_MODEL_KIND) throw new CheckpointError(`checkpoint ${dir} holds a ${String(meta.kind)}, not a world model`);
    const config = { ...(meta.config ?? {}), ...(keepBias !== undefined ? { keepBias } : {}) } as Partial<LatentActionConfig>;
    try {
      return new WorldModel(latentActionFromWeights(config, named), meta, head);
    } catch (err) {
      throw new CheckpointError(`checkpoint ${dir}: not a world model this version can load (${(err as Error).message})`);
    } finally {
      for (const t of Object.values(named)) t.dispose();
    }
  }

  /** Packed older (null when K = 1) and last context frames of each context (the last K frames are used). */
  private packContext(contexts: Uint8Array[][]): { older: tf.Tensor4D | null; last: tf.Tensor4D } {
    const k = this.contextFrames;
    for (const c of contexts) if (c.length < k) throw new Error(`world model: a context needs ${k} frames, got ${c.length}`);
    return {
      older: k > 1 ? packBatch(this.config, contexts.map((c) => c.slice(c.length - k, c.length - 1))) : null,
      last: packBatch(this.config, contexts.map((c) => [c[c.length - 1]])),
    };
  }

  /** The code the encoder assigns to each real transition (context frames, oldest first, then the real next frame). */
  inferCodes(contexts: Uint8Array[][], nexts: Uint8Array[]): Int32Array {
    return tf.tidy(() => {
      const { older, last } = this.packContext(contexts);
      const next = packBatch(this.config, nexts.map((n) => [n]));
      return this.model.nearestCodes(this.model.encodeContinuous(older, last, next));
    });
  }

  /** Logits (packed layout, keep bias included) of the next frame for each context (K frames, oldest first) and code. */
  logits(contexts: Uint8Array[][], codes: ArrayLike<number>): tf.Tensor4D {
    return tf.tidy(() => {
      const { older, last } = this.packContext(contexts);
      return this.model.keepBiased(this.model.decode(older, last, this.model.codeVectors(Array.from(codes))), last);
    });
  }

  /** The next frame (class frame) for each context and code, decoded as a Breakout frame (pipeline/breakout-decode.ts). */
  predict(contexts: Uint8Array[][], codes: ArrayLike<number>): Uint8Array[] {
    const logits = this.logits(contexts, codes);
    try {
      return decodeFrames(this.model, logits, contexts, this.ballHead);
    } finally {
      logits.dispose();
    }
  }
}

/** Where the shipped ball head lives: commands use it when it is there. */
export const DEFAULT_BALL_HEAD = 'checkpoints/ball-head';

/** The --ball-head flag of every command that predicts frames. */
export const ballHeadOption = {
  type: 'string',
  default: DEFAULT_BALL_HEAD,
  describe: 'Ball head checkpoint that places the ball (stage:train-ball-head); "none": the decoder alone',
} as const;

/** A --ball-head flag's folder: "none" for no ball head, and none when the default folder is missing. */
export function ballHeadDir(flag: string): string | undefined {
  if (flag === 'none' || (flag === DEFAULT_BALL_HEAD && !existsSync(join(flag, 'checkpoint.json')))) return undefined;
  return flag;
}

/** Load a ball head checkpoint folder (stage:train-ball-head). */
export async function loadBallHead(dir: string): Promise<BallHead> {
  const meta = readCheckpointMeta(dir);
  if (meta.kind !== BALL_HEAD_KIND) throw new CheckpointError(`checkpoint ${dir} holds a ${String(meta.kind)}, not a ball head`);
  const model = await loadModel(dir);
  try {
    return BallHead.fromModel(model);
  } catch (err) {
    throw new CheckpointError(`checkpoint ${dir}: ${(err as Error).message}`);
  } finally {
    model.dispose();
  }
}

/** Save a world model (+ optional optimizer state) as a checkpoint folder (atomic). */
export async function saveWorldModel(dir: string, model: LatentActionModel, meta: CheckpointMeta, optimizer?: NamedTensor[]): Promise<void> {
  const weights = model.namedWeights();
  try {
    await saveCheckpoint(dir, {
      tensors: { weights, ...(optimizer ? { optimizer } : {}) },
      meta: { kind: WORLD_MODEL_KIND, ...meta, config: model.config },
    });
  } finally {
    weights.find((w) => w.name === 'vq/codebook')?.tensor.dispose();
  }
}
