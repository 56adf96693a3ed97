// One shape for every sequence of real frames the world model is judged or trained on: a recorded
// episode (video + JSON sidecar) or a wm-eval-sample folder (`frame-KKKK.png` + `meta.json`).
// Frame k is the screen before actions[k]; frames has one more entry than actions.
import { existsSync, readFileSync, readdirSync, statSync } from 'node:fs';
import { basename, dirname, join } from 'node:path';
import { FRAME_HEIGHT, FRAME_WIDTH } from './frame-classes';
import { UserError } from './errors';
import { readPng } from './png';
import { readAllFrames, VIDEO_EXT } from './video';

export interface Trajectory {
  /** Where it came from (a folder or a recording file), for messages and manifests. */
  source: string;
  /** RGB frames, 210x160x3 each; frames.length === actions.length + 1. */
  frames: Uint8Array[];
  /** ALE action ids (0 NOOP, 1 FIRE, 3 RIGHT, 4 LEFT); actions[k] was taken on frames[k]. */
  actions: number[];
  /** Indices k where frames[k] is the first screen after a reset: nothing predicts across one. */
  resets: number[];
  /** Lives before each action (and after the last), when known. */
  lives?: number[];
}

/** Whether predicting frames[from+1 .. to] from frames[.. from] crosses a reset. */
export function crossesReset(t: Pick<Trajectory, 'resets'>, from: number, to: number): boolean {
  return t.resets.some((r) => r > from && r <= to);
}

/** Whether frames [start .. start+len-1] all belong to one game (no reset after the first of them). */
export function contiguous(t: Pick<Trajectory, 'resets'>, start: number, len: number): boolean {
  return !crossesReset(t, start, start + len - 1);
}

export async function readRgbPng(path: string): Promise<Uint8Array> {
  const img = await readPng(path);
  if (img.width !== FRAME_WIDTH || img.height !== FRAME_HEIGHT) {
    throw new UserError(`${path}: expected a ${FRAME_WIDTH}x${FRAME_HEIGHT} RGB image, got ${img.width}x${img.height}`);
  }
  return img.data;
}

interface SampleMeta {
  actions: number[];
  resets?: number[];
  lives?: number[];
}

/** A wm-eval-sample style folder: frame-0000.png ... and meta.json with `actions` and `resets`. */
export async function loadTrajectoryFolder(dir: string): Promise<Trajectory> {
  const metaPath = join(dir, 'meta.json');
  if (!existsSync(metaPath)) throw new UserError(`${dir}: no meta.json (expected a trajectory folder with frame-KKKK.png and meta.json)`);
  let meta: SampleMeta;
  try {
    meta = JSON.parse(readFileSync(metaPath, 'utf8')) as SampleMeta;
  } catch (err) {
    throw new UserError(`${metaPath}: not valid JSON (${(err as Error).message})`);
  }
  if (!Array.isArray(meta.actions)) throw new UserError(`${metaPath}: missing the "actions" array`);
  const n = meta.actions.length;
  const frames: Uint8Array[] = [];
  for (let k = 0; k <= n; k++) {
    const p = join(dir, `frame-${String(k).padStart(4, '0')}.png`);
    if (!existsSync(p)) throw new UserError(`${dir}: ${basename(p)} is missing (meta.json lists ${n} actions, so ${n + 1} frames are expected)`);
    frames.push(await readRgbPng(p));
  }
  return { source: dir, frames, actions: [...meta.actions], resets: [...(meta.resets ?? [])], lives: meta.lives };
}

/** Per-step fields of a recording sidecar that the world model needs (see pipeline/record.ts). */
export interface EpisodeSteps {
  /** ALE action ids. */
  actions: number[];
  lives?: number[];
}

function num(v: unknown): number | undefined {
  return typeof v === 'number' && Number.isFinite(v) ? v : undefined;
}

/**
 * Actions (as ALE ids) and lives from an episode sidecar. Accepts per-step records (`steps: [{action,
 * lives, ...}]`) or parallel arrays (`actions`, `lives`); when the sidecar names its action set
 * (`actionSet`/`action_set`/`actions_meaning`) and the actions are indices into it, they are mapped to ids.
 */
