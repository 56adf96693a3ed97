/**
 * A person plays the neural Breakout in the terminal: every screen is drawn by the world model.
 * Left/right arrows move, space fires, '.' is NOOP (the default when no key is held), q/Esc quits.
 * One model step per tick at 15 steps/s (the real game's pace at frame skip 4). With a real game
 * beside it (`sideBySide`), both get the same actions and the status line shows how far apart they are.
 *
 * `recordNeuralGame` is the headless variant: a policy plays, the frames go to a GIF or MP4.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { extname, join } from 'node:path';
import { AtariEnv } from '../atari/env';
import { UserError } from '../pipeline/errors';
import { writeGif } from '../pipeline/gif';
import { VideoWriter } from '../pipeline/video';
import { dynamicAccuracy, psnr } from '../pipeline/world-model-metrics';
import { Prng } from '../pipeline/prng';
import { ACTION_NAMES, FIRE, LEFT, NOOP, RIGHT, type NeuralGame } from './neural-core';
import { drawFrame, fitLayout, HeldKeys, tooSmallMessage } from './terminal';
import { runTerminalLoop } from './terminal-loop';

const WHITE = 0xe0e0e0;
const GREY = 0x8a8a8a;
const YELLOW = 0xf0d040;
const FRAME_BYTES = 210 * 160 * 3;

/** The neural game's action index for the keys held now (FIRE wins, then one direction). */
export function neuralActionForKeys(left: boolean, right: boolean, fire: boolean): number {
  if (fire) return FIRE;
  if (left && !right) return LEFT;
  if (right && !left) return RIGHT;
  return NOOP;
}

/** The real game beside the neural one: same action indices (Breakout's minimal set). */
export class RealTwin {
  readonly env: AtariEnv;
  constructor(rom: Uint8Array) {
    this.env = new AtariEnv(rom, { obsType: 'rgb', frameSkip: 4, repeatActionProbability: 0 });
  }

  /** Reset and play NOOPs until there are `k` screens: the neural game's starting context. */
  reset(seed: number, k: number): Uint8Array[] {
    const frames = [this.env.reset({ seed }).observation];
    while (frames.length < k) frames.push(this.env.step(NOOP).observation);
    return frames;
  }
}

/** Per-step agreement between the neural and the real screen. */
export interface TwinScores {
  psnr: number;
  /** Null when no pixel changed in either frame. */
  dynamicAccuracy: number | null;
}

export function twinScores(neural: Uint8Array, real: Uint8Array, previousReal: Uint8Array): TwinScores {
  return { psnr: psnr(neural, real), dynamicAccuracy: dynamicAccuracy(neural, real, previousReal) };
}

/** Two frames side by side with a gap, as one RGB image. */
export function sideBySideFrame(left: Uint8Array, right: Uint8Array, gap = 4): { rgb: Uint8Array; width: number } {
  const width = 320 + gap;
  const out = new Uint8Array(width * 210 * 3);
  for (let y = 0; y < 210; y++) {
    out.set(left.subarray(y * 480, (y + 1) * 480), y * width * 3);
    out.set(right.subarray(y * 480, (y + 1) * 480), (y * width + 160 + gap) * 3);
  }
  return { rgb: out, width };
}

// ---------------------------------------------------------------------------------------------
// Headless

export const HEADLESS_POLICIES = ['random', 'held', 'noop'] as const;
export type HeadlessPolicy = (typeof HEADLESS_POLICIES)[number];

export interface RecordNeuralOptions {
  game: NeuralGame;
  policy: HeadlessPolicy;
  steps: number;
  /** .gif or .mp4 */
  out: string;
  seed: number;
  fps: number;
  /** Integer upscale of the written frames. */
  scale: number;
  /** The real game beside the neural one (same actions), when a ROM is at hand. */
  real?: RealTwin;
}

export interface RecordNeuralResult {
  frames: number;
  bytes: number;
  medianLatencyMs: number;
  /** Means over steps, side by side only. */
  meanPsnr?: number;
  meanDynamicAccuracy?: number | null;
}

/** A policy over the 4 actions: uniform each step, held for 1..15 steps, or always NOOP. FIRE first, so the ball is in play. */
export function headlessPolicy(kind: HeadlessPolicy, seed: number): (step: number) => number {
  const rng = new Prng(seed);
  let held = NOOP;
  let left = 0;
  return (step) => {
    if (step === 0) return FIRE;
    if (kind === 'noop') return NOOP;
    if (kind === 'random') return rng.int(ACTION_NAMES.length);
    if (left <= 0) { held = rng.int(ACTION_NAMES.length); left = 1 + rng.int(15); }
    left--;
    return held;
  };
}

