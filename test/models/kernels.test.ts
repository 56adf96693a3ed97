// Our wasm kernels against the pure-JS cpu backend on random shapes: outputs and gradients must
// agree to relative error < 1e-4 (max |wasm - cpu| / max |cpu|).
import * as tf from '@tensorflow/tfjs';
import '@tensorflow/tfjs-backend-wasm';
import { beforeAll, describe, expect, it } from 'vitest';
import { registerWasmTrainingKernels, wasmTrainingKernels } from '../../models/kernels/index';

const TOL = 1e-4;

function rng(seed: number): () => number {
  let s = seed >>> 0;
  return () => {
    s = (s + 0x6d2b79f5) >>> 0;
    let t = s;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}
const randInt = (r: () => number, lo: number, hi: number) => lo + Math.floor(r() * (hi - lo + 1));
const randArray = (r: () => number, n: number) => Float32Array.from({ length: n }, () => r() * 2 - 1);

type Inputs = Record<string, { values: Float32Array | Int32Array; shape: number[]; dtype?: 'float32' | 'int32' }>;

/** Runs `fn` on `backend` with fresh tensors from `inputs`; returns every output's values. */
async function runOn(backend: string, inputs: Inputs, fn: (t: Record<string, tf.Tensor>) => tf.Tensor[]) {
  await tf.setBackend(backend);
  return tf.tidy(() => {
    const t: Record<string, tf.Tensor> = {};
    for (const [k, v] of Object.entries(inputs)) t[k] = tf.tensor(v.values, v.shape, v.dtype ?? 'float32');
    return fn(t).map((o) => ({ shape: o.shape, values: o.dataSync() as Float32Array }));
  });
}

async function expectSame(inputs: Inputs, fn: (t: Record<string, tf.Tensor>) => tf.Tensor[]) {
  const ref = await runOn('cpu', inputs, fn);
  const got = await runOn('wasm', inputs, fn);
  expect(got.length).toBe(ref.length);
  for (let i = 0; i < ref.length; i++) {
    expect(got[i].shape).toEqual(ref[i].shape);
    let maxRef = 0;
    let maxDiff = 0;
    for (let j = 0; j < ref[i].values.length; j++) {
      maxRef = Math.max(maxRef, Math.abs(ref[i].values[j]));
      maxDiff = Math.max(maxDiff, Math.abs(ref[i].values[j] - got[i].values[j]));
    }
    expect(Number.isFinite(maxDiff)).toBe(true);
    expect(maxDiff / Math.max(maxRef, 1e-12)).toBeLessThan(TOL);
  }
}

beforeAll(async () => {
  registerWasmTrainingKernels();
  expect(await tf.setBackend('wasm')).toBe(true);
});

describe('registration', () => {
  it('registers our kernels for wasm, replacing the slow ones', () => {
    for (const k of wasmTrainingKernels) expect(tf.getKernel(k.kernelName, 'wasm')).toBe(k);
  });
});

interface ConvCase {
  n: number; h: number; w: number; ci: number; co: number; kh: number; kw: number;
  s: [number, number]; pad: 'same' | 'valid';
}
function convCases(seed: number, count: number): ConvCase[] {
  const r = rng(seed);
  const cases: ConvCase[] = [
    // Shapes of the reference networks' layers (small batch).
    { n: 2, h: 84, w: 84, ci: 4, co: 8, kh: 8, kw: 8, s: [4, 4], pad: 'valid' },
    { n: 2, h: 21, w: 16, ci: 6, co: 5, kh: 4, kw: 4, s: [2, 2], pad: 'same' },
    // Windows that leave the last rows/cols of the input unread (cropping path).
    { n: 2, h: 11, w: 10, ci: 3, co: 4, kh: 3, kw: 2, s: [3, 4], pad: 'valid' },
  ];
  while (cases.length < count) {
    const kh = randInt(r, 1, 5);
    const kw = randInt(r, 1, 5);
    const pad = r() < 0.5 ? 'same' : 'valid';
    cases.push({
      n: randInt(r, 1, 3), h: randInt(r, kh, 13), w: randInt(r, kw, 13), ci: randInt(r, 1, 7), co: randInt(r, 1, 9),
      kh, kw, s: [randInt(r, 1, 3), randInt(r, 1, 3)], pad,
    });
  }
  return cases;
}
const label = (c: ConvCase) => `x ${c.n}x${c.h}x${c.w}x${c.ci}, k ${c.kh}x${c.kw}x${c.co}, s ${c.s}, ${c.pad}`;

describe('Conv2DBackpropFilter and Conv2DBackpropInput (conv2d gradients)', () => {
  const r = rng(7);
  for (const c of convCases(1, 14)) {
    it(label(c), async () => {
      const inputs: Inputs = {
        x: { values: randArray(r, c.n * c.h * c.w * c.ci), shape: [c.n, c.h, c.w, c.ci] },
        f: { values: randArray(r, c.kh * c.kw * c.ci * c.co), shape: [c.kh, c.kw, c.ci, c.co] },
      };
      await expectSame(inputs, (t) => {
        const conv = (x: tf.Tensor, f: tf.Tensor) => tf.conv2d(x as tf.Tensor4D, f as tf.Tensor4D, c.s, c.pad);
        const y = conv(t.x, t.f);
        const dy = tf.sin(tf.range(0, y.size).reshape(y.shape)); // a non-uniform upstream gradient
        const [dx, df] = tf.grads((x, f) => conv(x, f).mul(dy).sum())([t.x, t.f]);
        return [y, dx, df];
      });
    });
  }
});

describe('conv2dTranspose forward and gradients', () => {
  const r = rng(11);
  for (const c of convCases(2, 10)) {
    it(label(c), async () => {
      const oh = c.pad === 'same' ? Math.ceil(c.h / c.s[0]) : Math.floor((c.h - c.kh) / c.s[0]) + 1;
      const ow = c.pad === 'same' ? Math.ceil(c.w / c.s[1]) : Math.floor((c.w - c.kw) / c.s[1]) + 1;
      const inputs: Inputs = {
        y: { values: randArray(r, c.n * oh * ow * c.co), shape: [c.n, oh, ow, c.co] },
        f: { values: randArray(r, c.kh * c.kw * c.ci * c.co), shape: [c.kh, c.kw, c.ci, c.co] },
      };
      await expectSame(inputs, (t) => {
        const tconv = (y: tf.Tensor, f: tf.Tensor) =>
          tf.conv2dTranspose(y as tf.Tensor4D, f as tf.Tensor4D, [c.n, c.h, c.w, c.ci], c.s, c.pad);
        const x = tconv(t.y, t.f);
        const up = tf.cos(tf.range(0, x.size).reshape(x.shape));
        const [dy, df] = tf.grads((y, f) => tconv(y, f).mul(up).sum())([t.y, t.f]);
        return [x, dy, df];
      });
    });
  }
});

describe('BatchMatMul with transposed operands and batches', () => {
  const r = rng(3);
  const shapes: Array<[number, number, number, number, number]> = [
    // [batchA, batchB, m, k, n]
    [1, 1, 32, 3136, 51],
    [1, 1, 7, 1, 9],
    [3, 3, 5, 6, 7],
    [4, 1, 8, 3, 5],
    [1, 2, 4, 4, 4],
    [2, 2, 1, 13, 1],
  ];
  for (const [ba, bb, m, k, n] of shapes) {
    for (const ta of [false, true]) {
      for (const tb of [false, true]) {
        it(`a ${ba}x${m}x${k} b ${bb}x${k}x${n} transposeA=${ta} transposeB=${tb}`, async () => {
          const inputs: Inputs = {
            a: { values: randArray(r, ba * m * k), shape: [ba, ta ? k : m, ta ? m : k] },
            b: { values: randArray(r, bb * k * n), shape: [bb, tb ? n : k, tb ? k : n] },
          };
          await expectSame(inputs, (t) => [tf.matMul(t.a, t.b, ta, tb)]);
        });
      }
    }
  }
  it('dense layer gradients (2-D, the DQN head shape)', async () => {
    const inputs: Inputs = {
      x: { values: randArray(r, 16 * 300), shape: [16, 300] },
      w: { values: randArray(r, 300 * 40), shape: [300, 40] },
    };
    await expectSame(inputs, (t) => {
      const [dx, dw] = tf.grads((x, w) => tf.matMul(x, w).square().sum())([t.x, t.w]);
      return [dx, dw];
    });
  });
});

describe('UnsortedSegmentSum (gather gradient)', () => {
  const r = rng(5);
  it('direct, with out-of-range ids dropped', async () => {
    const ids = Int32Array.from({ length: 50 }, () => randInt(r, -1, 12));
    await expectSame(
      { x: { values: randArray(r, 50 * 6), shape: [50, 6] }, ids: { values: ids, shape: [50], dtype: 'int32' } },
      (t) => [tf.unsortedSegmentSum(t.x, t.ids as tf.Tensor1D, 12)],
    );
  });
  for (const axis of [0, 1]) {
    it(`gradient of gather (embedding / codebook lookup), axis ${axis}`, async () => {
      const table = axis === 0 ? [20, 8] : [5, 20, 3];
      const n = table.reduce((a, b) => a * b, 1);
      const ids = Int32Array.from({ length: 30 }, () => randInt(r, 0, 19));
      await expectSame(
        { e: { values: randArray(r, n), shape: table }, ids: { values: ids, shape: [30], dtype: 'int32' } },
        (t) => {
          const g = tf.grad((e) => tf.gather(e, t.ids, axis).square().sum())(t.e);
          return [tf.gather(t.e, t.ids, axis), g];
        },
      );
    });
  }
});

// Ops the project's networks use (DQN conv nets + dueling head, MLPs, VQ-VAE with codebook lookup,
// per-pixel softmax cross-entropy): forward and gradients on wasm must match cpu. A kernel the wasm
// backend lacks shows up here as an error.
describe('ops the project networks need, forward and gradient', () => {
  const r = rng(9);
  const x4 = () => ({ values: randArray(r, 2 * 9 * 8 * 3), shape: [2, 9, 8, 3] });
  const cases: Array<[string, () => Inputs, (t: Record<string, tf.Tensor>) => tf.Tensor[]]> = [
    ['conv2d with dilations (forward)', () => ({ x: x4(), f: { values: randArray(r, 3 * 3 * 3 * 4), shape: [3, 3, 3, 4] } }),
      (t) => [tf.conv2d(t.x as tf.Tensor4D, t.f as tf.Tensor4D, 1, 'same', 'NHWC', [2, 2]),
        tf.conv2d(t.x as tf.Tensor4D, t.f as tf.Tensor4D, 1, 'valid', 'NHWC', [2, 1])]],
    ['fused conv2d with bias and relu, same padding', () => ({ x: x4(), f: { values: randArray(r, 3 * 2 * 3 * 5), shape: [3, 2, 3, 5] },
      b: { values: randArray(r, 5), shape: [5] } }),
    (t) => [tf.fused.conv2d({ x: t.x as tf.Tensor4D, filter: t.f as tf.Tensor4D, strides: [2, 3], pad: 'same', bias: t.b, activation: 'relu' }),
      ...tf.grads((x, f, b) => tf.fused.conv2d({ x: x as tf.Tensor4D, filter: f as tf.Tensor4D, strides: 2, pad: 'same', bias: b, activation: 'relu' }).square().sum())([t.x, t.f, t.b])]],
    ['maxPool / avgPool and their gradients', () => ({ x: x4() }),
      (t) => [tf.maxPool(t.x as tf.Tensor4D, 2, 2, 'same'), tf.avgPool(t.x as tf.Tensor4D, 3, 2, 'valid'),
        tf.grad((x) => tf.maxPool(x as tf.Tensor4D, 2, 2, 'same').square().sum())(t.x),
        tf.grad((x) => tf.avgPool(x as tf.Tensor4D, 3, 2, 'valid').square().sum())(t.x)]],
    ['depthToSpace and its gradient', () => ({ x: { values: randArray(r, 2 * 3 * 4 * 8), shape: [2, 3, 4, 8] } }),
      (t) => [tf.depthToSpace(t.x as tf.Tensor4D, 2), tf.grad((x) => tf.depthToSpace(x as tf.Tensor4D, 2).square().sum())(t.x)]],
    ['softmax, logSoftmax, per-pixel softmax cross-entropy', () => ({ x: x4(), y: x4() }),
      (t) => [tf.softmax(t.x), tf.logSoftmax(t.x),
        ...tf.grads((x) => tf.losses.softmaxCrossEntropy(tf.softmax(t.y.mul(5)), x))([t.x]),
        tf.grad((x) => tf.logSoftmax(x).mul(t.y).sum())(t.x)]],
    ['oneHot, argMax, argMin, gather', () => ({ x: { values: randArray(r, 40), shape: [10, 4] } }),
      (t) => [tf.oneHot(tf.argMax(t.x, 1), 4), tf.oneHot(tf.argMin(t.x, 0), 10), tf.gather(t.x, tf.argMax(t.x, 1)).toFloat()]],
    ['max / min reductions and their gradients', () => ({ x: { values: randArray(r, 60), shape: [5, 12] } }),
      (t) => [tf.max(t.x, 1), tf.min(t.x, 0), tf.grad((x) => tf.max(x, 1).square().sum())(t.x),
        tf.grad((x) => tf.min(x, 0).square().sum())(t.x), tf.grad((x) => tf.max(x))(t.x)]],
    ['sign, abs, clipByValue, huber and their gradients', () => ({ x: { values: randArray(r, 60), shape: [5, 12] }, y: { values: randArray(r, 60), shape: [5, 12] } }),
      (t) => [tf.sign(t.x), tf.grad((x) => tf.clipByValue(x, -0.5, 0.3).mul(t.y).sum())(t.x),
        tf.grad((x) => tf.abs(x).mul(t.y).sum())(t.x), tf.grad((x) => tf.losses.huberLoss(t.y, x))(t.x)]],
    ['dueling head: mean over actions, broadcasting, concat, slices', () => ({ x: { values: randArray(r, 8 * 6), shape: [8, 6] } }),
      (t) => [tf.grad((x) => {
        const v = tf.slice(x, [0, 0], [-1, 1]);
        const a = tf.slice(x, [0, 1], [-1, 5]);
        return tf.add(v, tf.sub(a, tf.mean(a, 1, true))).square().sum().add(tf.concat([x, x], 1).mean());
      })(t.x)]],
    ['codebook lookup by one-hot matmul with a straight-through estimator', () => ({ z: { values: randArray(r, 12 * 4), shape: [12, 4] },
      c: { values: randArray(r, 6 * 4), shape: [6, 4] } }),
    (t) => {
      const q = (z: tf.Tensor, c: tf.Tensor) => tf.matMul(tf.oneHot(tf.argMin(tf.sub(tf.sum(tf.square(c), 1), tf.mul(2, tf.matMul(z, c, false, true))), 1), 6), c);
      return [q(t.z, t.c), ...tf.grads((z, c) => tf.add(q(z, c).square().sum(), tf.sub(z, q(z, c)).square().sum()))([t.z, t.c])];
    }],
    ['sigmoid, tanh, elu, leakyRelu, exp, log and their gradients', () => ({ x: { values: randArray(r, 30), shape: [3, 10] } }),
      (t) => ['sigmoid', 'tanh', 'elu', 'exp'].map((op) => tf.grad((x) => (tf as unknown as Record<string, (x: tf.Tensor) => tf.Tensor>)[op](x).sum())(t.x))
        .concat([tf.grad((x) => tf.leakyRelu(x, 0.1).sum())(t.x), tf.grad((x) => tf.log(tf.add(tf.abs(x), 1)).sum())(t.x)])],
    ['embedding MLP: gather rows, dense, relu', () => ({ e: { values: randArray(r, 16 * 8), shape: [16, 8] }, w: { values: randArray(r, 8 * 5), shape: [8, 5] } }),
      (t) => tf.grads((e, w) => tf.relu(tf.matMul(tf.gather(e, tf.tensor1d([3, 1, 3, 15, 0], 'int32')), w)).square().sum())([t.e, t.w])],
  ];
  for (const [name, make, fn] of cases) it(name, async () => expectSame(make(), fn));
});

describe('Slice and Concat (heap run copies)', () => {
  const r = rng(13);
  for (let i = 0; i < 8; i++) {
    const shape = Array.from({ length: randInt(r, 1, 5) }, () => randInt(r, 1, 6));
    const begin = shape.map((d) => randInt(r, 0, d - 1));
    const size = shape.map((d, k) => (r() < 0.3 ? -1 : randInt(r, 1, d - begin[k])));
    it(`slice ${shape} from ${begin} size ${size}, and its gradient`, async () => {
      const n = shape.reduce((a, b) => a * b, 1);
      await expectSame({ x: { values: randArray(r, n), shape } }, (t) => [
        tf.slice(t.x, begin, size),
        tf.grad((x) => tf.slice(x, begin, size).square().sum())(t.x),
        tf.slice(t.x.toInt(), begin, size).toFloat(),
        tf.slice(t.x.greater(0), begin, size).toFloat(), // bool keeps the backend's own kernel
      ]);
    });
    const axis = randInt(r, 0, shape.length - 1);
    it(`concat of 3 tensors ${shape} along axis ${axis}, and its gradient`, async () => {
      const n = shape.reduce((a, b) => a * b, 1);
      const other = shape.map((d, k) => (k === axis ? d + 2 : d));
      const m = other.reduce((a, b) => a * b, 1);
      await expectSame(
        { a: { values: randArray(r, n), shape }, b: { values: randArray(r, m), shape: other } },
        (t) => [
          tf.concat([t.a, t.b, t.a], axis),
          ...tf.grads((a, b) => tf.concat([a, b, a], axis).square().mul(tf.range(0, 2 * n + m).reshape(tf.concat([t.a, t.b, t.a], axis).shape)).sum())([t.a, t.b]),
          tf.concat([t.a.toInt(), t.b.toInt()], axis).toFloat(),
        ],
      );
    });
  }
});

describe('gradients tfjs lacks', () => {
  it('DepthToSpace gradient is the inverse rearrangement (checked element by element)', async () => {
    await tf.setBackend('wasm');
    const [n, h, w, bs, c] = [2, 3, 2, 2, 3];
    const x = tf.randomNormal([n, h, w, bs * bs * c], 0, 1, 'float32', 3) as tf.Tensor4D;
    const u = tf.randomNormal([n, h * bs, w * bs, c], 0, 1, 'float32', 4);
    const g = tf.grad((x) => tf.depthToSpace(x as tf.Tensor4D, bs).mul(u).sum())(x).arraySync() as number[][][][];
    const uu = u.arraySync() as number[][][][];
    for (let b = 0; b < n; b++)
      for (let i = 0; i < h; i++)
        for (let j = 0; j < w; j++)
          for (let k = 0; k < bs * bs * c; k++) {
            const [di, dj, ch] = [Math.floor(k / (bs * c)), Math.floor(k / c) % bs, k % c];
            expect(g[b][i][j][k]).toBeCloseTo(uu[b][i * bs + di][j * bs + dj][ch], 6);
          }
  });
});
