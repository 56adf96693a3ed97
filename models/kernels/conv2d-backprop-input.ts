// Conv2DBackpropInput for the wasm backend: the input gradient of a convolution, and the forward
// pass of every transposed convolution. The backend's own kernel is a scalar loop.
//
// Sub-pixel form: with j = i + padTop = q*s + r (0 <= r < s),
//   dx[i] = sum_t dy[q - t] * W[r + s*t],  t = 0 .. ceil(k/s)-1,
// which for every phase r is an ordinary stride-1 convolution of dy. All s*s phases share the
// input, so they become ONE XNNPACK convolution with s*s*cin output channels (filter rearranged
// in JavaScript, it is small) followed by a depth-to-space + crop copy into dx.
import { backend_util, type KernelConfig, type KernelFunc, type TensorInfo } from '@tensorflow/tfjs';
import { WasmHeap, withScratch, type WasmBackendLike } from './wasm-heap';

function conv2DBackpropInput(args: {
  inputs: { dy: TensorInfo; filter: TensorInfo };
  backend: unknown;
  attrs: Record<string, unknown>;
}): TensorInfo {
  const { dy, filter } = args.inputs;
  const attrs = args.attrs as {
    strides: number | [number, number];
    pad: 'valid' | 'same' | number | backend_util.ExplicitPadding;
    dataFormat: 'NHWC' | 'NCHW';
    dimRoundingMode?: 'floor' | 'round' | 'ceil';
    inputShape: [number, number, number, number];
  };
  if (attrs.dataFormat === 'NCHW') throw new Error('Conv2DBackpropInput (wasm): only NHWC is supported');
  const heap = new WasmHeap(args.backend as WasmBackendLike);
  const info = backend_util.computeConv2DInfo(
    attrs.inputShape, filter.shape as [number, number, number, number], attrs.strides, 1, attrs.pad,
    attrs.dimRoundingMode, false, 'channelsLast',
  );
  const { batchSize: nb, inHeight: h, inWidth: w, inChannels: ci, outChannels: co } = info;
  const { outHeight: oh, outWidth: ow, filterHeight: kh, filterWidth: kw, strideHeight: sh, strideWidth: sw } = info;
  const pt = info.padInfo.top;
  const pl = info.padInfo.left;
  const out = heap.output([nb, h, w, ci]);
  const outPtr = heap.ptr(out);
  const th = Math.ceil(kh / sh);
  const tw = Math.ceil(kw / sw);
  const qh = Math.floor((h - 1 + pt) / sh) + 1;
  const qw = Math.floor((w - 1 + pl) / sw) + 1;
  const cPh = sh * sw * ci; // channels of the phase-stacked result
  if (nb * h * w * ci === 0) return out;
  if (qh < oh || qw < ow || oh * ow === 0) {
    // Only for explicit pads larger than the filter; never produced by 'same'/'valid'.
    naive(heap, heap.ptr(dy), heap.ptr(filter), outPtr, info);
    return out;
  }
  withScratch(heap, [th * tw * co * cPh, nb * qh * qw * cPh], ([f2, res]) => {
    // F[u, v, o, (rh*sw + rw)*ci + c] = W[rh + sh*(th-1-u), rw + sw*(tw-1-v), c, o]
    const f = heap.f32();
    const wp = heap.ptr(filter) >>> 2;
    const fp = f2 >>> 2;
    f.fill(0, fp, fp + th * tw * co * cPh);
    for (let u = 0; u < th; u++) {
      for (let rh = 0; rh < sh; rh++) {
        const y = rh + sh * (th - 1 - u);
        if (y >= kh) continue;
        for (let v = 0; v < tw; v++) {
          for (let rw = 0; rw < sw; rw++) {
            const xk = rw + sw * (tw - 1 - v);
            if (xk >= kw) continue;
            for (let c = 0; c < ci; c++) {
              const src = wp + ((y * kw + xk) * ci + c) * co;
              const dst = fp + (u * tw + v) * co * cPh + (rh * sw + rw) * ci + c;
              for (let o = 0; o < co; o++) f[dst + o * cPh] = f[src + o];
            }
          }
        }
      }
    }
    heap.conv2d({
      x: heap.ptr(dy), batch: nb, h: oh, w: ow, cin: co,
      filter: f2, fh: th, fw: tw, cout: cPh,
      out: res, outSize: nb * qh * qw * cPh,
      pad: [th - 1, qw - ow, qh - oh, tw - 1], stride: [1, 1], dilation: [1, 1],
    });
    // dx[b, i, j, c] = res[b, (i+pt)/sh, (j+pl)/sw, ((i+pt)%sh * sw + (j+pl)%sw) * ci + c]
    const g = heap.f32();
    const r0 = res >>> 2;
    const o0 = outPtr >>> 2;
    for (let b = 0; b < nb; b++) {
      for (let i = 0; i < h; i++) {
        const ih = i + pt;
        const rowBase = r0 + (b * qh + Math.floor(ih / sh)) * qw * cPh + (ih % sh) * sw * ci;
        let d = o0 + (b * h + i) * w * ci;
        for (let j = 0; j < w; j++) {
          const jw = j + pl;
          const s = rowBase + Math.floor(jw / sw) * cPh + (jw % sw) * ci;
          if (ci >= 32) {
            g.copyWithin(d, s, s + ci);
            d += ci;
          } else {
            for (let c = 0; c < ci; c++) g[d++] = g[s + c];
          }
        }
      }
    }
  });
  return out;
}

/** Direct definition; only reached for unusual explicit padding. */
function naive(heap: WasmHeap, dyP: number, wP: number, outP: number, info: backend_util.Conv2DInfo): void {
  const { batchSize: nb, inHeight: h, inWidth: w, inChannels: ci, outChannels: co } = info;
  const { outHeight: oh, outWidth: ow, filterHeight: kh, filterWidth: kw, strideHeight: sh, strideWidth: sw } = info;
  const pt = info.padInfo.top;
  const pl = info.padInfo.left;
  const f = heap.f32();
  const dy0 = dyP >>> 2;
  const w0 = wP >>> 2;
  const o0 = outP >>> 2;
  f.fill(0, o0, o0 + nb * h * w * ci);
  for (let b = 0; b < nb; b++)
    for (let y = 0; y < oh; y++)
      for (let x = 0; x < ow; x++)
        for (let a = 0; a < kh; a++) {
          const i = y * sh + a - pt;
          if (i < 0 || i >= h) continue;
          for (let e = 0; e < kw; e++) {
            const j = x * sw + e - pl;
            if (j < 0 || j >= w) continue;
            for (let c = 0; c < ci; c++) {
              let acc = 0;
              for (let o = 0; o < co; o++) acc += f[dy0 + ((b * oh + y) * ow + x) * co + o] * f[w0 + ((a * kw + e) * ci + c) * co + o];
              f[o0 + ((b * h + i) * w + j) * ci + c] += acc;
            }
          }
        }
}

export const conv2DBackpropInputConfig: KernelConfig = {
  kernelName: 'Conv2DBackpropInput',
  backendName: 'wasm',
  kernelFunc: conv2DBackpropInput as unknown as KernelFunc,
};
