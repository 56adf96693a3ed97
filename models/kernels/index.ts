// Registers the project's WebAssembly training kernels, replacing the backend's own kernel of the
// same name where one exists (a slow scalar path or, for Conv2D/FusedConv2D, a padding bug).
// Call before or after `setBackend('wasm')`: kernels are looked up per call.
import * as tf from '@tensorflow/tfjs';
import '@tensorflow/tfjs-backend-wasm';
import { batchMatMulConfig } from './batch-mat-mul';
import { conv2DBackpropFilterConfig } from './conv2d-backprop-filter';
import { conv2DBackpropInputConfig } from './conv2d-backprop-input';
import { explicitPaddingConv, isExplicitPaddingWrapper } from './explicit-padding-conv';
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
/** Backend kernels we wrap (see explicit-padding-conv.ts). */
export const wrappedWasmKernels = ['Conv2D', 'FusedConv2D'];

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
  for (const name of wrappedWasmKernels) {
    const original = tf.getKernel(name, 'wasm');
    if (original == null) throw new Error(`wasm backend has no ${name} kernel to wrap`);
    if (!isExplicitPaddingWrapper(original)) replace(explicitPaddingConv(original));
  }
  return [...wasmTrainingKernels.map((k) => k.kernelName), ...wrappedWasmKernels];
}
