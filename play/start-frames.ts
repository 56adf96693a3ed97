// Real screens the neural game starts from, shipped in checkpoints/start-frames/ so no ROM is needed
// at play time: `index.json` names each start's frames (PNG, 160x210 RGB, oldest first; a model with
// K context frames uses the last K). Made once with our emulator by `makeStartFrames`.
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { AtariEnv } from '../atari/env';
import { writeDirAtomic, writeJsonAtomic } from '../pipeline/atomic';
import { UserError } from '../pipeline/errors';
import { readPng, writePng } from '../pipeline/png';
import { Prng } from '../pipeline/prng';
import type { StartFrames } from './neural-core';

export const START_FRAMES_FORMAT = 'neural-breakout-start-frames';
export const START_FRAMES_DIR = 'checkpoints/start-frames';
/** Frames kept per start: enough for any decoder context (2..4). */
export const FRAMES_PER_START = 4;

export interface StartFramesIndex {
  format: typeof START_FRAMES_FORMAT;
  /** How they were made (command, ROM md5, settings). */
  source: Record<string, unknown>;
  starts: { name: string; frames: string[]; description: string }[];
}

function readIndex(dir: string): StartFramesIndex {
  const path = join(dir, 'index.json');
  if (!existsSync(path)) throw new UserError(`start frames not found: ${path} (expected the folder made by make-start-frames, shipped in ${START_FRAMES_DIR})`);
  let index: StartFramesIndex;
  try {
    index = JSON.parse(readFileSync(path, 'utf8')) as StartFramesIndex;
  } catch (err) {
    throw new UserError(`start frames: ${path} is not valid JSON (${(err as Error).message})`);
  }
  if (index.format !== START_FRAMES_FORMAT || !Array.isArray(index.starts)) throw new UserError(`start frames: ${path} is not a ${START_FRAMES_FORMAT} index`);
  return index;
}

/** Load every start of a start-frames folder as RGB frames. */
export async function loadStartFrames(dir: string = START_FRAMES_DIR): Promise<StartFrames[]> {
  const index = readIndex(dir);
  const out: StartFrames[] = [];
  for (const s of index.starts) {
    const frames: Uint8Array[] = [];
    for (const f of s.frames) {
      const img = await readPng(join(dir, f));
      if (img.width !== 160 || img.height !== 210) throw new UserError(`start frames: ${join(dir, f)} is ${img.width}x${img.height}, expected 160x210`);
      frames.push(img.data);
    }
    out.push({ name: s.name, frames });
  }
  if (out.length === 0) throw new UserError(`start frames: ${dir}/index.json lists no starts`);
  return out;
}

export interface MakeStartFramesOptions {
  rom: Uint8Array;
  romMd5: string;
  outDir: string;
  /** Number of starts. */
  count: number;
  seed: number;
  command?: string;
}

// ALE minimal-set indices for Breakout.
const FIRE = 1;

/**
 * Play the real game and keep FRAMES_PER_START consecutive screens per start. The first start is the
 * screen right after reset (the ball waits for FIRE); the others launch the ball and play random
 * actions for a while, so the neural game also starts mid-rally with bricks already gone.
 */
export async function makeStartFrames(opts: MakeStartFramesOptions): Promise<StartFramesIndex> {
  const env = new AtariEnv(opts.rom, { obsType: 'rgb', frameSkip: 4, repeatActionProbability: 0 });
  const rng = new Prng(opts.seed);
  const index: StartFramesIndex = {
    format: START_FRAMES_FORMAT,
    source: {
      command: opts.command ?? 'make-start-frames',
      romMd5: opts.romMd5,
      settings: { frameSkip: 4, repeatActionProbability: 0, mode: 0, difficulty: 0 },
      seed: opts.seed,
      note: 'real screens from our emulator (atari/); frame k is the screen before step k',
    },
    starts: [],
  };
  const starts: { name: string; frames: Uint8Array[] }[] = [];
  for (let s = 0; s < opts.count; s++) {
    let { observation } = env.reset({ seed: opts.seed + s });
    const history: Uint8Array[] = [observation];
    // Start 0: just after reset with NOOPs; others: FIRE, then random play for 20..120 steps.
    const playSteps = s === 0 ? FRAMES_PER_START : 20 + rng.int(100);
    let lives = env.ale.lives();
    for (let t = 0; t < playSteps; t++) {
      const action = s === 0 ? 0 : t === 0 || env.ale.lives() < lives ? FIRE : rng.int(env.numActions);
      lives = env.ale.lives();
      const r = env.step(action);
      if (r.terminated || r.truncated) break;
      history.push(r.observation);
    }
    const frames = history.slice(-FRAMES_PER_START);
    if (frames.length < FRAMES_PER_START) throw new Error(`start ${s}: the game ended after ${history.length} screens`);
    const description = s === 0 ? 'just after reset (press FIRE to launch the ball)' : `${playSteps} steps of random play after FIRE`;
    starts.push({ name: `start-${String(s).padStart(2, '0')}`, frames });
    index.starts.push({ name: starts[s].name, frames: frames.map((_, k) => `${starts[s].name}-${k}.png`), description });
  }
  await writeDirAtomic(opts.outDir, async (tmp) => {
    for (let s = 0; s < starts.length; s++) {
      for (let k = 0; k < starts[s].frames.length; k++) await writePng(join(tmp, index.starts[s].frames[k]), starts[s].frames[k], 160, 210);
    }
    writeJsonAtomic(join(tmp, 'index.json'), index);
  });
  return index;
}
