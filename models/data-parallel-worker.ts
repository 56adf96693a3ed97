// Worker thread of models/data-parallel.ts: builds one replica and answers each shard with its gradients.
import { parentPort, workerData } from 'node:worker_threads';
import { serveReplica } from './data-parallel';

void serveReplica(
  workerData,
  (msg) => parentPort?.postMessage(msg),
  (handler) => parentPort?.on('message', handler),
);
