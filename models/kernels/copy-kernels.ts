// Slice and Concat for the wasm backend as run copies inside the heap. The backend's own versions
// copy the whole input out of the heap first (Slice) or call TypedArray.set once per innermost row
// (Concat: one call per pixel for a channel concat), which cost tens of ms per call on a VQ-VAE
// batch. Here a run is the longest contiguous stretch; long runs use copyWithin (memmove), short
// ones a plain loop.
import { backend_util, util, type KernelConfig, type KernelFunc, type TensorInfo } from '@tensorflow/tfjs';
import { WasmHeap, type WasmBackendLike } from './wasm-heap';

type Kernel = (args: { inputs: Record<string, TensorInfo> | TensorInfo[]; backend: unknown; attrs: Record<string, unknown> }) => TensorInfo;

const is4Byte = (dtype: string) => dtype === 'float32' || dtype === 'int32';

function copyRun(f: Float32Array | Int32Array, dst: number, src: number, n: number): void {
  if (n >= 24) f.copyWithin(dst, src, src + n);
  else for (let k = 0; k < n; k++) f[dst + k] = f[src + k];
}

/** Wraps `original` so that 4-byte dtypes take our path and others keep the backend's. */
function withFallback(original: KernelConfig | undefined, ours: (args: Parameters<Kernel>[0]) => TensorInfo | null): KernelFunc {
  return ((args: Parameters<Kernel>[0]) => {
    const r = ours(args);
    if (r != null) return r;
    if (original == null) throw new Error('no fallback kernel');
    return original.kernelFunc(args as unknown as Parameters<KernelFunc>[0]);
  }) as unknown as KernelFunc;
}

export function sliceConfig(original: KernelConfig | undefined): KernelConfig {
  return {
    kernelName: 'Slice',
    backendName: 'wasm',
    kernelFunc: withFallback(original, (args) => {
      const x = (args.inputs as Record<string, TensorInfo>).x;
      if (!is4Byte(x.dtype)) return null;
      const [begin, size] = sliceParams(x.shape, args.attrs.begin as number | number[], args.attrs.size as number | number[]);
      const heap = new WasmHeap(args.backend as WasmBackendLike);
      const out = heap.output(size, x.dtype);
      const total = util.sizeFromShape(size);
      if (total === 0) return out;
      const f = x.dtype === 'float32' ? heap.f32() : heap.i32();
      const src0 = heap.ptr(x) >>> 2;
      const dst0 = heap.ptr(out) >>> 2;
      const rank = x.shape.length;
      // Collapse trailing axes that are taken whole into one run.
      let d = rank - 1;
      let run = size[d] ?? 1;
      while (d > 0 && size[d] === x.shape[d]) {
        d--;
        run *= size[d];
      }
      if (rank === 0) {
        f[dst0] = f[src0];
        return out;
      }
      const strides = util.computeStrides(x.shape);
      const stride = (i: number) => (i < rank - 1 ? strides[i] : 1);
      // Offset of the first element; the run starts at begin[d] along axis d.
      let base = 0;
      for (let i = 0; i < rank; i++) base += begin[i] * stride(i);
      // Iterate over the outer indices (axes < d) in row-major order.
      const outer = size.slice(0, d);
      const nOuter = util.sizeFromShape(outer);
      const idx = new Array<number>(d).fill(0);
      let dst = dst0;
      for (let o = 0; o < nOuter; o++) {
        let src = src0 + base;
        for (let i = 0; i < d; i++) src += idx[i] * stride(i);
        copyRun(f, dst, src, run);
        dst += run;
        for (let i = d - 1; i >= 0; i--) {
          if (++idx[i] < outer[i]) break;
          idx[i] = 0;
        }
      }
      return out;
    }),
  };
}

function sliceParams(shape: number[], begin: number | number[], size?: number | number[]): [number[], number[]] {
  const rank = shape.length;
  const b = typeof begin === 'number' ? [begin, ...new Array<number>(rank - 1).fill(0)] : [...begin];
  while (b.length < rank) b.push(0);
  let s: number[];
  if (size == null) s = new Array<number>(rank).fill(-1);
  else if (typeof size === 'number') s = [size, ...new Array<number>(rank - 1).fill(-1)];
  else s = [...size];
  while (s.length < rank) s.push(-1);
  s = s.map((v, i) => (v === -1 ? shape[i] - b[i] : v));
  return [b, s];
}

export function concatConfig(original: KernelConfig | undefined): KernelConfig {
  return {
    kernelName: 'Concat',
    backendName: 'wasm',
    kernelFunc: withFallback(original, (args) => {
      const inputs = args.inputs as TensorInfo[];
      if (!inputs.every((t) => is4Byte(t.dtype) && t.dtype === inputs[0].dtype)) return null;
      const axis = util.parseAxisParam(args.attrs.axis as number, inputs[0].shape)[0];
      const outShape = backend_util.computeOutShape(inputs.map((t) => t.shape), axis);
      const heap = new WasmHeap(args.backend as WasmBackendLike);
      const out = heap.output(outShape, inputs[0].dtype);
      const nonEmpty = inputs.filter((t) => util.sizeFromShape(t.shape) > 0);
      if (util.sizeFromShape(outShape) === 0) return out;
      const f = inputs[0].dtype === 'float32' ? heap.f32() : heap.i32();
      const outer = util.sizeFromShape(outShape.slice(0, axis));
      const inner = nonEmpty.map((t) => util.sizeFromShape(t.shape.slice(axis)));
      const srcs = nonEmpty.map((t) => heap.ptr(t) >>> 2);
      let dst = heap.ptr(out) >>> 2;
      for (let o = 0; o < outer; o++) {
        for (let i = 0; i < srcs.length; i++) {
          copyRun(f, dst, srcs[i] + o * inner[i], inner[i]);
          dst += inner[i];
        }
      }
      return out;
    }),
  };
}
