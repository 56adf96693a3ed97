// Direct access to the WebAssembly backend's heap and to its XNNPACK-backed primitives.
//
// The wasm backend keeps every tensor in one linear memory and addresses it by an integer id that
// its C++ side maps to a pointer. Registering a temporary id for any heap range lets our kernels call
// the backend's fast matrix multiply and convolution on scratch buffers and sub-ranges of tensors
// without copies. Rules that keep this safe:
//  - a view id is used for one call and released right after (XNNPACK caches packed weights per id,
//    and releasing the id drops that cache entry);
//  - after any allocation the heap may have grown, so typed-array views are re-read with `f32()`.
import type { TensorInfo } from '@tensorflow/tfjs';

/** The parts of `BackendWasm` (not exported as a type by the package) that our kernels use. */
export interface WasmModule {
  HEAPF32: Float32Array;
  HEAP32: Int32Array;
  _malloc(bytes: number): number;
  _free(ptr: number): void;
  cwrap(name: string, ret: null, args: string[]): (...args: unknown[]) => void;
  tfjs: {
    registerTensor(id: number, size: number, offset: number): void;
    disposeData(id: number): void;
  };
}
export interface WasmBackendLike {
  wasm: WasmModule;
  dataIdNextNumber: number;
  dataIdMap: { get(dataId: object): { id: number; memoryOffset: number; shape: number[]; dtype: string } };
  makeOutput(shape: number[], dtype: string): TensorInfo;
}

interface RawFns {
  matMul: (...args: unknown[]) => void;
  conv2d: (...args: unknown[]) => void;
  transpose: (...args: unknown[]) => void;
}
const rawFns = new WeakMap<WasmModule, RawFns>();

function fns(wasm: WasmModule): RawFns {
  let f = rawFns.get(wasm);
  if (f == null) {
    const n = 'number';
    f = {
      // (a_id, a_shape, a_rank, b_id, b_shape, b_rank, transpose_a, transpose_b, out_id)
      matMul: wasm.cwrap('BatchMatMul', null, [n, 'array', n, n, 'array', n, n, n, n]),
      // (x_id, batch, h, w, filter_id, fh, fw, pad t r b l, same, dil h w, stride h w, cin, cout, out_id)
      conv2d: wasm.cwrap('Conv2D', null, Array<string>(19).fill(n)),
      // (x_id, shape, rank, dtype, out_id, perm, perm_len)
      transpose: wasm.cwrap('Transpose', null, [n, 'array', n, n, n, 'array', n]),
    };
    rawFns.set(wasm, f);
  }
  return f;
}

const bytesOf = (values: number[]) => new Uint8Array(new Int32Array(values).buffer);

/** Heap helper bound to one wasm backend instance. Pointers are byte offsets into the heap. */
export class WasmHeap {
  readonly wasm: WasmModule;
  constructor(readonly backend: WasmBackendLike) {
    this.wasm = backend.wasm;
  }

  /** A fresh Float32Array over the whole heap (re-read after every allocation). */
  f32(): Float32Array {
    return this.wasm.HEAPF32;
  }
  i32(): Int32Array {
    return this.wasm.HEAP32;
  }
  ptr(t: TensorInfo): number {
    return this.backend.dataIdMap.get(t.dataId).memoryOffset;
  }
  id(t: TensorInfo): number {
    return this.backend.dataIdMap.get(t.dataId).id;
  }
  malloc(floats: number): number {
    const p = this.wasm._malloc(Math.max(4, floats * 4)) >>> 0;
    if (p === 0) throw new Error(`wasm heap: cannot allocate ${floats * 4} bytes`);
    return p;
  }
  free(ptr: number): void {
    this.wasm._free(ptr);
  }
  output(shape: number[], dtype = 'float32'): TensorInfo {
    return this.backend.makeOutput(shape, dtype);
  }

  /** Runs `fn` with temporary tensor ids for heap ranges [ptr, ptr + size floats). */
  private withViews<T>(ranges: Array<[number, number]>, fn: (ids: number[]) => T): T {
    const ids = ranges.map(([p, size]) => {
      const id = this.backend.dataIdNextNumber++;
      this.wasm.tfjs.registerTensor(id, size, p);
      return id;
    });
    try {
      return fn(ids);
    } finally {
      for (const id of ids) this.wasm.tfjs.disposeData(id);
    }
  }

