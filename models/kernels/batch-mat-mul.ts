// BatchMatMul for the wasm backend. The backend's own kernel reaches XNNPACK only for one
// untransposed matrix pair; any transposed operand or batch > 1 falls to a scalar triple loop
// (11x slower on a dense layer's gradients). Here every case becomes one or more untransposed
// XNNPACK multiplies: an operand is transposed explicitly into scratch, or the product is computed
// as (B^T A^T)^T when that moves less data (XNNPACK repacks its right operand on every call, so the
// right operand should be the smaller one).
import { broadcast_util, type KernelConfig, type KernelFunc, type TensorInfo } from '@tensorflow/tfjs';
import { WasmHeap, withScratch, type WasmBackendLike } from './wasm-heap';

interface Operand {
  ptr: number;
  rows: number; // stored rows
  cols: number; // stored cols
  trans: boolean;
}

/** out[M,N] = op(a) · op(b) at heap pointers; op = transpose where flagged. */
export function matMulHeap(heap: WasmHeap, a: Operand, b: Operand, out: number): void {
  const m = a.trans ? a.cols : a.rows;
  const k = a.trans ? a.rows : a.cols;
  const n = b.trans ? b.rows : b.cols;
  // Cost of each plan in element-moves. XNNPACK repacks its right operand on every call with a
  // transposing copy that costs about 6x a plain transpose (measured: 9 ms for 3136x512), so the
  // right operand should be the small one.
  // Plan D (direct): transpose what is flagged, out = a·b, repack b (k*n).
  // Plan R (reversed): out^T[N,M] = op(b)^T · op(a)^T, repack op(a)^T (k*m), transpose out (m*n).
  const PACK = 6;
  const costD = (a.trans ? m * k : 0) + (b.trans ? k * n : 0) + PACK * k * n;
  const costR = (b.trans ? 0 : k * n) + (a.trans ? 0 : k * m) + PACK * k * m + m * n;
  if (costD <= costR) {
    const need = [a.trans ? m * k : 0, b.trans ? k * n : 0];
    withScratch(heap, need, ([ta, tb]) => {
      const ap = a.trans ? (heap.transpose(a.ptr, ta, [a.rows, a.cols], [1, 0]), ta) : a.ptr;
      const bp = b.trans ? (heap.transpose(b.ptr, tb, [b.rows, b.cols], [1, 0]), tb) : b.ptr;
      heap.matMul(ap, bp, out, m, k, n);
    });
  } else {
    // left operand op(b)^T: stored b is [n,k] when b.trans, else needs transposing.
    // right operand op(a)^T: stored a is [k,m] when a.trans, else needs transposing.
    withScratch(heap, [b.trans ? 0 : k * n, a.trans ? 0 : k * m, m * n], ([tb, ta, outT]) => {
      const lp = b.trans ? b.ptr : (heap.transpose(b.ptr, tb, [b.rows, b.cols], [1, 0]), tb);
      const rp = a.trans ? a.ptr : (heap.transpose(a.ptr, ta, [a.rows, a.cols], [1, 0]), ta);
      heap.matMul(lp, rp, outT, n, k, m);
      heap.transpose(outT, out, [n, m], [1, 0]);
    });
  }
}

function batchMatMul(args: { inputs: { a: TensorInfo; b: TensorInfo }; backend: unknown; attrs: Record<string, unknown> }): TensorInfo {
  const { a, b } = args.inputs;
  const transposeA = Boolean(args.attrs.transposeA);
  const transposeB = Boolean(args.attrs.transposeB);
  if (a.dtype !== 'float32' || b.dtype !== 'float32') {
    throw new Error('BatchMatMul (wasm): only float32 is supported');
  }
  const heap = new WasmHeap(args.backend as WasmBackendLike);
  const ra = a.shape.length;
  const rb = b.shape.length;
  const [aRows, aCols] = [a.shape[ra - 2], a.shape[ra - 1]];
  const [bRows, bCols] = [b.shape[rb - 2], b.shape[rb - 1]];
  const m = transposeA ? aCols : aRows;
  const k = transposeA ? aRows : aCols;
  const k2 = transposeB ? bCols : bRows;
  const n = transposeB ? bRows : bCols;
  if (k !== k2) {
    throw new Error(
      `Error in matMul: inner shapes (${k}) and (${k2}) of Tensors with shapes ${a.shape} and ${b.shape} ` +
        `and transposeA=${transposeA} and transposeB=${transposeB} must match.`,
    );
  }
  const outer = broadcast_util.assertAndGetBroadcastShape(a.shape.slice(0, -2), b.shape.slice(0, -2));
  const out = heap.output([...outer, m, n]);
  const batch = outer.reduce((x, y) => x * y, 1);
  const aBatch = a.shape.slice(0, -2).reduce((x, y) => x * y, 1);
  const bBatch = b.shape.slice(0, -2).reduce((x, y) => x * y, 1);
  const aPtr = heap.ptr(a);
  const bPtr = heap.ptr(b);
  const oPtr = heap.ptr(out);
  if (bBatch === 1 && !transposeA && aBatch === batch) {
    // One shared right operand: stack all left matrices into one tall multiply.
    matMulHeap(heap, { ptr: aPtr, rows: batch * aRows, cols: aCols, trans: false },
      { ptr: bPtr, rows: bRows, cols: bCols, trans: transposeB }, oPtr);
    return out;
  }
  // General case: broadcast over the batch dims (the backend's own kernel supports the same
  // broadcasting: each side is either the full batch or a single matrix).
  if ((aBatch !== batch && aBatch !== 1) || (bBatch !== batch && bBatch !== 1)) {
    throw new Error(`BatchMatMul (wasm): unsupported broadcast of ${a.shape} with ${b.shape}`);
  }
  for (let i = 0; i < batch; i++) {
    const ai = aBatch === 1 ? 0 : i;
    const bi = bBatch === 1 ? 0 : i;
    matMulHeap(
      heap,
      { ptr: aPtr + ai * aRows * aCols * 4, rows: aRows, cols: aCols, trans: transposeA },
      { ptr: bPtr + bi * bRows * bCols * 4, rows: bRows, cols: bCols, trans: transposeB },
      oPtr + i * m * n * 4,
    );
  }
  return out;
}

export const batchMatMulConfig: KernelConfig = {
  kernelName: 'BatchMatMul',
  backendName: 'wasm',
  kernelFunc: batchMatMul as unknown as KernelFunc,
};
