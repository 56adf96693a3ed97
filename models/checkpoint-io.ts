// The checkpoint file format, without touching a filesystem: safe to import in the browser.
// A checkpoint folder holds
//   model.json + model.weights[.N].bin      a tf.LayersModel in the TensorFlow.js format (any number,
//   NAME.model.json + NAME.weights[.N].bin  named; tf.loadLayersModel reads them directly)
//   GROUP.tensors.json + GROUP.tensors[.N].bin
//                                           an ordered list of named tensors (weights of a model built
//                                           from tf.variables, optimizer moments, ...), same weight
//                                           encoding as the TensorFlow.js format
//   checkpoint.json                         meta: network config, command, data, eval figures, files
// models/checkpoint.ts reads and writes these with node:fs; here are the pure parts and the
// browser loaders (fetch).
import * as tf from '@tensorflow/tfjs';

/** Weight files are cut into shards of this size, as the TensorFlow.js converter does (browser caching). */
export const SHARD_BYTES = 4 * 1024 * 1024;

export interface NamedTensor {
  name: string;
  tensor: tf.Tensor;
}

export interface FileOut {
  name: string;
  data: Uint8Array;
}

/** checkpoint.json. Stages add their own fields. */
export interface CheckpointMeta {
  /** What the checkpoint is, e.g. 'dqn' or 'world-model'. */
  kind?: string;
  /** The network's config (enough to rebuild it). */
  config?: unknown;
  /** The command line that produced it. */
  command?: string | string[];
  /** The data it saw (paths, hashes, frames seen...). */
  data?: unknown;
  /** Evaluation figures. */
  eval?: unknown;
  step?: number;
  [key: string]: unknown;
}

export interface CheckpointIndex {
  format: 'neural-breakout-checkpoint';
  version: 1;
  savedAt: string;
  /** Model name → its JSON file. */
  models: Record<string, string>;
  /** Tensor group name → its JSON file. */
  tensors: Record<string, string>;
  meta: CheckpointMeta;
}

export interface TensorGroupJson {
  format: 'neural-breakout-tensors';
  /** The tensors' names in their saved order (names may repeat; order is what counts). */
  names: string[];
  weightsManifest: tf.io.WeightsManifestConfig;
}

export const modelJsonName = (name: string) => (name === 'model' ? 'model.json' : `${name}.model.json`);
export const tensorsJsonName = (group: string) => `${group}.tensors.json`;

export function checkName(kind: string, name: string): void {
  if (!/^[A-Za-z0-9_-]+$/.test(name)) throw new Error(`checkpoint ${kind} name must be letters, digits, _ or -, not "${name}"`);
}

function shardNames(base: string, count: number): string[] {
  return count === 1 ? [`${base}.bin`] : Array.from({ length: count }, (_, i) => `${base}.${i + 1}of${count}.bin`);
}

function splitShards(data: ArrayBuffer, base: string): { paths: string[]; files: FileOut[] } {
  const count = Math.max(1, Math.ceil(data.byteLength / SHARD_BYTES));
  const paths = shardNames(base, count);
  const files = paths.map((name, i) => ({ name, data: new Uint8Array(data.slice(i * SHARD_BYTES, Math.min(data.byteLength, (i + 1) * SHARD_BYTES))) }));
  return { paths, files };
}

function joinShards(buffers: ArrayBuffer[]): ArrayBuffer {
  return tf.io.CompositeArrayBuffer.join(buffers);
}

/** A LayersModel's save artifacts as a model.json object plus weight shard files. */
export function modelArtifactsToFiles(artifacts: tf.io.ModelArtifacts, name: string): { json: tf.io.ModelJSON; files: FileOut[] } {
  if (!artifacts.modelTopology || !artifacts.weightSpecs || !artifacts.weightData) throw new Error(`model ${name}: nothing to save (no topology or weights)`);
  const weightData = artifacts.weightData instanceof ArrayBuffer ? artifacts.weightData : joinShards(artifacts.weightData);
  const base = name === 'model' ? 'model.weights' : `${name}.weights`;
  const { paths, files } = splitShards(weightData, base);
  const json: tf.io.ModelJSON = {
    modelTopology: artifacts.modelTopology,
    format: artifacts.format ?? 'layers-model',
    generatedBy: artifacts.generatedBy ?? `TensorFlow.js tfjs-layers v${tf.version_layers}`,
    convertedBy: null,
    weightsManifest: [{ paths, weights: artifacts.weightSpecs }],
  };
  if (artifacts.trainingConfig) json.trainingConfig = artifacts.trainingConfig;
  if (artifacts.userDefinedMetadata) json.userDefinedMetadata = artifacts.userDefinedMetadata;
  return { json, files };
}