function upscale(rgb: Uint8Array, w: number, h: number, s: number): Uint8Array {
  if (s === 1) return rgb;
  const out = new Uint8Array(w * s * h * s * 3);
  for (let y = 0; y < h * s; y++) {
    for (let x = 0; x < w * s; x++) {
      const src = (Math.floor(y / s) * w + Math.floor(x / s)) * 3;
      const dst = (y * w * s + x) * 3;
      out[dst] = rgb[src]; out[dst + 1] = rgb[src + 1]; out[dst + 2] = rgb[src + 2];
    }
  }
  return out;
}

/** A policy plays `steps` steps of the neural game (and the real one beside it); frames go to a GIF or MP4. */
export async function recordNeuralGame(opts: RecordNeuralOptions): Promise<RecordNeuralResult> {
  const ext = extname(opts.out).toLowerCase();
  if (ext !== '.gif' && ext !== '.mp4') throw new UserError(`--out ${opts.out}: expected a .gif or .mp4 file name`);
  if (!Number.isInteger(opts.steps) || opts.steps < 1) throw new UserError(`--steps must be an integer >= 1, not ${opts.steps}`);
  const { game, real } = opts;
  let previousReal: Uint8Array | undefined;
  let realFrame: Uint8Array | undefined;
  if (real) {
    const start = real.reset(opts.seed, game.contextFrames);
    game.resetFrom({ name: `real seed ${opts.seed}`, frames: start });
    realFrame = start[start.length - 1];
  } else {
    game.reset({ seed: opts.seed });
  }
  const policy = headlessPolicy(opts.policy, opts.seed + 1);
  const width = real ? 324 : 160;
  const compose = (neural: Uint8Array) => upscale(real && realFrame ? sideBySideFrame(realFrame, neural).rgb : neural, width, 210, opts.scale);
  const frames: Uint8Array[] = [compose(game.screenRGB())];
  const latencies: number[] = [];
  const psnrs: number[] = [];
  const dyn: number[] = [];
  for (let t = 0; t < opts.steps; t++) {
    const action = policy(t);
    const r = game.step(action);
    latencies.push(r.info.latencyMs);
    if (real && realFrame) {
      previousReal = realFrame;
      const rr = real.env.step(action);
      realFrame = rr.observation;
      const s = twinScores(r.observation, realFrame, previousReal);
      psnrs.push(s.psnr);
      if (s.dynamicAccuracy !== null) dyn.push(s.dynamicAccuracy);
      if (rr.terminated || rr.truncated) {
        const start = real.reset(opts.seed + t + 1, game.contextFrames);
        game.resetFrom({ name: 'real reset', frames: start });
        realFrame = start[start.length - 1];
      }
    }
    frames.push(compose(r.observation));
  }
  const size = { width: width * opts.scale, height: 210 * opts.scale, fps: opts.fps };
  let bytes: number;
  if (ext === '.gif') {
    bytes = (await writeGif(opts.out, frames, size)).bytes;
  } else {
    // VideoWriter's main file is lossless MKV; its preview is the H.264 MP4 people watch: keep that one.
    const tmp = mkdtempSync(join(tmpdir(), 'neural-game-'));
    try {
      const writer = new VideoWriter(join(tmp, 'lossless.mkv'), { ...size, previewPath: opts.out, previewScale: 1, preset: 'ultrafast' });
      try {
        for (const f of frames) await writer.write(f);
        bytes = (await writer.finish()).previewBytes ?? 0;
      } catch (err) {
        await writer.abort();
        throw err;
      }
    } finally {
      rmSync(tmp, { recursive: true, force: true });
    }
  }
  const sorted = [...latencies].sort((a, b) => a - b);
  return {
    frames: frames.length,
    bytes,
    medianLatencyMs: sorted[Math.floor(sorted.length / 2)] ?? 0,
    ...(real ? { meanPsnr: mean(psnrs) ?? undefined, meanDynamicAccuracy: mean(dyn) } : {}),
  };
}

function mean(xs: number[]): number | null {
  return xs.length === 0 ? null : xs.reduce((a, b) => a + b, 0) / xs.length;
}

// ---------------------------------------------------------------------------------------------
// Interactive

export interface PlayNeuralOptions {
  game: NeuralGame;
  /** Model steps per second. */
  fps: number;
  seed: number;
  holdMs: number;
  /** Stop after this many steps (0 = until q). */
  maxSteps: number;
  real?: RealTwin;
  /** One line naming the model (shown under the picture). */
  description: string;
}

export interface PlayNeuralResult {
  steps: number;
  episodes: number;
}

