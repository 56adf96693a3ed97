// The recording format (ARCHITECTURE.md, "Recordings"): per episode `episode-NNNNN.mkv` (lossless,
// decodes to the exact frames), `episode-NNNNN.preview.mp4` (lossy, for people) and
// `episode-NNNNN.json` (this sidecar). Frame k of the video is the screen before action k; the last
// frame is the screen after the last action, so a video holds steps + 1 frames. An episode is
// complete when its sidecar exists (it is written last).
import { existsSync, readdirSync, readFileSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { UserError } from './errors';
import { DEFAULT_FPS, readFrameBatches, readFrames, VIDEO_EXT, type ReadFramesOptions } from './video';

export const EPISODE_FORMAT = 'neural-breakout-episode';

export interface EpisodeSidecar {
  format: typeof EPISODE_FORMAT;
  version: 1;
  episode: number;
  /** File names beside this sidecar. */
  video: string;
  preview?: string;
  game: string;
  romMd5: string;
  settings: {
    frameSkip: number;
    /** Sticky actions (0 = off: each recorded action is what the game received). */
    repeatActionProbability: number;
    mode: number;
    difficulty: number;
    maxSteps: number;
  };
  /** The policy that played, e.g. 'random' or 'dqn(epsilon=0.05)'. */
  policy: string;
  seed: number;
  width: number;
  height: number;
  /** Video frame rate: 60 / frameSkip. */
  fps: number;
  steps: number;
  /** steps + 1. */
  frames: number;
  /** Sum of rewards. */
  score: number;
  /** Whether the game ended (terminated) or the step limit cut it (truncated). */
  terminated: boolean;
  truncated: boolean;
  /** ALE action ids of the action set the indices refer to (Breakout: NOOP, FIRE, RIGHT, LEFT = 0, 1, 3, 4). */
  actionSet: number[];
  actionNames: string[];
  /** `actions` holds indices into `actionSet` (true), not ALE ids. */
  actionIndices: true;
  /** Per step k: the action taken on frame k, the reward it earned, and the episode-end flags after it. */
  actions: number[];
  rewards: number[];
  stepTerminated: boolean[];
  stepTruncated: boolean[];
  /** Lives shown on each frame: lives[k] before action k; lives[steps] after the last (steps + 1 entries). */
  lives: number[];
  /** Wall time of recording the episode, seconds. */
  seconds: number;
}

export const episodeStem = (episode: number) => `episode-${String(episode).padStart(5, '0')}`;

export function episodeFiles(dir: string, episode: number): { video: string; preview: string; sidecar: string } {
  const stem = episodeStem(episode);
  return { video: join(dir, `${stem}.${VIDEO_EXT}`), preview: join(dir, `${stem}.preview.mp4`), sidecar: join(dir, `${stem}.json`) };
}

/** Read and check a sidecar (a clear error for a missing or foreign file). */
export function readSidecar(path: string): EpisodeSidecar {
  if (!existsSync(path)) throw new UserError(`episode sidecar not found: ${path}`);
  let json: EpisodeSidecar;
  try {
    json = JSON.parse(readFileSync(path, 'utf8')) as EpisodeSidecar;
  } catch (err) {
    throw new UserError(`${path}: not valid JSON (${(err as Error).message})`);
  }
  if (json.format !== EPISODE_FORMAT) throw new UserError(`${path}: not an episode sidecar (format ${String(json.format)}, expected ${EPISODE_FORMAT})`);
  if (!Array.isArray(json.actions) || json.actions.length !== json.steps || json.frames !== json.steps + 1) {
    throw new UserError(`${path}: inconsistent sidecar (steps ${json.steps}, ${json.actions?.length} actions, ${json.frames} frames)`);
  }
  return json;
}

export interface RecordedEpisode {
  sidecarPath: string;
  videoPath: string;
  sidecar: EpisodeSidecar;
}

/** Complete episodes of a recording folder (those with a sidecar), in episode order. */
export function listRecording(dir: string): RecordedEpisode[] {
  if (!existsSync(dir) || !statSync(dir).isDirectory()) throw new UserError(`recording not found: ${dir} (expected a folder written by npm run stage:record)`);
  const names = readdirSync(dir)
    .filter((f) => /^episode-\d+\.json$/.test(f))
    .sort();
  return names.map((name) => {
    const sidecarPath = join(dir, name);
    const sidecar = readSidecar(sidecarPath);
    return { sidecarPath, videoPath: join(dir, sidecar.video), sidecar };
  });
}

/** Resolve an episode given as its sidecar, its video, or its preview. */
export function resolveEpisode(path: string): RecordedEpisode {
  const stem = path.replace(/(\.preview\.mp4|\.json|\.[a-z0-9]+)$/i, '');
  const sidecarPath = `${stem}.json`;
  if (!existsSync(sidecarPath)) {
    if (!existsSync(path)) throw new UserError(`episode not found: ${path}`);
    throw new UserError(`${path}: no sidecar ${sidecarPath} beside it (expected a recorded episode)`);
  }
  const sidecar = readSidecar(sidecarPath);
  return { sidecarPath, videoPath: join(stem.slice(0, stem.lastIndexOf('/') + 1), sidecar.video), sidecar };
}

/** Stream an episode's frames (checked against the sidecar's frame count). */
export function episodeFrames(ep: RecordedEpisode, opts: Pick<ReadFramesOptions, 'from' | 'to'> = {}): AsyncGenerator<Uint8Array> {
  return readFrames(ep.videoPath, { ...opts, fps: ep.sidecar.fps ?? DEFAULT_FPS, expectFrames: ep.sidecar.frames, width: ep.sidecar.width, height: ep.sidecar.height });
}

export interface RecordingBatch {
  episode: RecordedEpisode;
  /** Index of the batch's first frame in its episode. */
  start: number;
  /** `count` frames, H*W*3 bytes each, contiguous. */
  frames: Uint8Array;
  count: number;
}

/**
 * Stream every frame of a recording in batches, decoding `concurrency` episodes at once (one ffmpeg
 * each). Batches of one episode arrive in order; episodes interleave when concurrency > 1.
 */
export async function* readRecording(
  dir: string | RecordedEpisode[],
  opts: { concurrency?: number; batchSize?: number } = {},
): AsyncGenerator<RecordingBatch> {
  const episodes = typeof dir === 'string' ? listRecording(dir) : dir;
  // One decoder by default: on two cores a second ffmpeg made it slower (3,501 vs 6,089 frames/s measured
  // with `npm run bench:video -- --recording`), as the decoders and this loop then share the cores.
  const concurrency = Math.max(1, opts.concurrency ?? 1);
  const batchSize = opts.batchSize ?? 64;
  // A small bounded queue fed by `concurrency` decoder loops.
  const queue: RecordingBatch[] = [];
  let wake: (() => void) | undefined;
  let resumeProducers: (() => void)[] = [];
  let failure: unknown;
  let next = 0;
  let active = 0;
  let stopped = false;
  const maxQueued = concurrency * 4;
  const notify = () => {
    wake?.();
    wake = undefined;
  };
  const producer = async () => {
    active++;
    try {
      while (!stopped && !failure && next < episodes.length) {
        const ep = episodes[next++]!;
        const bytes = ep.sidecar.width * ep.sidecar.height * 3;
        let start = 0;
        for await (const frames of readFrameBatches(ep.videoPath, batchSize, { fps: ep.sidecar.fps, expectFrames: ep.sidecar.frames, width: ep.sidecar.width, height: ep.sidecar.height })) {
          if (stopped) break;
          const count = frames.length / bytes;
          queue.push({ episode: ep, start, frames, count });
          start += count;
          notify();
          while (queue.length >= maxQueued && !stopped) await new Promise<void>((r) => resumeProducers.push(r));
        }
      }
    } catch (err) {
      failure ??= err;
    } finally {
      active--;
      notify();
    }
  };
  const running = Array.from({ length: Math.min(concurrency, episodes.length) }, producer);
  try {
    while (true) {
      if (failure) throw failure;
      const item = queue.shift();
      if (item) {
        const r = resumeProducers;
        resumeProducers = [];
        r.forEach((f) => f());
        yield item;
        continue;
      }
      if (active === 0) break;
      await new Promise<void>((r) => (wake = r));
    }
    if (failure) throw failure;
  } finally {
    stopped = true;
    resumeProducers.forEach((f) => f());
    await Promise.allSettled(running);
  }
}
