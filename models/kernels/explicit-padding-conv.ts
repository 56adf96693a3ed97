// Conv2D and FusedConv2D for the wasm backend: the backend's own kernels with 'same' padding
// turned into the equivalent explicit padding first.
//
// Why: the backend hands 'same' to XNNPACK as its TensorFlow-SAME flag, which silently produces an
// all-zero output for some shapes (found by our tests: x 3x9x3x2, filter 3x2, strides [2,3]); the
// same convolution with explicit padding is correct. Explicit padding gives identical results
// everywhere else, so every call goes that way.
import { backend_util, type KernelConfig, type KernelFunc, type TensorInfo } from '@tensorflow/tfjs';

type Pad = 'valid' | 'same' | number | backend_util.ExplicitPadding;

/** Wraps the backend's own kernel `original` (Conv2D or FusedConv2D). */
export function explicitPaddingConv(original: KernelConfig): KernelConfig {
  const inner = original.kernelFunc;
  const kernelFunc = ((args: { inputs: { x: TensorInfo; filter: TensorInfo }; attrs: Record<string, unknown>; backend: unknown }) => {
    const { x, filter } = args.inputs;
    const a = args.attrs as { strides: number | [number, number]; dilations?: number | [number, number]; pad: Pad;
      dimRoundingMode?: 'floor' | 'round' | 'ceil'; dataFormat?: string };
    if (a.pad === 'same' && (a.dataFormat ?? 'NHWC') === 'NHWC') {
      const info = backend_util.computeConv2DInfo(
        x.shape as [number, number, number, number], filter.shape as [number, number, number, number],
        a.strides, a.dilations ?? 1, a.pad, a.dimRoundingMode,
      );
      const p = info.padInfo;
      const pad: backend_util.ExplicitPadding = [[0, 0], [p.top, p.bottom], [p.left, p.right], [0, 0]];
      return inner({ ...args, attrs: { ...args.attrs, pad } } as unknown as Parameters<KernelFunc>[0]);
    }
    return inner(args as unknown as Parameters<KernelFunc>[0]);
  }) as unknown as KernelFunc;
  return { ...original, kernelFunc };
}
