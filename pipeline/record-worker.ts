// One recording worker thread (pipeline/record.ts, --workers N): its own emulator and policies;
// takes episodes one at a time from the main thread and reports steps and results back.
import { parentPort, workerData } from 'node:worker_threads';
import { isUserFacing } from './errors';
import { EpisodeRecorder, makeRealGame, type RecordConfig, type WorkerReply, type WorkerRequest } from './record';

const port = parentPort!;
const { cfg } = workerData as { cfg: RecordConfig; index: number };
let stop = false;
const send = (msg: WorkerReply) => port.postMessage(msg);

try {
  const recorder = new EpisodeRecorder({ game: makeRealGame(cfg), cfg, onSteps: (n) => send({ type: 'steps', n }), shouldStop: () => stop });
  let busy = Promise.resolve();
  port.on('message', (msg: WorkerRequest) => {
    if (msg.type === 'stop') {
      stop = true;
      return;
    }
    busy = busy.then(async () => {
      try {
        send({ type: 'result', result: (await recorder.record(msg.plan)) ?? null });
      } catch (err) {
        send({ type: 'error', message: (err as Error).message, userFacing: isUserFacing(err) });
      }
    });
  });
  send({ type: 'ready' });
} catch (err) {
  send({ type: 'error', message: (err as Error).message, userFacing: isUserFacing(err) });
}
