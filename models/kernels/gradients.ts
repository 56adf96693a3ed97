// Gradients TensorFlow.js lacks on every backend, registered globally (they are compositions of
// ordinary ops, so they run on any backend). Only registered where tfjs has none.
import * as tf from '@tensorflow/tfjs';

/** DepthToSpace (sub-pixel upsampling in decoders): its gradient is the inverse rearrangement. */
const depthToSpaceGrad: tf.GradConfig = {
  kernelName: 'DepthToSpace',
  gradFunc: (dy, _saved, attrs) => {
    const { blockSize, dataFormat } = attrs as unknown as { blockSize: number; dataFormat: 'NHWC' | 'NCHW' };
    const g = dy as tf.Tensor4D;
    return {
      x: () => {
        if (dataFormat === 'NCHW') {
          const [n, c, h, w] = g.shape;
          const oc = c * blockSize * blockSize;
          // out[n, c, h*bs+i, w*bs+j] = in[n, (i*bs+j)*C + c, h, w]
          return g.reshape([n, c, h / blockSize, blockSize, w / blockSize, blockSize])
            .transpose([0, 3, 5, 1, 2, 4]).reshape([n, oc, h / blockSize, w / blockSize]);
        }
        const [n, h, w, c] = g.shape;
        // out[n, h*bs+i, w*bs+j, c] = in[n, h, w, (i*bs+j)*C + c]
        return g.reshape([n, h / blockSize, blockSize, w / blockSize, blockSize, c])
          .transpose([0, 1, 3, 2, 4, 5]).reshape([n, h / blockSize, w / blockSize, blockSize * blockSize * c]);
      },
    };
  },
};

export const missingGradients: tf.GradConfig[] = [depthToSpaceGrad];

/** Registers the gradients of `missingGradients` that tfjs does not have; returns their kernel names. */
export function registerMissingGradients(): string[] {
  const added: string[] = [];
  for (const g of missingGradients) {
    if (tf.getGradient(g.kernelName) == null) {
      tf.registerGradient(g);
      added.push(g.kernelName);
    }
  }
  return added;
}
