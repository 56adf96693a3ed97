import * as tf from '@tensorflow/tfjs';
import { describe, expect, it } from 'vitest';
import { BackendUnavailableError, backendOption, initBackend } from '../../models/backend';

/** A tiny conv + dense network trained for a few Adam steps on a fixed batch; returns [first, last] loss. */
function trainTiny(): [number, number] {
  const model = tf.sequential({
    layers: [
      tf.layers.conv2d({ inputShape: [12, 12, 2], filters: 4, kernelSize: 3, strides: 2, padding: 'same',
        activation: 'relu', kernelInitializer: tf.initializers.glorotUniform({ seed: 1 }) }),
      tf.layers.conv2dTranspose({ filters: 3, kernelSize: 4, strides: 2, padding: 'same', activation: 'relu',
        kernelInitializer: tf.initializers.glorotUniform({ seed: 2 }) }),
      tf.layers.flatten(),
      tf.layers.dense({ units: 3, kernelInitializer: tf.initializers.glorotUniform({ seed: 3 }) }),
    ],
  });
  const x = tf.randomUniform([8, 12, 12, 2], -1, 1, 'float32', 4);
  const y = tf.randomUniform([8, 3], -1, 1, 'float32', 5);
  const opt = tf.train.adam(0.01);
  const losses: number[] = [];
  let tensorsAfterFirst = 0;
  for (let i = 0; i < 30; i++) {
    if (i === 1) tensorsAfterFirst = tf.memory().numTensors;
    const loss = opt.minimize(() => tf.losses.meanSquaredError(y, model.apply(x) as tf.Tensor) as tf.Scalar, true);
    losses.push(loss!.dataSync()[0]);
    loss!.dispose();
  }
  // Our kernels free their scratch and temporary ids: no growth step over step.
  expect(tf.memory().numTensors).toBe(tensorsAfterFirst);
  tf.dispose([x, y]);
  model.dispose();
  opt.dispose();
  return [losses[0], losses[losses.length - 1]];
}

describe('initBackend', () => {
  const lines: string[] = [];
  const log = (l: string) => lines.push(l);

  it('auto falls back past the absent native packages to wasm, reporting each failure in one line', async () => {
    const info = await initBackend('auto', { log });
    // tfjs-node is an optional dependency: where it is installed, auto must pick it.
    let nativeInstalled = true;
    try {
      await import(/* @vite-ignore */ ['@tensorflow', 'tfjs-node'].join('/'));
    } catch {
      nativeInstalled = false;
    }
    if (nativeInstalled) {
      expect(info.name).toBe('tensorflow');
      return;
    }
    expect(info.name).toBe('wasm');
    expect(tf.getBackend()).toBe('wasm');
    expect(info.threads).toBeGreaterThanOrEqual(1);
    expect(info.notes.some((n) => n.startsWith('@tensorflow/tfjs-node: not available'))).toBe(true);
    expect(info.notes.some((n) => n.includes('BatchMatMul') && n.includes('Conv2DBackpropFilter'))).toBe(true);
    for (const l of lines) expect(l.includes('\n')).toBe(false);
    expect(lines.filter((l) => l.includes('tfjs-node'))).toHaveLength(1); // both failed loads, one line
    expect(lines.filter((l) => l.startsWith('backend: wasm'))).toHaveLength(1);
    expect(JSON.parse(JSON.stringify(info))).toEqual(info); // recordable in config.json
  });

  it('explicit choices work and unknown or unavailable ones are user-facing errors', async () => {
    expect((await initBackend('cpu', { log })).name).toBe('cpu');
    expect(tf.getBackend()).toBe('cpu');
    expect((await initBackend('wasm', { log })).name).toBe('wasm');
    const bad = initBackend('gpu' as never, { log });
    await expect(bad).rejects.toBeInstanceOf(BackendUnavailableError);
    await expect(bad).rejects.toHaveProperty('userFacing', true);
  });

  it('tensorflow without the native package is a clear error, not a stack trace', async () => {
    let nativeInstalled = true;
    try {
      await import(/* @vite-ignore */ ['@tensorflow', 'tfjs-node'].join('/'));
    } catch {
      nativeInstalled = false;
    }
    if (nativeInstalled) return;
    await expect(initBackend('tensorflow', { log })).rejects.toThrow(/backend tensorflow unavailable .*tfjs-node: not installed/);
  });

  it('exports a yargs option with a default and help text', () => {
    expect(backendOption.backend.default).toBe('auto');
    expect(backendOption.backend.choices).toEqual(['auto', 'tensorflow', 'wasm', 'cpu']);
    expect(backendOption.backend.describe.length).toBeGreaterThan(10);
  });
});

describe('a tiny conv / transposed-conv / dense network trains on both backends', () => {
  for (const backend of ['wasm', 'cpu'] as const) {
    it(backend, async () => {
      await initBackend(backend, { log: () => {} });
      const [first, last] = trainTiny();
      expect(Number.isFinite(last)).toBe(true);
      expect(last).toBeLessThan(first * 0.5);
    });
  }
});
