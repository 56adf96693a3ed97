import { describe, expect, it } from 'vitest';
import { AtariEnv } from '../../atari/env';
import { findRom } from '../../atari/roms';
import {
  areaWeights,
  AtariPreprocessing,
  byteNormLut,
  byteStats,
  clipReward,
  FrameStacker,
  maxPool,
  resizeArea,
  SCREEN_H,
  SCREEN_W,
} from '../../pipeline/atari-preprocessing';

const screen = () => new Uint8Array(SCREEN_H * SCREEN_W);

describe('area resize 210x160 -> 84x84 (OpenCV INTER_AREA)', () => {
  it('weights cover each output cell with fractional borders and sum to 1', () => {
    const rows = areaWeights(210, 84); // 2.5 source rows per output row
    expect(Array.from(rows.weight.subarray(0, 3))).toEqual([0.4, 0.4, 0.2]);
    expect(rows.start[1]).toBe(2);
    expect(Array.from(rows.weight.subarray(rows.maxTaps, rows.maxTaps + 3))).toEqual([0.2, 0.4, 0.4]);
    const cols = areaWeights(160, 84);
    for (let o = 0; o < 84; o++) {
      let s = 0;
      for (let t = 0; t < cols.count[o]; t++) s += cols.weight[o * cols.maxTaps + t];
      expect(s).toBeCloseTo(1, 12);
    }
  });

  it('matches a hand-computed frame', () => {
    const src = screen();
    src[0] = 255; // row 0, col 0: weight 0.4 (rows) x 0.525 (cols) into output (0,0)
    src[2 * SCREEN_W + 1] = 255; // row 2 (0.2 | 0.2), col 1 (0.475 | 0.05)
    src[209 * SCREEN_W + 159] = 100; // bottom-right corner: 0.4 x 0.525 into output (83,83)
    const out = resizeArea(src);
    // (0,0): 255*0.4*0.525 + 255*0.2*0.475 = 53.55 + 24.225 = 77.775 -> 78
    expect(out[0]).toBe(78);
    // (0,1): 255*0.2*0.05 = 2.55 -> 3 ; (1,0): 255*0.2*0.475 = 24.225 -> 24 ; (1,1): 2.55 -> 3
    expect(out[1]).toBe(3);
    expect(out[84]).toBe(24);
    expect(out[85]).toBe(3);
    expect(out[83 * 84 + 83]).toBe(21); // 100*0.4*0.525 = 21
    let nonzero = 0;
    for (const v of out) if (v) nonzero++;
    expect(nonzero).toBe(5);
  });

  it('keeps a uniform frame uniform and averages a stripe', () => {
    expect(new Set(resizeArea(screen().fill(142)))).toEqual(new Set([142]));
    const src = screen();
    for (let x = 0; x < SCREEN_W; x++) src[SCREEN_W + x] = 200; // row 1 only: weight 0.4 into output row 0
    const out = resizeArea(src);
    for (let x = 0; x < 84; x++) expect(out[x]).toBe(80);
    expect(out[84]).toBe(0);
  });

  it('max-pools two frames pixel-wise', () => {
    expect(Array.from(maxPool(Uint8Array.from([1, 9, 3]), Uint8Array.from([4, 2, 3]), new Uint8Array(3)))).toEqual([4, 9, 3]);
  });
});

describe('learning-only transforms', () => {
  it('clips rewards to their sign', () => {
    expect([-3, 0, 0.1, 7].map(clipReward)).toEqual([-1, 0, 1, 1]);
  });

  it('stacks the newest frames channels-last and restarts a stack at a new life', () => {
    const s = new FrameStacker(3, 2);
    s.reset(Uint8Array.from([0, 255]));
    s.push(Uint8Array.from([51, 102]));
    const bytes = (a: Float32Array) => Array.from(a, (v) => Math.round(v * 255));
    // [byte0 oldest..newest, byte1 oldest..newest], scaled by 1/255.
    expect(bytes(s.write(new Float32Array(6)))).toEqual([0, 0, 51, 255, 255, 102]);
    s.reset(Uint8Array.from([255, 0]));
    expect(bytes(s.write(new Float32Array(6)))).toEqual([255, 255, 255, 0, 0, 0]);
  });

  it('standardises RAM bytes per position with a floor on the deviation and clipping', () => {
    const frames = [Uint8Array.from([10, 100]), Uint8Array.from([30, 100])];
    const norm = byteStats(frames, 8, 5);
    expect(norm.mean).toEqual([20, 100]);
    expect(norm.std).toEqual([10, 0]);
    const lut = byteNormLut(norm);
    expect(lut[0 * 256 + 30]).toBeCloseTo(1, 6);
    expect(lut[1 * 256 + 104]).toBeCloseTo(0.5, 6); // std 0 raised to 8
    expect(lut[1 * 256 + 255]).toBe(5); // clipped
  });
});

const romDir = process.env.ATARI_ROM_DIR;
if (!romDir) console.warn('atari-preprocessing: ATARI_ROM_DIR is not set, skipping the Breakout tests (point it at a folder with breakout.bin)');

describe.skipIf(!romDir)('AtariPreprocessing on Breakout (needs ATARI_ROM_DIR)', () => {
  const rom = () => findRom('breakout').bytes;

  it('gives 84x84 frames that equal max-pool + resize of the last two screens', () => {
    const env = new AtariEnv(rom(), { obsType: 'ram', frameSkip: 1, repeatActionProbability: 0 });
    const pre = new AtariPreprocessing(env, { obs: 'frames', frameSkip: 4 });
    const start = pre.reset(3);
    expect(start.frame.length).toBe(84 * 84);
    expect(start.lives).toBe(5);
    // Replay the same steps on a second env to get the raw screens.
    const ref = new AtariEnv(rom(), { obsType: 'grayscale', frameSkip: 1, repeatActionProbability: 0 });
    ref.reset({ seed: 3 });
    for (let i = 0; i < 4; i++) ref.step(1); // the automatic FIRE
    for (let k = 0; k < 5; k++) {
      const s = pre.step(3);
      let a: Uint8Array = new Uint8Array(0);
      let b: Uint8Array = new Uint8Array(0);
      for (let i = 0; i < 4; i++) {
        const r = ref.step(3);
        if (i === 2) a = r.observation;
        if (i === 3) b = r.observation;
      }
      expect(s.frames).toBe(4);
      expect(Buffer.from(s.frame).equals(Buffer.from(resizeArea(maxPool(a, b, new Uint8Array(a.length)))))).toBe(true);
    }
  });

  it('reports lost lives without ending the game, and RAM observations are the console RAM', () => {
    const env = new AtariEnv(rom(), { obsType: 'ram', frameSkip: 1, repeatActionProbability: 0.25 });
    const pre = new AtariPreprocessing(env, { obs: 'ram', frameSkip: 4 });
    pre.reset(0);
    let lost = 0;
    let steps = 0;
    for (; steps < 5000; steps++) {
      const s = pre.step(0); // NOOP: the ball is missed every life
      expect(s.frame).toEqual(Uint8Array.from(env.ale.getRAM()));
      if (s.lifeLost) {
        lost++;
        if (!s.terminated) pre.fire();
      }
      if (s.terminated) break;
    }
    expect(lost).toBe(5);
    expect(steps).toBeLessThan(5000);
  });
});
