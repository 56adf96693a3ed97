// Pair collection: every transition of the recordings gets the encoder's code, its action (as an index
// into the minimal set), its episode's split and the features of its context; the statistics count
// them; a real tiny recording (lossless video + sidecar) and a tiny world model go end to end.
import * as tf from '@tensorflow/tfjs';
import { existsSync, mkdirSync, mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import { FRAME_FEATURES, frameFeatures } from '../../models/action-map';
import { initBackend } from '../../models/backend';
import { DEFAULT_LATENT_ACTION_CONFIG, type LatentActionConfig, LatentActionModel } from '../../models/latent-action';
import {
  collectPairs, collectPairsFrom, DEFAULT_COLLECT_PAIRS_CONFIG, formatPairStats, pairStats, readPairs, type CodeNamer,
} from '../../pipeline/collect-pairs';
import { actionIndex } from '../../pipeline/eval-world-model';
import { rgbToClasses } from '../../pipeline/frame-classes';
import { LatentDataset, MemoryFrameStore, type EpisodeInfo } from '../../pipeline/latent-dataset';
import { writeVideo } from '../../pipeline/video';
import { saveWorldModel, WorldModel } from '../../pipeline/world-model';
import { drawScene } from './breakout-frames';

const ALE = [0, 1, 3, 4];

/**
 * A stand-in world model. The encoder's code is a known function of the target frame's paddle position;
 * the decoder draws a ball far off under code 3, near (45, 122) under code 4, none under the others.
 */
class PaddleCoder implements CodeNamer {
  readonly contextFrames = 2;
  readonly codebookSize = 5;
  calls = 0;
  private readonly drawn = new Map([
    [3, rgbToClasses(drawScene({ paddleX: 60, ball: { x: 120, y: 170 } }))],
    [4, rgbToClasses(drawScene({ paddleX: 60, ball: { x: 45, y: 122 } }))],
  ]);
  inferCodes(contexts: Uint8Array[][], nexts: Uint8Array[]): number[] {
    this.calls++;
    expect(contexts.every((c) => c.length === 2)).toBe(true);
    return nexts.map((n) => { let x = 0; while (n[190 * 160 + x] !== 2) x++; return x % 5; });
  }
  predict(contexts: Uint8Array[][], codes: ArrayLike<number>): Uint8Array[] {
    return contexts.map((c, i) => this.drawn.get(codes[i]) ?? c[c.length - 1]);
  }
}

function memoryDataset(): { ds: LatentDataset; xs: number[][] } {
  const infos: EpisodeInfo[] = [];
  const frames: Uint8Array[][] = [];
  const xs: number[][] = [];
  const splits = ['train', 'train', 'val', 'test'] as const;
  for (let e = 0; e < 4; e++) {
    const px = Array.from({ length: 7 }, (_, k) => 20 + 3 * k + e);
    xs.push(px);
    frames.push(px.map((x, k) => rgbToClasses(drawScene({ paddleX: x, ball: k % 2 ? { x: 40 + k, y: 120 } : undefined }))));
    infos.push({ id: `m/${e}`, source: `mem-${e}`, frames: 7, actions: [0, 1, 3, 4, 3, 4].map((a, k) => (k + e) % 2 ? a : 0), resets: [], split: splits[e] });
  }
  return { ds: new LatentDataset(infos, new MemoryFrameStore(frames), 2), xs };
}

describe('collect-pairs', () => {
  beforeAll(async () => { await initBackend('cpu', { log: () => {} }); });

  it('maps ALE ids to the minimal set and refuses others', () => {
    expect(ALE.map((a) => actionIndex(a, 'x'))).toEqual([0, 1, 2, 3]);
    expect(() => actionIndex(2, 'ep-7 step 3')).toThrow(/ep-7 step 3: action 2 is not in Breakout's minimal set/);
  });

  it('writes one pair per window with its code, action index, split, context features and ball clock', async () => {
    const { ds, xs } = memoryDataset();
    const coder = new PaddleCoder();
    const p = await collectPairsFrom(coder, ds, { batch: 4, relabelComebacks: false });
    expect(p.code.length).toBe(4 * 5); // windows: targets 2..6 of each episode
    expect(coder.calls).toBe(5);
    expect(p.relabelled).toEqual([]);
    for (let i = 0; i < p.code.length; i++) {
      const e = p.episode[i], t = p.target[i];
      expect(p.code[i]).toBe(xs[e][t] % 5);
      expect(p.action[i]).toBe(actionIndex(ds.episodes[e].actions[t - 1], ''));
      const want = frameFeatures(ds.frames({ episode: e, target: t }).context);
      expect(Array.from(p.features.subarray(i * FRAME_FEATURES, (i + 1) * FRAME_FEATURES))).toEqual(Array.from(want));
      // The ball shows on odd frames: the clock at the context's end (frame t-1) is 0 there, else 1.
      expect(p.ballClock[i]).toBe((t - 1) % 2 ? 0 : 1);
    }
    const s = pairStats(p);
    expect(s.splits).toEqual({ train: 10, val: 5, test: 5 });
    const hist = s.actionHistogram.train.map((c, a) => c + s.actionHistogram.val[a] + s.actionHistogram.test[a]);
    expect(hist).toEqual([0, 1, 2, 3].map((a) => p.action.filter((x) => x === a).length));
    expect(s.codeByAction.flat().reduce((x, y) => x + y, 0)).toBe(20);
    expect(s.codeByAction[2][p.code[p.action.indexOf(2)]]).toBeGreaterThan(0);
    expect(p.episodes[1].actions).toEqual(ds.episodes[1].actions.map((a) => actionIndex(a, '')));
    expect(formatPairStats(s)).toMatch(/20 pairs \(train 10, val 5, test 5\)/);
    expect(s.tableAccuracy?.split).toBe('test');
  });

  it('gives a ball that comes back the code whose decoded ball is nearest, unless its own code draws one', async () => {
    const { ds, xs } = memoryDataset();
    const p = await collectPairsFrom(new PaddleCoder(), ds, { batch: 4, relabelComebacks: true });
    let comebacks = 0;
    for (let i = 0; i < p.code.length; i++) {
      const own = xs[p.episode[i]][p.target[i]] % 5;
      // The ball shows on odd frames only: every odd target is a comeback.
      const comeback = p.target[i] % 2 === 1;
      if (comeback) comebacks++;
      expect(p.code[i]).toBe(comeback && own < 3 ? 4 : own);
    }
    expect(comebacks).toBe(8);
    const moved = p.relabelled.map(([i, from]) => [p.code[i], from]);
    expect(moved.length).toBeGreaterThan(0);
    expect(moved.every(([to, from]) => to === 4 && from < 3)).toBe(true);
    expect(pairStats(p).relabelled[moved[0][1]][4]).toBeGreaterThan(0);
    expect(formatPairStats(pairStats(p))).toMatch(/comebacks relabelled: \d->4 \d/);
  });

  it('runs the encoder of a saved world model over a real tiny recording, end to end', { timeout: 300_000 }, async () => {
    const dir = mkdtempSync(join(tmpdir(), 'collect-pairs-'));
    const rec = join(dir, 'rec');
    mkdirSync(rec);
    for (let e = 1; e <= 3; e++) {
      const frames = Array.from({ length: 5 }, (_, k) => drawScene({ paddleX: 30 + 4 * k * e, ball: { x: 30 + 8 * k, y: 100 + 8 * k } }));
      await writeVideo(join(rec, `episode-0000${e}.mkv`), frames);
      writeFileSync(join(rec, `episode-0000${e}.json`), JSON.stringify({ actionSet: ALE, actionIndices: true, actions: [2, 2, 3, 0] }));
    }
    const cfg: LatentActionConfig = { ...DEFAULT_LATENT_ACTION_CONFIG, contextFrames: 2, codebookSize: 4, encoderChannels: [4, 4, 4], stemChannels: 4, bodyChannels: 4, bodyBlocks: 1, refineChannels: 4 };
    const wmDir = join(dir, 'wm');
    await saveWorldModel(wmDir, new LatentActionModel(cfg, 2), { data: { recordings: [rec] } });
    const root = join(dir, 'runs');
    const res = await collectPairs({
      config: { ...DEFAULT_COLLECT_PAIRS_CONFIG, worldModel: wmDir, cacheDir: join(dir, 'cache'), backend: 'cpu', batch: 4 },
      name: 't', root, log: () => {},
    });
    expect(res.runDir).toBe(join(root, 'collect-pairs-t'));
    expect(res.stats.pairs).toBe(3 * 3);
    const p = readPairs(res.runDir);
    expect(p.worldModel).toBe(wmDir);
    expect(p.action.slice(0, 3)).toEqual([2, 3, 0]); // targets 2, 3, 4: actions 1..3 of the sidecar
    expect(new Set(p.episodes.map((e) => e.split))).toEqual(new Set(['train', 'val', 'test']));
    // The codes are the world model's own.
    const wm = await WorldModel.load(wmDir);
    const ep0 = p.episode.indexOf(0);
    const { readAllFrames } = await import('../../pipeline/video');
    const frames = (await readAllFrames(join(rec, 'episode-00001.mkv'))).map((f) => rgbToClasses(f));
    const codes = tf.tidy(() => Array.from(wm.inferCodes([frames.slice(0, 2), frames.slice(1, 3), frames.slice(2, 4)], [frames[2], frames[3], frames[4]])));
    expect(p.code.slice(ep0, ep0 + 3)).toEqual(codes);
    expect(existsSync(join(res.runDir, 'manifest.json'))).toBe(true);
    const summary = JSON.parse(readFileSync(join(res.runDir, 'summary.json'), 'utf8'));
    expect(summary.pairs).toBe(9);
    expect(() => readPairs(join(dir, 'nowhere'))).toThrow(/no pairs.json/);
    // A world model whose run folder names its episodes' splits: those splits win.
    writeFileSync(join(dir, 'manifest.json'), JSON.stringify({ dataset: { episodes: [1, 2, 3].map((e) => ({ id: `rec/episode-0000${e}`, split: 'train' })) } }));
    const again = await collectPairs({
      config: { ...DEFAULT_COLLECT_PAIRS_CONFIG, worldModel: wmDir, cacheDir: join(dir, 'cache'), backend: 'cpu', batch: 4 },
      name: 't2', root, log: () => {},
    });
    expect(again.stats.splits).toEqual({ train: 9, val: 0, test: 0 });
    writeFileSync(join(res.runDir, 'features.f32'), new Uint8Array(8));
    expect(() => readPairs(res.runDir)).toThrow(/truncated/);
  });
});