/** Every weight file a model.json or tensors.json names, in order. */
export function manifestPaths(manifest: tf.io.WeightsManifestConfig): string[] {
  return manifest.flatMap((group) => group.paths);
}

export function modelJsonToArtifacts(json: tf.io.ModelJSON, shards: ArrayBuffer[]): tf.io.ModelArtifacts {
  const weightSpecs = json.weightsManifest.flatMap((g) => g.weights);
  return {
    modelTopology: json.modelTopology,
    format: json.format,
    generatedBy: json.generatedBy,
    convertedBy: json.convertedBy,
    trainingConfig: json.trainingConfig,
    userDefinedMetadata: json.userDefinedMetadata,
    weightSpecs,
    weightData: joinShards(shards),
  };
}

/** An ordered list of named tensors as a tensors.json object plus shard files. */
export async function encodeTensorGroup(list: NamedTensor[], group: string): Promise<{ json: TensorGroupJson; files: FileOut[] }> {
  // Unique keys for the encoder (names may repeat, e.g. two optimizers' "iter"); the order is kept in `names`.
  const keyed = list.map((t, i) => ({ name: `${i}:${t.name}`, tensor: t.tensor }));
  const { data, specs } = await tf.io.encodeWeights(keyed);
  const { paths, files } = splitShards(data, `${group}.tensors`);
  return { json: { format: 'neural-breakout-tensors', names: list.map((t) => t.name), weightsManifest: [{ paths, weights: specs }] }, files };
}

export function decodeTensorGroup(json: TensorGroupJson, shards: ArrayBuffer[]): NamedTensor[] {
  if (json.format !== 'neural-breakout-tensors') throw new Error(`not a tensors file (format ${String(json.format)})`);
  const specs = json.weightsManifest.flatMap((g) => g.weights);
  const map = tf.io.decodeWeights(joinShards(shards), specs);
  return json.names.map((name, i) => {
    const tensor = map[`${i}:${name}`];
    if (!tensor) throw new Error(`tensors file lacks tensor ${i} (${name})`);
    return { name, tensor };
  });
}

/** Capture a LayersModel's artifacts through an in-memory save handler. */
export async function modelToArtifacts(model: tf.LayersModel): Promise<tf.io.ModelArtifacts> {
  let captured: tf.io.ModelArtifacts | undefined;
  await model.save(
    tf.io.withSaveHandler(async (artifacts) => {
      captured = artifacts;
      return { modelArtifactsInfo: { dateSaved: new Date(), modelTopologyType: 'JSON' } };
    }),
  );
  if (!captured) throw new Error('model.save produced nothing');
  return captured;
}

/** Adam (or any tfjs optimizer) state as named tensors, in the optimizer's own order. */
export async function optimizerState(optimizer: tf.Optimizer): Promise<NamedTensor[]> {
  return optimizer.getWeights();
}

/** Restore an optimizer from `optimizerState` output. Its variables must be in the same order (same model, same var list). */
export async function restoreOptimizerState(optimizer: tf.Optimizer, state: NamedTensor[]): Promise<void> {
  await optimizer.setWeights(state);
}

// ---- browser (or any fetch) loaders ----

const join = (base: string, name: string) => `${base.replace(/\/+$/, '')}/${name}`;

async function fetchOk(url: string): Promise<Response> {
  const res = await fetch(url);
  if (!res.ok) throw new Error(`checkpoint: GET ${url} failed with ${res.status} ${res.statusText}`);
  return res;
}

/** checkpoint.json of a checkpoint served at `baseUrl`. */
export async function fetchCheckpointIndex(baseUrl: string): Promise<CheckpointIndex> {
  return (await (await fetchOk(join(baseUrl, 'checkpoint.json'))).json()) as CheckpointIndex;
}

/** A LayersModel of a checkpoint served at `baseUrl` (tf.loadLayersModel does the fetching). */
export async function fetchModel(baseUrl: string, name = 'model'): Promise<tf.LayersModel> {
  return tf.loadLayersModel(join(baseUrl, modelJsonName(name)));
}

/** A tensor group of a checkpoint served at `baseUrl`. */
export async function fetchTensorGroup(baseUrl: string, group: string): Promise<NamedTensor[]> {
  const json = (await (await fetchOk(join(baseUrl, tensorsJsonName(group)))).json()) as TensorGroupJson;
  const shards = await Promise.all(manifestPaths(json.weightsManifest).map(async (p) => (await fetchOk(join(baseUrl, p))).arrayBuffer()));
  return decodeTensorGroup(json, shards);
}
