import { mkdirSync, mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { rgbToClasses } from '../../pipeline/frame-classes';
import { LatentDataset, MemoryFrameStore, assignSplits, buildLatentDataset, windowsOf } from '../../pipeline/latent-dataset';
import { writeVideo } from '../../pipeline/video';
import { drawScene } from './breakout-frames';

describe('latent dataset', () => {
  it('makes windows of K context frames that never cross a reset', () => {
    const w = windowsOf([{ frames: 8, resets: [5] }, { frames: 3, resets: [] }], 2);
    // Episode 0: targets 2..7 except those whose context or target straddles frame 5 (targets 5, 6).
    expect(w.filter((x) => x.episode === 0).map((x) => x.target)).toEqual([2, 3, 4, 7]);
    expect(w.filter((x) => x.episode === 1).map((x) => x.target)).toEqual([2]);
  });

  it('splits by episode, deterministically, with val and test never empty from 3 episodes on', () => {
    const ids = Array.from({ length: 20 }, (_, i) => `rec/episode-${i}`);
    const a = assignSplits(ids, 0.1, 0.1);
    expect(assignSplits(ids, 0.1, 0.1)).toEqual(a);
    expect(a.filter((s) => s === 'val').length).toBe(2);
    expect(a.filter((s) => s === 'test').length).toBe(2);
    const three = assignSplits(['a', 'b', 'c'], 0.1, 0.1);
    expect(three.sort()).toEqual(['test', 'train', 'val']);
    // Adding episodes does not move an existing one into another split unless ranks shift: the order is by hash.
    expect(assignSplits(['x'], 0.1, 0.1)).toEqual(['train']);
  });

  it('returns the context and target frames of a window from the store', () => {
    const frames = [0, 1, 2, 3].map((k) => new Uint8Array(4).fill(k));
    const ds = new LatentDataset([{ id: 'e', source: 'mem', frames: 4, actions: [0, 1, 3, 4], resets: [], split: 'train' }], new MemoryFrameStore([frames]), 2);
    const w = ds.windows('train');
    expect(w.map((x) => x.target)).toEqual([2, 3]);
    const { context, target } = ds.frames(w[1]);
    expect(context.map((f) => f[0])).toEqual([1, 2]);
    expect(target[0]).toBe(3);
    expect(ds.action(w[1])).toBe(3);
  });

  it('decodes recorded episodes once into a class-frame cache and reads them back exactly', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'latent-ds-'));
    const rec = join(dir, 'rec');
    mkdirSync(rec);
    const episodes: Uint8Array[][] = [];
    for (let e = 1; e <= 3; e++) {
      const frames = Array.from({ length: 6 }, (_, k) => drawScene({ paddleX: 20 + 4 * k + e, ball: { x: 30 + 8 * k, y: 100 + 8 * k } }));
      episodes.push(frames);
      await writeVideo(join(rec, `episode-0000${e}.mkv`), frames);
      writeFileSync(join(rec, `episode-0000${e}.json`), JSON.stringify({ actionSet: [0, 1, 3, 4], actionIndices: true, actions: [0, 1, 2, 3, 2] }));
    }
    const cacheDir = join(dir, 'cache');
    const ds = await buildLatentDataset({ recordings: [rec], cacheDir, contextFrames: 2, valShare: 0.1, testShare: 0.1 });
    expect(ds.episodes.map((e) => e.frames)).toEqual([6, 6, 6]);
    expect(ds.episodes[0].actions).toEqual([0, 1, 3, 4, 3]); // indices mapped to ALE ids
    expect(new Set(ds.episodes.map((e) => e.split))).toEqual(new Set(['train', 'val', 'test']));
    const { context, target } = ds.frames({ episode: 1, target: 4 });
    expect(Buffer.compare(Buffer.from(target), Buffer.from(rgbToClasses(episodes[1][4])))).toBe(0);
    expect(Buffer.compare(Buffer.from(context[0]), Buffer.from(rgbToClasses(episodes[1][2])))).toBe(0);
    ds.close();
    // A second build reads the cache (same files, no decoding needed).
    const again = await buildLatentDataset({ recordings: [rec], cacheDir, contextFrames: 2, valShare: 0.1, testShare: 0.1 });
    expect(again.summary()).toEqual(ds.summary());
    again.close();
  });
});