export function parseEpisodeSidecar(json: unknown, source: string): EpisodeSteps {
  const bad = (why: string): never => { throw new UserError(`${source}: not an episode sidecar (${why})`); };
  if (typeof json !== 'object' || json === null) bad('not a JSON object');
  const o = json as Record<string, unknown>;
  let actions: number[] | undefined;
  let lives: number[] | undefined;
  if (Array.isArray(o.steps)) {
    actions = o.steps.map((s, i) => num((s as Record<string, unknown>)?.action) ?? bad(`step ${i} has no numeric action`));
    const l = o.steps.map((s) => num((s as Record<string, unknown>)?.lives));
    if (l.every((v) => v !== undefined)) lives = l as number[];
  } else if (Array.isArray(o.actions)) {
    actions = o.actions.map((a, i) => num(a) ?? bad(`actions[${i}] is not a number`));
    if (Array.isArray(o.lives)) lives = o.lives.map((v) => num(v) ?? 0);
  } else {
    bad('no "steps" or "actions" array');
  }
  const settings = (o.settings ?? o.game ?? o) as Record<string, unknown>;
  const set = [o.actionSet, o.action_set, settings.actionSet, settings.action_set].find(Array.isArray) as unknown[] | undefined;
  const indexed = o.actionIndices === true || o.action_kind === 'index' || o.actionKind === 'index';
  if (set && indexed) actions = actions!.map((a) => num(set[a]) ?? bad(`action index ${a} outside the action set`));
  return { actions: actions!, lives };
}

/** A recorded episode: `episode-NNNNN.json` sidecar beside its lossless `episode-NNNNN.mkv`. */
export async function loadRecordedEpisode(jsonPath: string): Promise<Trajectory> {
  let json: unknown;
  try {
    json = JSON.parse(readFileSync(jsonPath, 'utf8'));
  } catch (err) {
    throw new UserError(`${jsonPath}: not valid JSON (${(err as Error).message})`);
  }
  const { actions, lives } = parseEpisodeSidecar(json, jsonPath);
  const video = episodeVideoPath(jsonPath);
  const frames = await readAllFrames(video);
  if (frames.length !== actions.length + 1) {
    throw new UserError(`${jsonPath}: the video has ${frames.length} frames for ${actions.length} actions (expected one more frame than actions)`);
  }
  return { source: jsonPath, frames, actions, resets: [], lives };
}

/** The lossless video beside a sidecar. */
export function episodeVideoPath(jsonPath: string): string {
  const video = jsonPath.replace(/\.json$/, `.${VIDEO_EXT}`);
  if (!existsSync(video)) throw new UserError(`${jsonPath}: its video ${basename(video)} is missing`);
  return video;
}

/** A trajectory folder, an episode's `.json` sidecar, or its video (the sidecar beside it is used). */
export async function loadTrajectory(path: string): Promise<Trajectory> {
  if (!existsSync(path)) throw new UserError(`${path}: no such trajectory (give a trajectory folder or a recorded episode)`);
  if (statSync(path).isDirectory()) return loadTrajectoryFolder(path);
  if (path.endsWith('.json')) return loadRecordedEpisode(path);
  const stem = basename(path).split('.')[0];
  const sidecar = join(dirname(path), `${stem}.json`);
  if (!existsSync(sidecar)) throw new UserError(`${path}: no sidecar ${sidecar} beside the video`);
  return loadRecordedEpisode(sidecar);
}

/** Episode sidecars of a recording folder, sorted (episode-00001.json, ...). */
export function listEpisodes(dir: string): string[] {
  if (!existsSync(dir) || !statSync(dir).isDirectory()) throw new UserError(`${dir}: not a recording folder`);
  const eps = readdirSync(dir).filter((f) => /^episode-\d+\.json$/.test(f)).sort().map((f) => join(dir, f));
  if (eps.length === 0) throw new UserError(`${dir}: no episode-NNNNN.json sidecars (record with npm run stage:record)`);
  return eps;
}
