// Synchronous data-parallel gradients over worker threads, so single-threaded WebAssembly training uses
// every core. The batch is split into shards; the main thread and each worker (its own TensorFlow.js
// backend and a replica of the model) compute the gradients of one shard; the main thread sums them and
// steps its optimizer. Before each step the main thread writes its weights (and any non-trainable state,
// such as a VQ codebook) into a SharedArrayBuffer that the workers copy from, and the workers write their
// gradients into another, so nothing large is cloned between threads.
//
// Each shard's loss must be normalised by the whole batch (e.g. a sum over the shard divided by the batch
// size), so that the shards' gradients add up to the batch's.
import type { Worker } from 'node:worker_threads';
import * as tf from '@tensorflow/tfjs';
import { type BackendPreference, initBackend } from './backend';
import { startTsWorker } from './ts-worker';

export interface GradientReplica<Shard, Aux> {
  /** Trainable variables, in the same order and shapes in every replica. */
  variables: tf.Variable[];
  /**
   * Names of variables held fixed (e.g. a frozen encoder): still sent to the workers, but no gradient is
   * computed for them, so their backward pass is skipped, and none is returned.
   */
  frozen?: ReadonlySet<string>;
  /** Non-trainable state broadcast from the main thread before every step (updated in place). */
  state?: Float32Array;
  /** The shard's share of the batch loss (run under tf.variableGrads) and plain data to send back. */
  loss(shard: Shard): { loss: tf.Scalar; aux: Aux };
}

/** What a worker imports to build its replica: `module` exports `createReplica(options)`. */
export interface ReplicaSource {
  module: URL;
  options: unknown;
}

export interface ShardResult<Aux> {
  loss: number;
  aux: Aux;
}

export interface WorkerInit {
  module: string;
  options: unknown;
  backend: BackendPreference;
  weights: SharedArrayBuffer;
  grads: SharedArrayBuffer;
  /** Float offset of this worker's gradients in `grads`. */
  gradOffset: number;
}

type Reply<Aux> = { ok: true; result?: ShardResult<Aux> } | { ok: false; error: string };

const sizeOf = (v: tf.Variable) => v.shape.reduce((a, b) => a * b, 1);
/** Floats of all the variables: one replica's gradients; its weights plus the state fill the weight buffer. */
const variableFloats = (vars: tf.Variable[]) => vars.reduce((s, v) => s + sizeOf(v), 0);
/** The variables of `replica` that get gradients. */
const trainedVariables = (replica: GradientReplica<unknown, unknown>) => replica.variables.filter((v) => !replica.frozen?.has(v.name));

export class DataParallel<Shard, Aux> {
  private readonly weights: Float32Array;
  private readonly grads: Float32Array;
  private readonly paramFloats: number;

  private constructor(
    private readonly replica: GradientReplica<Shard, Aux>,
    private readonly workers: Worker[],
    weights: SharedArrayBuffer,
    grads: SharedArrayBuffer,
  ) {
    this.weights = new Float32Array(weights);
    this.grads = new Float32Array(grads);
    this.paramFloats = variableFloats(replica.variables);
  }

  /** Replicas in all: the main thread's plus the workers'. */
  get size(): number {
    return this.workers.length + 1;
  }

  /**
   * `replica` is the main thread's (its variables are the ones the optimizer updates); `source` builds
   * the same replica in `replicas - 1` workers. With `replicas` = 1 no worker starts.
   */
  static async start<Shard, Aux>(
    replica: GradientReplica<Shard, Aux>,
    source: ReplicaSource,
    replicas: number,
    backend: BackendPreference,
  ): Promise<DataParallel<Shard, Aux>> {
    const gradFloats = variableFloats(replica.variables);
    const weights = new SharedArrayBuffer((gradFloats + (replica.state?.length ?? 0)) * 4);
    const grads = new SharedArrayBuffer(Math.max(1, replicas - 1) * gradFloats * 4);
    const entry = new URL('./data-parallel-worker.ts', import.meta.url);
    const workers: Worker[] = [];
    try {
      for (let i = 0; i < replicas - 1; i++) {
        const init: WorkerInit = { module: source.module.href, options: source.options, backend, weights, grads, gradOffset: i * gradFloats };
        const worker = startTsWorker(entry, init);
        workers.push(worker);
        await reply<Aux>(worker); // ready (or the replica's construction error)
      }
    } catch (err) {
      await Promise.all(workers.map((w) => w.terminate()));
      throw err;
    }
    return new DataParallel(replica, workers, weights, grads);
  }

