import { mkdtempSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import sharp from 'sharp';
import { describe, expect, it } from 'vitest';
import { writeGif } from '../../pipeline/gif';
import { FakeBreakoutEnv } from './fake-env';

describe('gif', () => {
  it('writes an animated GIF whose frames keep the exact Atari colours', async () => {
    const env = new FakeBreakoutEnv();
    env.reset({ seed: 1 });
    const frames = [env.screenRGB()];
    for (let i = 0; i < 9; i++) {
      env.step(i === 0 ? 1 : 2);
      frames.push(env.screenRGB());
    }
    const path = join(mkdtempSync(join(tmpdir(), 'gif-')), 'clip.gif');
    const r = await writeGif(path, frames, { scale: 2, fps: 15 });
    expect(r.frames).toBe(10);
    expect(readFileSync(path).subarray(0, 6).toString()).toBe('GIF89a');
    const meta = await sharp(path, { pages: -1 }).metadata();
    expect(meta.pages).toBe(10);
    expect(meta.width).toBe(320);
    // Page 5, downscaled back by taking every other pixel, equals frame 5.
    const { data, info } = await sharp(path, { page: 5 }).removeAlpha().raw().toBuffer({ resolveWithObject: true });
    expect([info.width, info.height]).toEqual([320, 420]);
    const back = new Uint8Array(160 * 210 * 3);
    for (let y = 0; y < 210; y++)
      for (let x = 0; x < 160; x++) back.set(data.subarray(((2 * y) * 320 + 2 * x) * 3, ((2 * y) * 320 + 2 * x) * 3 + 3), (y * 160 + x) * 3);
    expect(Buffer.compare(Buffer.from(back), Buffer.from(frames[5]!))).toBe(0);
  });

  it('falls back to quantizing frames with more than 256 colours', async () => {
    const noisy = new Uint8Array(160 * 210 * 3).map((_, i) => (i * 2654435761) >>> 24);
    const path = join(mkdtempSync(join(tmpdir(), 'gif-')), 'noise.gif');
    const r = await writeGif(path, [noisy, noisy]);
    expect(r.frames).toBe(2);
    expect((await sharp(path, { pages: -1 }).metadata()).pages).toBe(2);
  });
});
