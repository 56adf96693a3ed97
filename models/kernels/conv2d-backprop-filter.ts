// Conv2DBackpropFilter for the wasm backend (the backend has none).
//
// dW[kh,kw,ci,co] = sum over b,oh,ow of x[b, oh*sh+kh-pt, ow*sw+kw-pl, ci] * dy[b,oh,ow,co].
// Read with ci as the batch, b as the channel and dy as the filter, that is itself one convolution:
// input xT[ci,H,W,b], filter dyT[oh,ow,b,co], stride 1, dilation (sh,sw), output [ci,kh,kw,co].
// So the whole gradient is two transposes plus one XNNPACK convolution (no JavaScript loops over
// the data), then a transpose of the small result to HWIO.
import { backend_util, type KernelConfig, type KernelFunc, type TensorInfo } from '@tensorflow/tfjs';
import { WasmHeap, withScratch, type WasmBackendLike } from './wasm-heap';

function conv2DBackpropFilter(args: {
  inputs: { x: TensorInfo; dy: TensorInfo };
  backend: unknown;
  attrs: Record<string, unknown>;
}): TensorInfo {
  const { x, dy } = args.inputs;
  const attrs = args.attrs as {
    strides: number | [number, number];
    pad: 'valid' | 'same' | number | backend_util.ExplicitPadding;
    dataFormat: 'NHWC' | 'NCHW';
    dimRoundingMode?: 'floor' | 'round' | 'ceil';
    filterShape: [number, number, number, number];
  };
  if (attrs.dataFormat === 'NCHW') throw new Error('Conv2DBackpropFilter (wasm): only NHWC is supported');
  const heap = new WasmHeap(args.backend as WasmBackendLike);
  const info = backend_util.computeConv2DInfo(
    x.shape as [number, number, number, number], attrs.filterShape, attrs.strides, 1, attrs.pad,
    attrs.dimRoundingMode, false, 'channelsLast',
  );
  const { batchSize: nb, inHeight: h, inWidth: w, inChannels: ci, outChannels: co } = info;
  const { outHeight: oh, outWidth: ow, filterHeight: kh, filterWidth: kw, strideHeight: sh, strideWidth: sw } = info;
  const pt = info.padInfo.top;
  const pl = info.padInfo.left;
  const out = heap.output([kh, kw, ci, co]);
  const outPtr = heap.ptr(out);
  const outSize = kh * kw * ci * co;
  if (nb * oh * ow === 0) {
    heap.f32().fill(0, outPtr >>> 2, (outPtr >>> 2) + outSize);
    return out;
  }
  // Rows/cols of x past the last window are never read; the convolution needs them cropped
  // (a negative pad is not expressible), so crop while transposing.
  const hUse = Math.min(h, kh + sh * (oh - 1) - pt);
  const wUse = Math.min(w, kw + sw * (ow - 1) - pl);
  const pb = kh + sh * (oh - 1) - pt - hUse;
  const pr = kw + sw * (ow - 1) - pl - wUse;
  withScratch(heap, [ci * hUse * wUse * nb, oh * ow * nb * co, outSize], ([xT, dyT, res]) => {
    if (hUse === h && wUse === w) {
      heap.transpose(heap.ptr(x), xT, [nb, h, w, ci], [3, 1, 2, 0]);
    } else {
      cropTranspose(heap, heap.ptr(x), xT, nb, h, w, ci, hUse, wUse);
    }
    heap.transpose(heap.ptr(dy), dyT, [nb, oh, ow, co], [1, 2, 0, 3]);
    heap.conv2d({
      x: xT, batch: ci, h: hUse, w: wUse, cin: nb,
      filter: dyT, fh: oh, fw: ow, cout: co,
      out: res, outSize,
      pad: [pt, pr, pb, pl], stride: [1, 1], dilation: [sh, sw],
    });
    heap.transpose(res, outPtr, [ci, kh, kw, co], [1, 2, 0, 3]);
  });
  return out;
}

/** xT[c, i, j, b] = x[b, i, j, c] for i < hUse, j < wUse. */
function cropTranspose(heap: WasmHeap, src: number, dst: number, nb: number, h: number, w: number, c: number,
  hUse: number, wUse: number): void {
  const f = heap.f32();
  const s0 = src >>> 2;
  const d0 = dst >>> 2;
  for (let b = 0; b < nb; b++) {
    for (let i = 0; i < hUse; i++) {
      for (let j = 0; j < wUse; j++) {
        const s = s0 + ((b * h + i) * w + j) * c;
        const d = d0 + (i * wUse + j) * nb + b;
        for (let k = 0; k < c; k++) f[d + k * hUse * wUse * nb] = f[s + k];
      }
    }
  }
}

export const conv2DBackpropFilterConfig: KernelConfig = {
  kernelName: 'Conv2DBackpropFilter',
  backendName: 'wasm',
  kernelFunc: conv2DBackpropFilter as unknown as KernelFunc,
};