  /** out[M,N] = a[M,K] · b[K,N], all row-major float32 at the given pointers (XNNPACK fully-connected). */
  matMul(a: number, b: number, out: number, m: number, k: number, n: number): void {
    if (m === 0 || n === 0) return;
    if (k === 0) {
      this.f32().fill(0, out >>> 2, (out >>> 2) + m * n);
      return;
    }
    this.withViews(
      [
        [a, m * k],
        [b, k * n],
        [out, m * n],
      ],
      ([ai, bi, oi]) => fns(this.wasm).matMul(ai, bytesOf([1, m, k]), 3, bi, bytesOf([1, k, n]), 3, 0, 0, oi),
    );
  }

  /** Transposes a float32 tensor of `shape` at `src` by `perm` into `dst`. */
  transpose(src: number, dst: number, shape: number[], perm: number[]): void {
    const size = shape.reduce((x, y) => x * y, 1);
    if (size === 0) return;
    // The backend's transpose prefers no size-1 dimensions; drop them like its own kernel does.
    const keep = shape.map((d) => d !== 1);
    const newShape = shape.filter((_, i) => keep[i]);
    const kept = perm.filter((p) => keep[p]);
    const rank = [...kept].sort((x, y) => x - y);
    const newPerm = kept.map((p) => rank.indexOf(p));
    if (newPerm.every((p, i) => p === i)) {
      const h = this.f32();
      h.copyWithin(dst >>> 2, src >>> 2, (src >>> 2) + size);
      return;
    }
    if (newShape.length === 2 && newShape[0] % 64 === 0 && size > 65536) {
      // The backend's transpose writes rows of newShape[0] floats; at power-of-two-ish strides that
      // thrashes the cache (9 ms for 512x3136, against 1.2 ms the other way); tiles avoid it.
      transposeTiled(this.f32(), src >>> 2, dst >>> 2, newShape[0], newShape[1]);
      return;
    }
    this.withViews(
      [
        [src, size],
        [dst, size],
      ],
      ([si, di]) =>
        fns(this.wasm).transpose(si, bytesOf(newShape), newShape.length, 0, di, bytesOf(newPerm), newPerm.length),
    );
  }

  /**
   * out = conv2d(x, filter) in NHWC with an HWIO filter, explicit padding, via XNNPACK.
   * The caller sizes `out` as [batch, outH, outW, cout] with outH = h + padT + padB - dilH*(fh-1) - 1) / strideH + 1.
   */
  conv2d(p: {
    x: number;
    batch: number;
    h: number;
    w: number;
    cin: number;
    filter: number;
    fh: number;
    fw: number;
    cout: number;
    out: number;
    outSize: number;
    pad: [number, number, number, number]; // top, right, bottom, left
    stride: [number, number];
    dilation: [number, number];
  }): void {
    const [pt, pr, pb, pl] = p.pad;
    this.withViews(
      [
        [p.x, p.batch * p.h * p.w * p.cin],
        [p.filter, p.fh * p.fw * p.cin * p.cout],
        [p.out, p.outSize],
      ],
      ([xi, fi, oi]) =>
        fns(this.wasm).conv2d(
          xi, p.batch, p.h, p.w, fi, p.fh, p.fw, pt, pr, pb, pl, 0,
          p.dilation[0], p.dilation[1], p.stride[0], p.stride[1], p.cin, p.cout, oi,
        ),
    );
  }
}

/** dst[c, r] = src[r, c] for a rows x cols matrix, in 16x16 tiles (float offsets). */
function transposeTiled(f: Float32Array, s0: number, d0: number, rows: number, cols: number): void {
  const B = 16;
  for (let i0 = 0; i0 < rows; i0 += B) {
    const i1 = Math.min(rows, i0 + B);
    for (let j0 = 0; j0 < cols; j0 += B) {
      const j1 = Math.min(cols, j0 + B);
      for (let i = i0; i < i1; i++) {
        let s = s0 + i * cols + j0;
        let d = d0 + j0 * rows + i;
        for (let j = j0; j < j1; j++) {
          f[d] = f[s++];
          d += rows;
        }
      }
    }
  }
}

/** Runs `fn` with scratch allocations that are freed afterwards, even on error. */
export function withScratch<T>(heap: WasmHeap, sizes: number[], fn: (ptrs: number[]) => T): T {
  const ptrs: number[] = [];
  try {
    for (const s of sizes) ptrs.push(heap.malloc(s));
    return fn(ptrs);
  } finally {
    for (const p of ptrs) heap.free(p);
  }
}