/** The status line (pure, for tests). */
export function statusLine(s: { step: number; action: number; latencyMs: number; fps: number; twin?: TwinScores; paused?: boolean }): string {
  // Side by side the title goes (the pictures are labelled): the line must fit 80 columns.
  const parts = [
    ...(s.twin ? [] : ['NEURAL BREAKOUT']),
    `step ${s.step}`,
    (ACTION_NAMES[s.action] ?? '?').padEnd(5),
    `model ${s.latencyMs.toFixed(1)} ms`,
    `${s.fps} fps`,
  ];
  if (s.twin) parts.push(`PSNR ${s.twin.psnr.toFixed(1)} dB`, `dyn-acc ${s.twin.dynamicAccuracy === null ? '-' : s.twin.dynamicAccuracy.toFixed(2)}`);
  if (s.paused) parts.push('PAUSED');
  return parts.join('  ');
}

export async function playNeural(opts: PlayNeuralOptions): Promise<PlayNeuralResult> {
  const { game, real } = opts;
  let seed = opts.seed;
  let realFrame: Uint8Array = new Uint8Array(FRAME_BYTES);
  let neuralFrame: Uint8Array = new Uint8Array(FRAME_BYTES);
  const resetBoth = () => {
    if (real) {
      const start = real.reset(seed, game.contextFrames);
      neuralFrame = game.resetFrom({ name: `real seed ${seed}`, frames: start }).observation;
      realFrame = start[start.length - 1];
    } else {
      neuralFrame = game.reset({ seed }).observation;
    }
    seed++;
  };
  resetBoth();

  const held = new HeldKeys(opts.holdMs);
  let reset = false;
  let paused = false;
  const result: PlayNeuralResult = { steps: 0, episodes: 1 };
  let step = 0;
  let action = NOOP;
  let latencyMs = 0;
  let twin: TwinScores | undefined;
  let scratch: Int32Array | undefined;

  await runTerminalLoop({
    fps: opts.fps,
    onKey: (event, now) => {
      if (event.key === 'dot') held.releaseAll();
      else if (event.key === 'other' && event.char === 'p' && event.type === 'press') paused = !paused;
      else if (event.key === 'other' && event.char === 'r' && event.type === 'press') reset = true;
      else held.handle(event, now);
    },
    tick: (now) => {
      if (reset) {
        reset = false;
        held.releaseAll();
        resetBoth();
        step = 0;
        twin = undefined;
        result.episodes++;
      } else if (!paused) {
        action = neuralActionForKeys(held.isHeld('left', now), held.isHeld('right', now), held.isHeld('space', now));
        const r = game.step(action);
        neuralFrame = r.observation;
        latencyMs = r.info.latencyMs;
        step = r.info.step;
        result.steps++;
        if (real) {
          const previous = realFrame;
          const rr = real.env.step(action);
          realFrame = rr.observation;
          twin = twinScores(neuralFrame, realFrame, previous);
          if (rr.terminated || rr.truncated) reset = true;
        }
        if (opts.maxSteps > 0 && result.steps >= opts.maxSteps) return 'quit';
      }
    },
    draw: (grid, fps) => {
      const { cols, rows } = grid;
      const layout = fitLayout(cols, rows, { count: real ? 2 : 1, reservedRows: 2 });
      if (!layout.fits) {
        const msg = tooSmallMessage(cols, rows, layout.needCols, layout.needRows);
        grid.text(0, Math.floor(rows / 2), msg.slice(0, cols), YELLOW);
        return;
      }
      if (!scratch || scratch.length !== layout.cols * layout.rows * 2) scratch = new Int32Array(layout.cols * layout.rows * 2);
      if (real) {
        drawFrame(grid, realFrame, layout.x, layout.y, layout.cols, layout.rows, 160, 210, scratch);
        drawFrame(grid, neuralFrame, layout.x + layout.cols + layout.gap, layout.y, layout.cols, layout.rows, 160, 210, scratch);
        grid.text(layout.x, layout.y, 'real', GREY);
        grid.text(layout.x + layout.cols + layout.gap, layout.y, 'neural', GREY);
      } else {
        drawFrame(grid, neuralFrame, layout.x, layout.y, layout.cols, layout.rows, 160, 210, scratch);
      }
      const width = cols - layout.x;
      grid.text(layout.x, layout.rows, statusLine({ step, action, latencyMs, fps, twin, paused }).slice(0, width), WHITE);
      const help = `←/→ move  space fire  . noop  r restart  p pause  q quit   ${opts.description}`;
      grid.text(layout.x, layout.rows + 1, help.slice(0, width), GREY);
    },
  });
  return result;
}
