// The networks `npm run bench:nn` times, and a data-parallel replica of one of them (`--replicas`):
// each replica trains on its own random batch of batch/replicas samples.
import * as tf from '@tensorflow/tfjs';
import type { GradientReplica } from '../models/data-parallel';
import { latentActionBenchSpec } from '../models/latent-action';
import { referenceNets, type BenchNetSpec } from '../models/reference-nets';

/** Every network the benchmark knows; project networks are appended here. */
export const NETWORKS: BenchNetSpec[] = [...referenceNets, latentActionBenchSpec()];

export interface BenchReplicaOptions {
  net: string;
  /** Samples per replica. */
  batch: number;
  replicas: number;
}

export function createReplica(o: BenchReplicaOptions): GradientReplica<null, null> & { dispose(): void } {
  const spec = NETWORKS.find((n) => n.name === o.net);
  if (!spec) throw new Error(`unknown network ${o.net}`);
  const net = spec.build();
  const data = net.makeBatch(o.batch);
  return {
    variables: net.variables,
    // Each replica's loss is a mean over its share: divide so the replicas' gradients sum to the batch's.
    loss: () => ({ loss: tf.div(net.loss(data), o.replicas) as tf.Scalar, aux: null }),
    dispose: () => {
      tf.dispose(data);
      net.dispose();
    },
  };
}
