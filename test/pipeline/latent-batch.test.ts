import { beforeAll, describe, expect, it } from 'vitest';
import { initBackend } from '../../models/backend';
import { DEFAULT_LATENT_ACTION_CONFIG, encoderNextFrame, packFrames, packedShape } from '../../models/latent-action';
import { disposeBatch, packWindows, toTensors } from '../../pipeline/latent-batch';

const cfg = { ...DEFAULT_LATENT_ACTION_CONFIG, height: 16, width: 8, numClasses: 3, contextFrames: 2 };
const frame = (k: number) => Uint8Array.from({ length: 16 * 8 }, (_, i) => Math.floor(i / (k + 1)) % 3);

describe('latent training batches', () => {
  beforeAll(async () => { await initBackend('cpu', { log: () => {} }); });

  it('give the encoder the next frame as encoderNextFrame shows it, and the loss the whole next frame', () => {
    const windows = [{ context: [frame(0), frame(1)], target: frame(2) }, { context: [frame(3), frame(4)], target: frame(5) }];
    const n1 = ((s) => s.h4 * s.w4 * s.channels)(packedShape(cfg, 1));
    const packed = (f: Uint8Array) => Array.from(packFrames(cfg, [f], new Float32Array(n1)));
    const whole = packWindows(windows, cfg, 30);
    expect(whole.encoderNext).toBeNull();
    const viewCfg = { ...cfg, encoderFromRow: 6 };
    const view = packWindows(windows, viewCfg, 30);
    expect(Array.from(view.target)).toEqual(Array.from(whole.target));
    windows.forEach((w, i) => {
      expect(Array.from(view.encoderNext!.subarray(i * n1, (i + 1) * n1))).toEqual(packed(encoderNextFrame(viewCfg, w.context[1], w.target)));
    });
    expect(packed(encoderNextFrame(viewCfg, windows[0].context[1], windows[0].target))).not.toEqual(packed(windows[0].target));
    const t = toTensors(view, viewCfg);
    expect(Array.from(t.next.dataSync())).toEqual(Array.from(view.encoderNext!));
    expect(Array.from(t.target.dataSync())).toEqual(Array.from(view.target));
    disposeBatch(t);
  });
});
