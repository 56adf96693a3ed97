// Training data for the latent action model: windows of K context frames plus the next frame, taken
// from recorded episodes, split train/val/test by episode (never by frame: neighbouring frames are
// near-copies). Decoded frames are cached on disk as one byte per pixel (the colour class), so only the
// first pass runs ffmpeg; batches are read from the cache on demand (the OS page cache keeps hot data).
import { closeSync, existsSync, mkdirSync, openSync, readFileSync, readSync, renameSync, rmSync, statSync, writeSync } from 'node:fs';
import { createHash } from 'node:crypto';
import { basename, dirname, join, resolve } from 'node:path';
import { FRAME_PIXELS, rgbToClasses } from './frame-classes';
import { tempPathFor, writeJsonAtomic } from './atomic';
import { UserError } from './errors';
import { episodeVideoPath, listEpisodes, parseEpisodeSidecar } from './trajectory';
import { readFrames } from './video';

export type Split = 'train' | 'val' | 'test';

export interface EpisodeInfo {
  /** Stable name, e.g. `random-1/episode-00003`. */
  id: string;
  source: string;
  frames: number;
  /** ALE action ids; actions[k] was taken on frame k. */
  actions: number[];
  /** Frames that start a new game (nothing is predicted across them). */
  resets: number[];
  split: Split;
}

/** Where the class frames of the episodes live: a cache file per episode, or memory (tests). */
export interface FrameStore {
  /** Class frame k of episode e (H*W bytes). */
  read(episode: number, k: number, out?: Uint8Array): Uint8Array;
  close(): void;
}

export class MemoryFrameStore implements FrameStore {
  constructor(private readonly episodes: Uint8Array[][]) {}
  read(episode: number, k: number, out?: Uint8Array): Uint8Array {
    const f = this.episodes[episode][k];
    if (out) { out.set(f); return out; }
    return f;
  }
  close(): void {}
}

export class FileFrameStore implements FrameStore {
  private readonly fds: number[];
  constructor(readonly paths: string[]) {
    this.fds = paths.map((p) => openSync(p, 'r'));
  }
  read(episode: number, k: number, out = new Uint8Array(FRAME_PIXELS)): Uint8Array {
    const n = readSync(this.fds[episode], out, 0, FRAME_PIXELS, k * FRAME_PIXELS);
    if (n !== FRAME_PIXELS) throw new Error(`frame cache ${this.paths[episode]}: short read at frame ${k}`);
    return out;
  }
  close(): void {
    for (const fd of this.fds) closeSync(fd);
  }
}

/** One training example: predict frame `target` of `episode` from the `context` frames before it. */
export interface Window {
  episode: number;
  target: number;
}

/** Assign splits by a stable hash of the episode id; with >= 3 episodes val and test get at least one each. */
export function assignSplits(ids: string[], valShare: number, testShare: number): Split[] {
  const order = ids.map((id, i) => ({ i, h: createHash('sha256').update(id).digest().readUInt32BE(0) })).sort((a, b) => a.h - b.h || a.i - b.i);
  const n = ids.length;
  const nVal = n >= 3 ? Math.max(1, Math.round(n * valShare)) : 0;
  const nTest = n >= 3 ? Math.max(1, Math.round(n * testShare)) : 0;
  const out = new Array<Split>(n).fill('train');
  order.forEach(({ i }, rank) => {
    if (rank < nVal) out[i] = 'val';
    else if (rank < nVal + nTest) out[i] = 'test';
  });
  return out;
}

/** Every window with K real context frames from the same game. */
export function windowsOf(episodes: Pick<EpisodeInfo, 'frames' | 'resets'>[], contextFrames: number, which?: (e: number) => boolean): Window[] {
  const out: Window[] = [];
  episodes.forEach((ep, e) => {
    if (which && !which(e)) return;
    for (let t = contextFrames; t < ep.frames; t++) {
      if (ep.resets.some((r) => r > t - contextFrames && r <= t)) continue;
      out.push({ episode: e, target: t });
    }
  });
  return out;
}

export class LatentDataset {
  constructor(
    readonly episodes: EpisodeInfo[],
    readonly store: FrameStore,
    readonly contextFrames: number,
  ) {}

  windows(split: Split): Window[] {
    return windowsOf(this.episodes, this.contextFrames, (e) => this.episodes[e].split === split);
  }

  /** Context frames (oldest first) and the target frame of a window, as class frames. */
  frames(w: Window): { context: Uint8Array[]; target: Uint8Array } {
    const context: Uint8Array[] = [];
    for (let k = w.target - this.contextFrames; k < w.target; k++) context.push(this.store.read(w.episode, k).slice());
    return { context, target: this.store.read(w.episode, w.target).slice() };
  }

