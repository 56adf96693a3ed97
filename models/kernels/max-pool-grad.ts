// MaxPoolGrad for the wasm backend. The backend's own kernel disagrees with the cpu backend (and
// with TensorFlow) by O(1) on plain random inputs (found by our tests), so it is replaced: each
// output's gradient goes to the first position holding the window's maximum, as on cpu.
import { backend_util, type KernelConfig, type KernelFunc, type TensorInfo } from '@tensorflow/tfjs';
import { WasmHeap, type WasmBackendLike } from './wasm-heap';

function maxPoolGrad(args: {
  inputs: { dy: TensorInfo; input: TensorInfo; output: TensorInfo };
  backend: unknown;
  attrs: Record<string, unknown>;
}): TensorInfo {
  const { dy, input } = args.inputs;
  const a = args.attrs as {
    filterSize: number | [number, number];
    strides: number | [number, number];
    pad: 'valid' | 'same' | number | backend_util.ExplicitPadding;
    dimRoundingMode?: 'floor' | 'round' | 'ceil';
  };
  const heap = new WasmHeap(args.backend as WasmBackendLike);
  const info = backend_util.computePool2DInfo(
    input.shape as [number, number, number, number], a.filterSize, a.strides, 1, a.pad, a.dimRoundingMode,
  );
  const { batchSize: nb, inHeight: h, inWidth: w, inChannels: c, outHeight: oh, outWidth: ow } = info;
  const { filterHeight: kh, filterWidth: kw, strideHeight: sh, strideWidth: sw, dilationHeight: dh, dilationWidth: dw } = info;
  const pt = info.padInfo.top;
  const pl = info.padInfo.left;
  const out = heap.output([nb, h, w, c]);
  const f = heap.f32();
  const x0 = heap.ptr(input) >>> 2;
  const dy0 = heap.ptr(dy) >>> 2;
  const o0 = heap.ptr(out) >>> 2;
  f.fill(0, o0, o0 + nb * h * w * c);
  for (let b = 0; b < nb; b++) {
    for (let y = 0; y < oh; y++) {
      for (let xo = 0; xo < ow; xo++) {
        for (let ch = 0; ch < c; ch++) {
          let best = -Infinity;
          let at = -1;
          for (let i = 0; i < kh; i++) {
            const r = y * sh - pt + i * dh;
            if (r < 0 || r >= h) continue;
            for (let j = 0; j < kw; j++) {
              const col = xo * sw - pl + j * dw;
              if (col < 0 || col >= w) continue;
              const idx = ((b * h + r) * w + col) * c + ch;
              const v = f[x0 + idx];
              if (v > best || at < 0) {
                best = v;
                at = idx;
              }
            }
          }
          if (at >= 0) f[o0 + at] += f[dy0 + ((b * oh + y) * ow + xo) * c + ch];
        }
      }
    }
  }
  return out;
}

export const maxPoolGradConfig: KernelConfig = {
  kernelName: 'MaxPoolGrad',
  backendName: 'wasm',
  kernelFunc: maxPoolGrad as unknown as KernelFunc,
};
