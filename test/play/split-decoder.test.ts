import * as tf from '@tensorflow/tfjs';
import { beforeAll, describe, expect, it } from 'vitest';
import { initBackend } from '../../models/backend';
import { DEFAULT_LATENT_ACTION_CONFIG, type LatentActionConfig, LatentActionModel } from '../../models/latent-action';
import { Prng } from '../../pipeline/prng';
import { FastDecoder } from '../../play/fast-decoder';
import { SplitDecoder } from '../../play/split-decoder';

beforeAll(async () => { await initBackend('wasm', { log: () => {} }); });

// Class frames with a few blocks of colour, each frame a little different from the one before.
// (Synthetic, not the start-frame PNGs: under vitest, sharp and a worker thread with the WebAssembly
// backend hang each other in one process; plain Node, where the players run, is not affected.)
function contextFrames(seed: number, k: number): Uint8Array[] {
  const rng = new Prng(seed);
  const frame = new Uint8Array(210 * 160);
  const frames: Uint8Array[] = [];
  for (let f = 0; f < k; f++) {
    for (let b = 0; b < 12; b++) {
      const y = rng.int(200), x = rng.int(150), c = rng.int(9);
      for (let dy = 0; dy < 1 + rng.int(10); dy++) for (let dx = 0; dx < 1 + rng.int(10); dx++) frame[(y + dy) * 160 + x + dx] = c;
    }
    frames.push(frame.slice());
  }
  return frames;
}

describe('SplitDecoder', () => {
  it('decodes on two threads exactly what one FastDecoder decodes, through resets and pushes', async () => {
    const cfg: LatentActionConfig = { ...DEFAULT_LATENT_ACTION_CONFIG, encoderChannels: [8, 8, 8], stemChannels: 8, bodyChannels: 8, refineChannels: 8 };
    const model = new LatentActionModel(cfg, 2);
    const head = model.params.get('dec/head/kernel')!;
    head.assign(tf.randomNormal(head.shape, 0, 0.6, 'float32', 3)); // a head that changes the frame
    const contextOf = (s: number) => contextFrames(s, cfg.contextFrames);
    const whole = new FastDecoder(model);
    const split = await SplitDecoder.start(model);
    try {
      let changed = 0;
      for (const start of [0, 1]) {
        whole.reset(contextOf(start));
        split.reset(contextOf(start));
        for (let t = 0; t < 5; t++) {
          const code = (3 * t + start) % cfg.codebookSize;
          const expected = whole.predict(code);
          expect(Buffer.from(split.predict(code)).equals(Buffer.from(expected))).toBe(true);
          changed += expected.filter((c, i) => c !== contextOf(start)[cfg.contextFrames - 1][i]).length;
          // Twice on the last step: two pushes before a predict must both reach the worker.
          for (let n = 0; n < (t === 4 ? 2 : 1); n++) {
            whole.push(expected);
            split.push(expected);
          }
        }
        expect(Buffer.from(split.predict(1)).equals(Buffer.from(whole.predict(1)))).toBe(true);
      }
      expect(changed).toBeGreaterThan(100);
    } finally {
      split.dispose();
      whole.dispose();
      model.dispose();
    }
    expect(() => split.predict(0)).toThrow(/after dispose/);
  });

  it('passes the worker\'s errors on', async () => {
    const model = new LatentActionModel({ ...DEFAULT_LATENT_ACTION_CONFIG, encoderChannels: [4, 4, 4], stemChannels: 4, bodyChannels: 4, refineChannels: 4 }, 1);
    const split = await SplitDecoder.start(model);
    try {
      expect(() => split.predict(0)).toThrow(/before reset/);
    } finally {
      split.dispose();
      model.dispose();
    }
  });
});