  /** The window one step earlier in the same episode (its target is this window's last context frame), if there is one. */
  previous(w: Window): Window | null {
    const t = w.target - 1;
    const ep = this.episodes[w.episode];
    if (t < this.contextFrames || ep.resets.some((r) => r > t - this.contextFrames && r <= t)) return null;
    return { episode: w.episode, target: t };
  }

  action(w: Window): number {
    return this.episodes[w.episode].actions[w.target - 1];
  }

  summary(): Record<Split, { episodes: number; windows: number }> {
    const s = {} as Record<Split, { episodes: number; windows: number }>;
    for (const split of ['train', 'val', 'test'] as const) {
      s[split] = { episodes: this.episodes.filter((e) => e.split === split).length, windows: this.windows(split).length };
    }
    return s;
  }

  close(): void {
    this.store.close();
  }
}

export interface BuildDatasetOptions {
  /** Recording folders (episode-NNNNN.json + .mkv) or single episode sidecars. */
  recordings: string[];
  /** Where class-frame caches go. */
  cacheDir: string;
  contextFrames: number;
  valShare: number;
  testShare: number;
  /** Use at most this many episodes per recording folder (0 = all). */
  maxEpisodes?: number;
  log?: (line: string) => void;
}

function cacheKey(video: string): string {
  const st = statSync(video);
  return createHash('sha256').update(`${resolve(video)}|${st.size}|${st.mtimeMs}`).digest('hex').slice(0, 24);
}

/** Decode an episode's video once into `<cacheDir>/<key>.classes` (frames x H*W bytes); returns its frame count. */
export async function cacheEpisodeClasses(video: string, cacheDir: string, expectFrames?: number): Promise<{ path: string; frames: number }> {
  mkdirSync(cacheDir, { recursive: true });
  const path = join(cacheDir, `${cacheKey(video)}.classes`);
  if (existsSync(path)) return { path, frames: statSync(path).size / FRAME_PIXELS };
  const tmp = tempPathFor(path);
  const fd = openSync(tmp, 'w');
  let frames = 0;
  try {
    const cls = new Uint8Array(FRAME_PIXELS);
    for await (const rgb of readFrames(video, { expectFrames })) {
      rgbToClasses(rgb, cls);
      writeSync(fd, cls);
      frames++;
    }
    closeSync(fd);
    renameSync(tmp, path);
  } catch (err) {
    try { closeSync(fd); } catch { /* already closed */ }
    rmSync(tmp, { force: true });
    throw err;
  }
  return { path, frames };
}

/** Build the dataset from recordings, decoding (and caching) episodes that are not cached yet. */
export async function buildLatentDataset(opts: BuildDatasetOptions): Promise<LatentDataset> {
  const sidecars: string[] = [];
  for (const r of opts.recordings) {
    if (!existsSync(r)) throw new UserError(`--data ${r}: no such recording folder or episode`);
    const eps = statSync(r).isDirectory() ? listEpisodes(r) : [r];
    sidecars.push(...(opts.maxEpisodes ? eps.slice(0, opts.maxEpisodes) : eps));
  }
  const ids = sidecars.map((s) => `${basename(dirname(resolve(s)))}/${basename(s, '.json')}`);
  const splits = assignSplits(ids, opts.valShare, opts.testShare);
  const episodes: EpisodeInfo[] = [];
  const paths: string[] = [];
  for (let i = 0; i < sidecars.length; i++) {
    let json: unknown;
    try {
      json = JSON.parse(readFileSync(sidecars[i], 'utf8'));
    } catch (err) {
      throw new UserError(`${sidecars[i]}: not valid JSON (${(err as Error).message})`);
    }
    const { actions } = parseEpisodeSidecar(json, sidecars[i]);
    const cached = await cacheEpisodeClasses(episodeVideoPath(sidecars[i]), opts.cacheDir, actions.length + 1);
    if (cached.frames !== actions.length + 1) {
      throw new UserError(`${sidecars[i]}: ${cached.frames} frames for ${actions.length} actions (expected one more frame than actions)`);
    }
    if ((i + 1) % 20 === 0 || i === sidecars.length - 1) opts.log?.(`dataset: ${i + 1}/${sidecars.length} episodes cached`);
    episodes.push({ id: ids[i], source: sidecars[i], frames: cached.frames, actions, resets: [], split: splits[i] });
    paths.push(cached.path);
  }
  return new LatentDataset(episodes, new FileFrameStore(paths), opts.contextFrames);
}

/** A description of the dataset for manifests and checkpoint.json. */
export function describeDataset(ds: LatentDataset, recordings: string[]): Record<string, unknown> {
  return { recordings, contextFrames: ds.contextFrames, splits: ds.summary(), episodes: ds.episodes.map((e) => ({ id: e.id, frames: e.frames, split: e.split })) };
}

export function writeDatasetIndex(path: string, ds: LatentDataset, recordings: string[]): void {
  writeJsonAtomic(path, describeDataset(ds, recordings));
}
