// Worker thread that runs the games of DQN training (see dqn-env.ts): answers info/reset/step.
import { parentPort, workerData } from 'node:worker_threads';
import { GameBatch, type WorkerInit } from './dqn-env';

const init = workerData as WorkerInit;
const batch = new GameBatch(init.rom, init.settings, init.numEnvs, init.seed);

parentPort?.on('message', (msg: { id: number; kind: string; arg?: unknown }) => {
  try {
    let value: unknown;
    if (msg.kind === 'info') value = { numActions: batch.numActions, frameSize: batch.frameSize };
    else if (msg.kind === 'reset') value = batch.reset();
    else if (msg.kind === 'step') value = batch.step(msg.arg as number[]);
    else throw new Error(`unknown request ${msg.kind}`);
    parentPort?.postMessage({ id: msg.id, ok: true, value });
  } catch (err) {
    parentPort?.postMessage({ id: msg.id, ok: false, error: (err as Error).stack ?? String(err) });
  }
});