  /**
   * Gradients of the whole batch (the sum over shards; shards[0] runs here, shards[i] on worker i-1),
   * keyed by the main replica's variable names, ready for `optimizer.applyGradients`. The caller
   * disposes them.
   */
  async gradients(shards: Shard[]): Promise<{ grads: tf.NamedTensorMap; results: ShardResult<Aux>[] }> {
    if (shards.length !== this.size) throw new Error(`DataParallel: ${shards.length} shards for ${this.size} replicas`);
    if (this.workers.length > 0) this.publish();
    const pending = this.workers.map((w, i) => {
      w.postMessage(shards[i + 1]);
      return reply<Aux>(w);
    });
    let aux: Aux | undefined;
    const local = tf.variableGrads(() => {
      const r = this.replica.loss(shards[0]!);
      aux = r.aux;
      return r.loss;
    }, trainedVariables(this.replica));
    const results: ShardResult<Aux>[] = [{ loss: local.value.dataSync()[0]!, aux: aux as Aux }];
    local.value.dispose();
    let remote: (ShardResult<Aux> | undefined)[];
    try {
      remote = await Promise.all(pending);
    } catch (err) {
      Object.values(local.grads).forEach((g) => g.dispose());
      throw err;
    }
    results.push(...remote.map((r) => r!));
    const grads: tf.NamedTensorMap = {};
    let offset = 0;
    for (const v of this.replica.variables) {
      const n = sizeOf(v);
      if (!local.grads[v.name]) { // frozen
        offset += n;
        continue;
      }
      const sum = new Float32Array(local.grads[v.name]!.dataSync());
      for (let w = 0; w < this.workers.length; w++) {
        const part = this.grads.subarray(w * this.paramFloats + offset, w * this.paramFloats + offset + n);
        for (let i = 0; i < n; i++) sum[i] += part[i]!;
      }
      local.grads[v.name]!.dispose();
      grads[v.name] = tf.tensor(sum, v.shape);
      offset += n;
    }
    return { grads, results };
  }

  /** Write the main replica's weights and state where the workers read them. */
  private publish(): void {
    let offset = 0;
    for (const v of this.replica.variables) {
      const data = v.dataSync() as Float32Array;
      this.weights.set(data, offset);
      offset += data.length;
    }
    if (this.replica.state) this.weights.set(this.replica.state, offset);
  }

  async close(): Promise<void> {
    await Promise.all(this.workers.map((w) => w.terminate()));
  }
}

/** The worker's next message: its result, or its error as a rejection. */
function reply<Aux>(worker: Worker): Promise<ShardResult<Aux> | undefined> {
  return new Promise((resolve, reject) => {
    const cleanup = () => {
      worker.off('message', onMessage);
      worker.off('error', onError);
      worker.off('exit', onExit);
    };
    const onMessage = (msg: Reply<Aux>) => {
      cleanup();
      if (msg.ok) resolve(msg.result);
      else reject(new Error(`data-parallel worker: ${msg.error}`));
    };
    const onError = (err: Error) => {
      cleanup();
      reject(err);
    };
    const onExit = (code: number) => {
      cleanup();
      reject(new Error(`data-parallel worker exited (${code})`));
    };
    worker.on('message', onMessage);
    worker.on('error', onError);
    worker.on('exit', onExit);
  });
}

/** The worker's side (data-parallel-worker.ts): build the replica, then answer shards with gradients. */
export async function serveReplica(init: WorkerInit, post: (msg: Reply<unknown>) => void, onShard: (handler: (shard: unknown) => void) => void): Promise<void> {
  let replica: GradientReplica<unknown, unknown>;
  try {
    await initBackend(init.backend, { log: () => {} });
    const mod = (await import(init.module)) as { createReplica: (options: unknown) => GradientReplica<unknown, unknown> | Promise<GradientReplica<unknown, unknown>> };
    replica = await mod.createReplica(init.options);
  } catch (err) {
    post({ ok: false, error: (err as Error).stack ?? String(err) });
    return;
  }
  const weights = new Float32Array(init.weights);
  const grads = new Float32Array(init.grads);
  post({ ok: true });
  onShard((shard) => {
    try {
      let offset = 0;
      for (const v of replica.variables) {
        const n = sizeOf(v);
        tf.tidy(() => v.assign(tf.tensor(weights.subarray(offset, offset + n), v.shape)));
        offset += n;
      }
      replica.state?.set(weights.subarray(offset, offset + replica.state.length));
      let aux: unknown;
      const { value, grads: g } = tf.variableGrads(() => {
        const r = replica.loss(shard);
        aux = r.aux;
        return r.loss;
      }, trainedVariables(replica));
      let o = init.gradOffset;
      for (const v of replica.variables) {
        const grad = g[v.name];
        if (grad) {
          grads.set(grad.dataSync() as Float32Array, o);
          grad.dispose();
        }
        o += sizeOf(v);
      }
      const loss = value.dataSync()[0]!;
      value.dispose();
      post({ ok: true, result: { loss, aux } });
    } catch (err) {
      post({ ok: false, error: (err as Error).stack ?? String(err) });
    }
  });
}
