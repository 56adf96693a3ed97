// Registers the project's WebAssembly training kernels, replacing the backend's own kernel of the
// same name where one exists (a slow path, or a wrong result: see each file). Call before or after
// `setBackend('wasm')`: kernels are looked up per call and ours need no setup hook.
import * as tf from '@tensorflow/tfjs';
import '@tensorflow/tfjs-backend-wasm';
import { batchMatMulConfig } from './batch-mat-mul';
import { conv2DBackpropFilterConfig } from './conv2d-backprop-filter';
import { conv2DBackpropInputConfig } from './conv2d-backprop-input';
import { concatConfig, sliceConfig } from './copy-kernels';
import { explicitPaddingConv } from './explicit-padding-conv';
import { registerMissingGradients } from './gradients';
import { maxPoolGradConfig } from './max-pool-grad';
import { unsortedSegmentSumConfig } from './unsorted-segment-sum';

/** Kernels we implement ourselves. */
export const wasmTrainingKernels: tf.KernelConfig[] = [
  batchMatMulConfig,
  conv2DBackpropFilterConfig,
  conv2DBackpropInputConfig,
  maxPoolGradConfig,
  unsortedSegmentSumConfig,
];

/** Kernels that wrap the backend's own one (which they call for the cases they leave alone). */
const wrappers: Record<string, (original: tf.KernelConfig) => tf.KernelConfig> = {
  Conv2D: explicitPaddingConv,
  FusedConv2D: explicitPaddingConv,
  Slice: sliceConfig,
  Concat: concatConfig,
};
export const wrappedWasmKernels = Object.keys(wrappers);

// The backend's own kernels, captured the first time we replace them (so re-registering is idempotent).
const originals = new Map<string, tf.KernelConfig>();

function replace(config: tf.KernelConfig): void {
  if (tf.getKernel(config.kernelName, config.backendName) != null) {
    tf.unregisterKernel(config.kernelName, config.backendName);
  }
  tf.registerKernel(config);
}

/**
 * Registers our kernels for the 'wasm' backend and the gradients tfjs lacks everywhere
 * (idempotent); returns the names of the wasm kernels added or replaced.
 */
export function registerWasmTrainingKernels(): string[] {
  registerMissingGradients();
  for (const k of wasmTrainingKernels) replace(k);
  for (const [name, wrap] of Object.entries(wrappers)) {
    if (!originals.has(name)) {
      const original = tf.getKernel(name, 'wasm');
      if (original == null) throw new Error(`wasm backend has no ${name} kernel to wrap`);
      originals.set(name, original);
    }
    const original = originals.get(name)!;
    replace({ ...wrap(original), setupFunc: original.setupFunc });
  }
  return [...wasmTrainingKernels.map((k) => k.kernelName), ...wrappedWasmKernels];
}
