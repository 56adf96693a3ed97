// Worker thread of play/split-decoder.ts: its own WebAssembly backend and copy of the weights, the
// bottom band of every frame.
import * as tf from '@tensorflow/tfjs';
import { parentPort, workerData } from 'node:worker_threads';
import { initBackend } from '../models/backend';
import { LatentActionModel } from '../models/latent-action';
import { FastDecoder } from './fast-decoder';
import { serveBand, type SplitWorkerData } from './split-decoder';

const data = workerData as SplitWorkerData;
let decoder: FastDecoder;
try {
  await initBackend('wasm', { log: () => {} });
  const model = new LatentActionModel(data.config);
  const named = Object.fromEntries(data.weights.map(({ name, shape, values }) => [name, tf.tensor(values, shape)]));
  model.setWeights(named);
  tf.dispose(Object.values(named));
  decoder = new FastDecoder(model, data.band);
  parentPort?.postMessage({ ready: true });
} catch (err) {
  parentPort?.postMessage({ error: String((err as Error)?.message ?? err) });
  throw err;
}
serveBand(data, decoder);
