// The trained latent action model as a world model: load/save a checkpoint folder, infer the code of
// a real transition (encoder), predict the next frame from context frames and a code (decoder).
// Frames here are colour-class frames (pipeline/frame-classes.ts), H*W bytes each.
import { existsSync } from 'node:fs';
import { join, resolve } from 'node:path';
import * as tf from '@tensorflow/tfjs';
import {
  encoderNextFrame,
  type LatentActionConfig,
  LatentActionModel,
  latentActionFromWeights,
  packFrames,
  packedShape,
} from '../models/latent-action';
import { BALL_HEAD_KIND, BallHead } from '../models/ball-head';
import { PADDLE_HEAD_KIND, PaddleHead, type PaddleHeadConfig } from '../models/paddle-head';
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
  /** `heads` place the ball and the paddle of each predicted frame (models/ball-head.ts, models/paddle-head.ts). */
  constructor(readonly model: LatentActionModel, readonly meta: CheckpointMeta = {}, readonly heads: { ball: BallHead | null; paddle: PaddleHead | null } = { ball: null, paddle: null }) {}

  get config(): LatentActionConfig { return this.model.config; }
  get contextFrames(): number { return this.model.config.contextFrames; }
  get codebookSize(): number { return this.model.config.codebookSize; }

  /** Load a checkpoint folder; `keepBias` replaces the saved one (LatentActionConfig.keepBias); `ballHead` and `paddleHead` are the heads' checkpoint folders. */
  static async load(dir: string, { keepBias, ballHead, paddleHead }: { keepBias?: number; ballHead?: string; paddleHead?: string } = {}): Promise<WorldModel> {
    const heads = {
      ball: ballHead !== undefined ? await loadBallHead(ballHead) : null,
      paddle: paddleHead !== undefined ? await loadPaddleHead(paddleHead) : null,
    };
    const meta = readCheckpointMeta(dir);
    const named = tensorRecord(loadTensorGroup(dir, 'weights'));
    if (meta.kind !== undefined && meta.kind !== WORLD_MODEL_KIND) throw new CheckpointError(`checkpoint ${dir} holds a ${String(meta.kind)}, not a world model`);
    const config = { ...(meta.config ?? {}), ...(keepBias !== undefined ? { keepBias } : {}) } as Partial<LatentActionConfig>;
    let model: LatentActionModel;
    try {
      model = latentActionFromWeights(config, named);
    } catch (err) {
      throw new CheckpointError(`checkpoint ${dir}: not a world model this version can load (${(err as Error).message})`);
    } finally {
      for (const t of Object.values(named)) t.dispose();
    }
    if (heads.paddle && heads.paddle.config.codes !== model.config.codebookSize) {
      model.dispose();
      throw new CheckpointError(`paddle head ${paddleHead}: it reads ${heads.paddle.config.codes} codes, the world model ${dir} has ${model.config.codebookSize}`);
    }
    return new WorldModel(model, meta, heads);
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
      const next = packBatch(this.config, nexts.map((n, i) => [encoderNextFrame(this.config, contexts[i]!.at(-1)!, n)]));
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
      return decodeFrames(this.model, logits, contexts, this.heads, codes);
    } finally {
      logits.dispose();
    }
  }
}

/** Where the shipped heads live: commands use them when they are there. */
export const DEFAULT_BALL_HEAD = 'checkpoints/ball-head';
export const DEFAULT_PADDLE_HEAD = 'checkpoints/paddle-head';

/** The --ball-head and --paddle-head flags of every command that predicts frames. */
export const ballHeadOption = {
  type: 'string',
  default: DEFAULT_BALL_HEAD,
  describe: 'Ball head checkpoint that places the ball (stage:train-ball-head); "none": the decoder alone',
} as const;
export const paddleHeadOption = {
  type: 'string',
  default: DEFAULT_PADDLE_HEAD,
  describe: 'Paddle head checkpoint that places the paddle (stage:train-paddle-head; the default only with the world model it was trained on); "none": the decoder alone',
} as const;

/** A head flag's folder: "none" for no head, and none when a default folder is missing. */
export function headDir(flag: string): string | undefined {
  const isDefault = flag === DEFAULT_BALL_HEAD || flag === DEFAULT_PADDLE_HEAD;
  if (flag === 'none' || (isDefault && !existsSync(join(flag, 'checkpoint.json')))) return undefined;
  return flag;
}

/**
 * The --paddle-head folder to use with the world model in `worldModelDir`: as headDir, but the default
 * only where it was trained on that model's codes (its checkpoint.json names the model): another
 * model's codes mean other things. A folder named outright is used (WorldModel.load checks its code count).
 */
export function paddleHeadDirFor(flag: string, worldModelDir: string): string | undefined {
  const dir = headDir(flag);
  if (dir === undefined || flag !== DEFAULT_PADDLE_HEAD) return dir;
  const trainedOn = (readCheckpointMeta(dir).data as { worldModel?: string } | undefined)?.worldModel;
  return trainedOn !== undefined && resolve(trainedOn) === resolve(worldModelDir) ? dir : undefined;
}

/** A head's network from its checkpoint folder, checked to be of `kind`, handed to `make`. */
async function loadHead<T>(dir: string, kind: string, what: string, make: (model: tf.LayersModel, meta: CheckpointMeta) => T): Promise<T> {
  const meta = readCheckpointMeta(dir);
  if (meta.kind !== kind) throw new CheckpointError(`checkpoint ${dir} holds a ${String(meta.kind)}, not a ${what}`);
  const model = await loadModel(dir);
  try {
    return make(model, meta);
  } catch (err) {
    throw new CheckpointError(`checkpoint ${dir}: ${(err as Error).message}`);
  } finally {
    model.dispose();
  }
}

/** Load a ball head checkpoint folder (stage:train-ball-head). */
export function loadBallHead(dir: string): Promise<BallHead> {
  return loadHead(dir, BALL_HEAD_KIND, 'ball head', (model) => BallHead.fromModel(model));
}

/** Load a paddle head checkpoint folder (stage:train-paddle-head). */
export function loadPaddleHead(dir: string): Promise<PaddleHead> {
  return loadHead(dir, PADDLE_HEAD_KIND, 'paddle head', (model, meta) => PaddleHead.fromModel(model, meta.config as PaddleHeadConfig));
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
