// Training batches of the latent action model and its loss, shared by the training loop
// (pipeline/train-latent.ts) and its data-parallel replicas (models/data-parallel.ts): windows of class
// frames packed into the networks' 4x4-cell layout, and the per-pixel weighted cross-entropy plus the
// VQ commitment term.
import * as tf from '@tensorflow/tfjs';
import type { GradientReplica } from '../models/data-parallel';
import { encoderNextFrame, type LatentActionConfig, LatentActionModel, packFrames, packedShape, packWeights } from '../models/latent-action';
import type { LatentDataset, Window } from './latent-dataset';

/** One window: K context class frames (oldest first) and the next frame. */
export interface FrameWindow {
  context: Uint8Array[];
  target: Uint8Array;
}

/** Packed inputs of a batch of windows, as plain arrays (turned into tensors by `toTensors`). */
export interface PackedBatch {
  size: number;
  older: Float32Array | null;
  last: Float32Array;
  target: Float32Array;
  /** The next frame as the encoder sees it (encoderNextFrame); null when that is the target itself. */
  encoderNext: Float32Array | null;
  weights: Float32Array;
  /** Class frames kept for scoring and pictures. */
  lastFrames: Uint8Array[];
  targetFrames: Uint8Array[];
  contextFrames: Uint8Array[][];
}

export function packBatchOf(ds: LatentDataset, windows: Window[], cfg: LatentActionConfig, dynamicWeight: number): PackedBatch {
  return packWindows(windows.map((w) => ds.frames(w)), cfg, dynamicWeight);
}

export function packWindows(windows: FrameWindow[], cfg: LatentActionConfig, dynamicWeight: number): PackedBatch {
  const B = windows.length, K = cfg.contextFrames;
  const cell = packedShape(cfg, 1);
  const n1 = cell.h4 * cell.w4 * cell.channels;
  const out: PackedBatch = {
    size: B,
    older: K > 1 ? new Float32Array(B * n1 * (K - 1)) : null,
    last: new Float32Array(B * n1),
    target: new Float32Array(B * n1),
    encoderNext: cfg.encoderFromRow > 0 ? new Float32Array(B * n1) : null,
    weights: new Float32Array(B * cell.h4 * cell.w4 * 16),
    lastFrames: [],
    targetFrames: [],
    contextFrames: [],
  };
  windows.forEach(({ context, target }, i) => {
    const last = context[K - 1];
    if (out.older) packFrames(cfg, context.slice(0, K - 1), out.older, i);
    packFrames(cfg, [last], out.last, i);
    packFrames(cfg, [target], out.target, i);
    if (out.encoderNext) packFrames(cfg, [encoderNextFrame(cfg, last, target)], out.encoderNext, i);
    packWeights(cfg, (p) => (target[p] !== last[p] ? 1 + dynamicWeight : 1), out.weights, i);
    out.lastFrames.push(last);
    out.targetFrames.push(target);
    out.contextFrames.push(context);
  });
  return out;
}

/** Sum of a window's loss weights (as packWeights gives them): 1 per pixel, 1 + dynamicWeight where it changes. */
export function windowWeight(w: FrameWindow, dynamicWeight: number): number {
  const last = w.context[w.context.length - 1];
  let changed = 0;
  for (let p = 0; p < last.length; p++) if (w.target[p] !== last[p]) changed++;
  return last.length + dynamicWeight * changed;
}

export interface BatchTensors { older: tf.Tensor4D | null; last: tf.Tensor4D; next: tf.Tensor4D; target: tf.Tensor2D; weights: tf.Tensor1D }

export function toTensors(b: PackedBatch, cfg: LatentActionConfig): BatchTensors {
  const s = packedShape(cfg, 1);
  return {
    older: b.older ? tf.tensor4d(b.older, [b.size, s.h4, s.w4, s.channels * (cfg.contextFrames - 1)]) : null,
    last: tf.tensor4d(b.last, [b.size, s.h4, s.w4, s.channels]),
    next: tf.tensor4d(b.encoderNext ?? b.target, [b.size, s.h4, s.w4, s.channels]),
    target: tf.tensor2d(b.target, [b.size * s.h4 * s.w4 * 16, cfg.numClasses]),
    weights: tf.tensor1d(b.weights),
  };
}

export function disposeBatch(t: BatchTensors): void {
  t.older?.dispose(); t.last.dispose(); t.next.dispose(); t.target.dispose(); t.weights.dispose();
}

/**
 * Weighted per-pixel cross-entropy of packed logits against packed one-hot targets, divided by the sum of
 * the weights (or by `normalizer`: a shard's loss is divided by its whole batch's weight).
 */
export function weightedCrossEntropy(logits: tf.Tensor4D, target: tf.Tensor2D, weights: tf.Tensor1D, numClasses: number, normalizer?: number): tf.Scalar {
  const logp = tf.logSoftmax(logits.reshape([-1, numClasses]));
  const ce = tf.neg(tf.sum(tf.mul(target, logp), 1));
  return tf.div(tf.sum(tf.mul(ce, weights)), normalizer ?? tf.sum(weights)) as tf.Scalar;
}


/** A data-parallel shard: some windows of a batch, with the whole batch's totals the loss divides by. */
export interface LatentShard {
  windows: FrameWindow[];
  /** The continuous warm-up: the decoder gets the encoder's output unquantized. */
  warm: boolean;
  batchWeight: number;
  batchWindows: number;
}

/** What a shard's step sends back: its encoder outputs and codes (for the EMA codebook) and its share of each loss term. */
export interface LatentAux {
  z: Float32Array;
  codes: Int32Array;
  ce: number;
  commit: number;
}

export interface LatentReplicaOptions {
  model: LatentActionConfig;
  dynamicWeight: number;
  commitment: number;
  /** Train the decoder only: the encoder's gradients are not computed (train-latent --freeze-encoder). */
  freezeEncoder: boolean;
}

/** The training loss of `model` on a shard: cross-entropy + commitment x ||z - sg(code)||^2, both batch means. */
export function latentReplica(model: LatentActionModel, opts: Omit<LatentReplicaOptions, 'model'>): GradientReplica<LatentShard, LatentAux> {
  return {
    variables: [...model.params.values()],
    frozen: new Set(opts.freezeEncoder ? model.encoderVariables().map((v) => v.name) : []),
    state: model.codebook,
    loss(shard) {
      const cfg = model.config;
      // Inside tf.variableGrads: every tensor made here is released once the gradients are computed.
      const t = toTensors(packWindows(shard.windows, cfg, opts.dynamicWeight), cfg);
      const z = model.encodeContinuous(t.older, t.last, t.next);
      const codes = model.nearestCodes(z);
      const zq = model.codeVectors(codes);
      const logits = model.decode(t.older, t.last, shard.warm ? z : model.quantize(z, codes));
      const ce = weightedCrossEntropy(logits, t.target, t.weights, cfg.numClasses, shard.batchWeight);
      const commit = shard.warm ? tf.scalar(0) : tf.div(tf.sum(tf.square(tf.sub(z, zq))), shard.batchWindows * cfg.codeDim);
      const aux: LatentAux = { z: new Float32Array(z.dataSync()), codes, ce: ce.dataSync()[0]!, commit: commit.dataSync()[0]! };
      return { loss: tf.add(ce, tf.mul(commit, opts.commitment)) as tf.Scalar, aux };
    },
  };
}

/** Entry point of a worker's replica (see models/data-parallel.ts). */
export function createReplica(options: LatentReplicaOptions): GradientReplica<LatentShard, LatentAux> {
  return latentReplica(new LatentActionModel(options.model), options);
}
