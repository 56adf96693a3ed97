// UnsortedSegmentSum for the wasm backend (the gradient of gather: embedding and codebook
// lookups). out[segmentIds[i], ...] += x[i, ...]; ids outside [0, numSegments) are dropped, as in
// TensorFlow. A single pass over the heap: it is memory-bound, nothing to gain from a matmul.
import { type KernelConfig, type KernelFunc, type TensorInfo } from '@tensorflow/tfjs';
import { WasmHeap, type WasmBackendLike } from './wasm-heap';

function unsortedSegmentSum(args: {
  inputs: { x: TensorInfo; segmentIds: TensorInfo };
  backend: unknown;
  attrs: Record<string, unknown>;
}): TensorInfo {
  const { x, segmentIds } = args.inputs;
  const numSegments = Number(args.attrs.numSegments);
  if (x.dtype !== 'float32' && x.dtype !== 'int32') {
    throw new Error(`UnsortedSegmentSum (wasm): dtype ${x.dtype} is not supported`);
  }
  const heap = new WasmHeap(args.backend as WasmBackendLike);
  // segmentIds may cover several leading dims of x (TensorFlow semantics); flatten both.
  const idsRank = segmentIds.shape.length;
  const rows = segmentIds.shape.reduce((a, b) => a * b, 1);
  const inner = x.shape.slice(idsRank).reduce((a, b) => a * b, 1);
  const out = heap.output([numSegments, ...x.shape.slice(idsRank)], x.dtype);
  const data = x.dtype === 'float32' ? heap.f32() : heap.i32();
  const ids = heap.i32();
  const x0 = heap.ptr(x) >>> 2;
  const id0 = heap.ptr(segmentIds) >>> 2;
  const o0 = heap.ptr(out) >>> 2;
  data.fill(0, o0, o0 + numSegments * inner);
  for (let r = 0; r < rows; r++) {
    // int32 ids; a float32 ids tensor is read as floats and truncated.
    const seg = segmentIds.dtype === 'int32' ? ids[id0 + r] : Math.trunc(heap.f32()[id0 + r]);
    if (seg < 0 || seg >= numSegments) continue;
    const s = x0 + r * inner;
    const d = o0 + seg * inner;
    for (let k = 0; k < inner; k++) data[d + k] += data[s + k];
  }
  return out;
}

export const unsortedSegmentSumConfig: KernelConfig = {
  kernelName: 'UnsortedSegmentSum',
  backendName: 'wasm',
  kernelFunc: unsortedSegmentSum as unknown as KernelFunc,
};
