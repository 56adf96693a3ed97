// Checkpoints on disk (Node): the folder layout of models/checkpoint-io.ts, written atomically
// (a temporary folder beside the target, renamed into place, the old one removed only after), and
// read back with clear errors for a missing or damaged checkpoint. tfjs-node's file:// handler is
// not available with the wasm/cpu backends, hence our own IOHandler over node:fs.
import * as tf from '@tensorflow/tfjs';
import { existsSync, mkdirSync, readFileSync, renameSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { basename, dirname, join } from 'node:path';
import {
  checkName,
  decodeTensorGroup,
  encodeTensorGroup,
  manifestPaths,
  modelArtifactsToFiles,
  modelJsonName,
  modelJsonToArtifacts,
  modelToArtifacts,
  tensorsJsonName,
  type CheckpointIndex,
  type CheckpointMeta,
  type NamedTensor,
  type TensorGroupJson,
} from './checkpoint-io';

export * from './checkpoint-io';

/** A missing or damaged checkpoint: bad user input, so the CLI prints just the message. */
export class CheckpointError extends Error {
  readonly userFacing = true;
  constructor(message: string) {
    super(message);
    this.name = 'CheckpointError';
  }
}

export interface CheckpointContents {
  /** LayersModels by name; 'model' is written as model.json. */
  models?: Record<string, tf.LayersModel>;
  /** Ordered named-tensor lists by group name (e.g. 'weights', 'optimizer'). */
  tensors?: Record<string, NamedTensor[]>;
  meta: CheckpointMeta;
}

const toArrayBuffer = (b: Buffer): ArrayBuffer => b.buffer.slice(b.byteOffset, b.byteOffset + b.byteLength) as ArrayBuffer;

/** Save to `dir` atomically: the folder is either the previous checkpoint or the complete new one. */
export async function saveCheckpoint(dir: string, contents: CheckpointContents): Promise<void> {
  const parent = dirname(dir);
  mkdirSync(parent, { recursive: true });
  const tmp = join(parent, `.${basename(dir)}.tmp-${process.pid}-${Date.now()}`);
  mkdirSync(tmp);
  try {
    const index: CheckpointIndex = {
      format: 'neural-breakout-checkpoint',
      version: 1,
      savedAt: new Date().toISOString(),
      models: {},
      tensors: {},
      meta: contents.meta,
    };
    for (const [name, model] of Object.entries(contents.models ?? {})) {
      checkName('model', name);
      const { json, files } = modelArtifactsToFiles(await modelToArtifacts(model), name);
      for (const f of files) writeFileSync(join(tmp, f.name), f.data);
      writeFileSync(join(tmp, modelJsonName(name)), JSON.stringify(json));
      index.models[name] = modelJsonName(name);
    }
    for (const [group, list] of Object.entries(contents.tensors ?? {})) {
      checkName('tensor group', group);
      const { json, files } = await encodeTensorGroup(list, group);
      for (const f of files) writeFileSync(join(tmp, f.name), f.data);
      writeFileSync(join(tmp, tensorsJsonName(group)), JSON.stringify(json));
      index.tensors[group] = tensorsJsonName(group);
    }
    writeFileSync(join(tmp, 'checkpoint.json'), `${JSON.stringify(index, null, 2)}\n`);
    let aside: string | undefined;
    if (existsSync(dir)) {
      aside = join(parent, `.${basename(dir)}.old-${process.pid}-${Date.now()}`);
      renameSync(dir, aside);
    }
    try {
      renameSync(tmp, dir);
    } catch (err) {
      if (aside) renameSync(aside, dir);
      throw err;
    }
    if (aside) rmSync(aside, { recursive: true, force: true });
  } catch (err) {
    rmSync(tmp, { recursive: true, force: true });
    throw err;
  }
}

function readJson<T>(dir: string, file: string, what: string): T {
  const path = join(dir, file);
  if (!existsSync(path)) throw new CheckpointError(`checkpoint ${dir}: missing ${file} (expected ${what})`);
  try {
    return JSON.parse(readFileSync(path, 'utf8')) as T;
  } catch (err) {
    throw new CheckpointError(`checkpoint ${dir}: ${file} is not valid JSON (${(err as Error).message})`);
  }
}

function readShards(dir: string, paths: string[], bytesNeeded: number, file: string): ArrayBuffer[] {
  const buffers = paths.map((p) => {
    const path = join(dir, p);
    if (!existsSync(path)) throw new CheckpointError(`checkpoint ${dir}: missing weight file ${p} (named in ${file})`);
    return toArrayBuffer(readFileSync(path));
  });
  const total = buffers.reduce((s, b) => s + b.byteLength, 0);
  if (total !== bytesNeeded) throw new CheckpointError(`checkpoint ${dir}: weight files of ${file} hold ${total} bytes, expected ${bytesNeeded} (truncated or corrupt)`);
  return buffers;
}

function specBytes(specs: tf.io.WeightsManifestEntry[]): number {
  const size: Record<string, number> = { float32: 4, int32: 4, bool: 1, uint8: 1, float16: 2, complex64: 8 };
  return specs.reduce((s, w) => {
    const dtype = w.quantization?.dtype ?? w.dtype;
    return s + w.shape.reduce((a, b) => a * b, 1) * (size[dtype] ?? 4);
  }, 0);
}

/** checkpoint.json of a checkpoint folder; a clear error when the folder is not a checkpoint. */
export function readCheckpointIndex(dir: string): CheckpointIndex {
  if (!existsSync(dir)) throw new CheckpointError(`checkpoint not found: ${dir} (expected a folder with checkpoint.json and model weights)`);
  if (!statSync(dir).isDirectory()) throw new CheckpointError(`checkpoint ${dir} is not a folder (expected a folder with checkpoint.json)`);
  const index = readJson<CheckpointIndex>(dir, 'checkpoint.json', 'the checkpoint index written by saveCheckpoint');
  if (index.format !== 'neural-breakout-checkpoint') throw new CheckpointError(`checkpoint ${dir}: checkpoint.json has format ${String(index.format)}, expected neural-breakout-checkpoint`);
  return index;
}

export function readCheckpointMeta(dir: string): CheckpointMeta {
  return readCheckpointIndex(dir).meta;
}

/**
 * Records evaluation figures in a checkpoint's checkpoint.json: as meta.eval, or with `key` as
 * meta.eval[key] beside the figures already there. Written to a temporary file, then renamed.
 */
export function recordCheckpointEval(dir: string, figures: Record<string, unknown>, key?: string): void {
  const index = readCheckpointIndex(dir);
  const meta = index.meta as CheckpointMeta & { eval?: Record<string, unknown> };
  meta.eval = key === undefined ? figures : { ...meta.eval, [key]: figures };
  const path = join(dir, 'checkpoint.json');
  writeFileSync(`${path}.tmp`, `${JSON.stringify(index, null, 2)}\n`);
  renameSync(`${path}.tmp`, path);
}

/** A tf.io handler that loads one model of a checkpoint folder from disk. */
export function fileModelLoader(dir: string, name = 'model'): tf.io.IOHandler {
  return {
    load: async () => {
      const file = modelJsonName(name);
      const json = readJson<tf.io.ModelJSON>(dir, file, `the TensorFlow.js model "${name}"`);
      if (!json.modelTopology || !Array.isArray(json.weightsManifest)) throw new CheckpointError(`checkpoint ${dir}: ${file} lacks modelTopology or weightsManifest`);
      const specs = json.weightsManifest.flatMap((g) => g.weights);
      return modelJsonToArtifacts(json, readShards(dir, manifestPaths(json.weightsManifest), specBytes(specs), file));
    },
  };
}

export async function loadModel(dir: string, name = 'model'): Promise<tf.LayersModel> {
  const index = readCheckpointIndex(dir);
  if (!index.models[name]) throw new CheckpointError(`checkpoint ${dir} has no model "${name}" (it has: ${Object.keys(index.models).join(', ') || 'none'})`);
  try {
    return await tf.loadLayersModel(fileModelLoader(dir, name));
  } catch (err) {
    if (err instanceof CheckpointError) throw err;
    throw new CheckpointError(`checkpoint ${dir}: cannot build model "${name}" (${(err as Error).message})`);
  }
}

export function loadTensorGroup(dir: string, group: string): NamedTensor[] {
  const index = readCheckpointIndex(dir);
  if (!index.tensors[group]) throw new CheckpointError(`checkpoint ${dir} has no tensor group "${group}" (it has: ${Object.keys(index.tensors).join(', ') || 'none'})`);
  const file = tensorsJsonName(group);
  const json = readJson<TensorGroupJson>(dir, file, `the tensor group "${group}"`);
  if (json.format !== 'neural-breakout-tensors' || !Array.isArray(json.names)) throw new CheckpointError(`checkpoint ${dir}: ${file} is not a tensors file`);
  const specs = json.weightsManifest.flatMap((g) => g.weights);
  const shards = readShards(dir, manifestPaths(json.weightsManifest), specBytes(specs), file);
  try {
    return decodeTensorGroup(json, shards);
  } catch (err) {
    throw new CheckpointError(`checkpoint ${dir}: ${file}: ${(err as Error).message}`);
  }
}

/** Everything in a checkpoint: its models, tensor groups and meta. */
export async function loadCheckpoint(dir: string): Promise<{ models: Record<string, tf.LayersModel>; tensors: Record<string, NamedTensor[]>; meta: CheckpointMeta; index: CheckpointIndex }> {
  const index = readCheckpointIndex(dir);
  const models: Record<string, tf.LayersModel> = {};
  for (const name of Object.keys(index.models)) models[name] = await loadModel(dir, name);
  const tensors: Record<string, NamedTensor[]> = {};
  for (const group of Object.keys(index.tensors)) tensors[group] = loadTensorGroup(dir, group);
  return { models, tensors, meta: index.meta, index };
}

/** Convenience: a tensor group as a name → tensor record (last one wins on repeated names). */
export function tensorRecord(list: NamedTensor[]): Record<string, tf.Tensor> {
  return Object.fromEntries(list.map((t) => [t.name, t.tensor]));
}
