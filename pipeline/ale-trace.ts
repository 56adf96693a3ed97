/**
 * ALE reference traces (`.jsonl.gz`, format in ../shared/ale-reference/README.md): reading one,
 * replaying it through our emulator and comparing every line field by field, and drawing the
 * picture of a screen mismatch (expected | got | difference).
 */
import { createHash } from 'node:crypto';
import { existsSync, readFileSync } from 'node:fs';
import { basename, dirname, join } from 'node:path';
import { gunzipSync } from 'node:zlib';
import { Ale } from '../atari/ale';
import { md5Hex } from '../atari/md5';

export const SCREEN_WIDTH = 160;
export const SCREEN_HEIGHT = 210;

/** A trace that cannot be read or does not fit the format (user input: the CLI prints the message). */
export class TraceError extends Error {
  readonly userFacing = true;
  constructor(message: string) {
    super(message);
    this.name = 'TraceError';
  }
}

export interface TraceHeader {
  kind: 'ale-trace';
  ale_version: string;
  rom_md5: string;
  settings: {
    random_seed: number;
    repeat_action_probability: number;
    frame_skip: number;
    mode: number;
    difficulty: number;
  };
  steps: number;
  minimal_action_set?: number[];
  available_modes?: number[];
  available_difficulties?: number[];
  other_ale_settings?: { max_num_frames_per_episode?: number; [k: string]: unknown };
  [k: string]: unknown;
}

export interface TraceResetLine {
  t: number;
  event: 'reset';
  frame: number;
  episode_frame: number;
  lives: number;
  ram: string;
  screen_md5: string;
}

export interface TraceActLine {
  t: number;
  action: number;
  reward: number;
  lives: number;
  game_over: boolean;
  frame: number;
  episode_frame: number;
  ram: string;
  screen_md5: string;
}

export type TraceLine = TraceResetLine | TraceActLine;

export interface Trace {
  path: string;
  header: TraceHeader;
  lines: TraceLine[];
}

export function isResetLine(line: TraceLine): line is TraceResetLine {
  return (line as TraceResetLine).event === 'reset';
}

/** Reads and checks a gzip-compressed JSON Lines trace. */
export function readTrace(path: string): Trace {
  let text: string;
  try {
    text = gunzipSync(readFileSync(path)).toString('utf8');
  } catch (err) {
    throw new TraceError(`cannot read trace ${path}: ${(err as Error).message} (expected a .jsonl.gz file)`);
  }
  const raw = text.split('\n').filter((l) => l.trim() !== '');
  const parsed = raw.map((l, i) => {
    try {
      return JSON.parse(l) as Record<string, unknown>;
    } catch {
      throw new TraceError(`trace ${path}: line ${i + 1} is not valid JSON`);
    }
  });
  const header = parsed[0] as unknown as TraceHeader | undefined;
  if (!header || header.kind !== 'ale-trace' || typeof header.settings !== 'object' || typeof header.rom_md5 !== 'string') {
    throw new TraceError(`trace ${path}: line 1 is not an ale-trace header`);
  }
  const lines = parsed.slice(1) as unknown as TraceLine[];
  if (lines.length === 0 || !isResetLine(lines[0])) {
    throw new TraceError(`trace ${path}: line 2 must be the initial reset line`);
  }
  for (let i = 0; i < lines.length; i++) {
    const l = lines[i];
    const ok =
      typeof l.ram === 'string' &&
      l.ram.length === 256 &&
      typeof l.screen_md5 === 'string' &&
      (isResetLine(l) || (typeof l.action === 'number' && typeof l.reward === 'number'));
    if (!ok) throw new TraceError(`trace ${path}: line ${i + 2} lacks ram, screen_md5 or action/reward`);
  }
  return { path, header, lines };
}

export interface ScreenDiff {
  /** Reference picture of this step, when the trace has one (`<trace>.frames/step-NNNNN.png`). */
  expectedPng?: string;
  /** Number of differing pixels and their bounding box (inclusive), when the reference is known. */
  differingPixels?: number;
  bbox?: { x0: number; y0: number; x1: number; y1: number };
  expectedMd5: string;
  gotMd5: string;
}

export interface Mismatch {
  /** `t` of the line (act calls made so far). */
  step: number;
  /** 'reset' for reset lines, else 'act'. */
  kind: 'reset' | 'act';
  field: string;
  expected: string;
  got: string;
  /** RAM bytes that differ: index 0..127 ($80 + index). */
  ramDiffs?: { index: number; expected: number; got: number }[];
  screen?: ScreenDiff;
  /** Our RGB screen at the mismatch (210 x 160 x 3), for drawing. */
  gotRgb?: Uint8Array;
}

export interface ReplayResult {
  /** Act lines in the trace. */
  steps: number;
  /** Act lines that matched before the first mismatch (all of them when there is none). */
  matchedSteps: number;
  mismatch?: Mismatch;
}

export interface ReplayOptions {
  /** Called every `progressEvery` act steps. */
  onProgress?: (done: number, total: number) => void;
  progressEvery?: number;
  /** Where reference PNGs live (default: `<trace>.frames` next to the trace). */
  framesDir?: string;
  /** Decodes a reference PNG to 210 x 160 x 3 RGB (needed for pixel diffs; see `decodePng`). */
  decodePng?: (path: string) => Promise<Uint8Array>;
}

/** `<dir>/<name>.frames` for `<dir>/<name>.jsonl.gz`. */
export function framesDirFor(tracePath: string): string {
  const name = basename(tracePath).replace(/\.jsonl\.gz$/, '').replace(/\.jsonl$/, '');
  return join(dirname(tracePath), `${name}.frames`);
}

function hex(a: Uint8Array): string {
  return Buffer.from(a.buffer, a.byteOffset, a.byteLength).toString('hex');
}

function md5(a: Uint8Array): string {
  return createHash('md5').update(a).digest('hex');
}

/** Replays `trace` on `rom` and stops at the first line that differs. */
export async function replayTrace(rom: Uint8Array, trace: Trace, options: ReplayOptions = {}): Promise<ReplayResult> {
  const { header, lines } = trace;
  const romMd5 = md5Hex(rom);
  if (romMd5 !== header.rom_md5) {
    throw new TraceError(`the ROM's md5 is ${romMd5} but trace ${trace.path} was recorded with ${header.rom_md5}`);
  }
  const s = header.settings;
  const ale = new Ale(rom, {
    randomSeed: s.random_seed,
    repeatActionProbability: s.repeat_action_probability,
    frameSkip: s.frame_skip,
    maxNumFramesPerEpisode: header.other_ale_settings?.max_num_frames_per_episode ?? 0,
  });
  ale.setMode(s.mode);
  ale.setDifficulty(s.difficulty);
  ale.resetGame();

  const steps = lines.filter((l) => !isResetLine(l)).length;
  const every = options.progressEvery ?? 1000;
  const rgb = new Uint8Array(SCREEN_WIDTH * SCREEN_HEIGHT * 3);
  let matched = 0;
  let first = true;
  for (const line of lines) {
    let kind: 'reset' | 'act';
    let mismatch: Mismatch | undefined;
    if (isResetLine(line)) {
      kind = 'reset';
      if (!first) ale.resetGame();
      first = false;
    } else {
      kind = 'act';
      const reward = ale.act(line.action);
      if (reward !== line.reward) mismatch = field(line.t, kind, 'reward', line.reward, reward);
      else if (ale.gameOver() !== line.game_over) mismatch = field(line.t, kind, 'game_over', line.game_over, ale.gameOver());
    }
    mismatch ??=
      ale.lives() !== line.lives
        ? field(line.t, kind, 'lives', line.lives, ale.lives())
        : ale.getFrameNumber() !== line.frame
          ? field(line.t, kind, 'frame', line.frame, ale.getFrameNumber())
          : ale.getEpisodeFrameNumber() !== line.episode_frame
            ? field(line.t, kind, 'episode_frame', line.episode_frame, ale.getEpisodeFrameNumber())
            : undefined;
    if (!mismatch) {
      const ram = ale.getRAM();
      const gotRam = hex(ram);
      if (gotRam !== line.ram) {
        const expected = Buffer.from(line.ram, 'hex');
        const ramDiffs = [];
        for (let i = 0; i < 128; i++) if (expected[i] !== ram[i]) ramDiffs.push({ index: i, expected: expected[i], got: ram[i] });
        mismatch = { ...field(line.t, kind, 'ram', line.ram, gotRam), ramDiffs };
      }
    }
    if (!mismatch) {
      ale.getScreenRGB(rgb);
      const gotMd5 = md5(rgb);
      if (gotMd5 !== line.screen_md5) {
        mismatch = {
          ...field(line.t, kind, 'screen', line.screen_md5, gotMd5),
          screen: await describeScreenDiff(rgb, line, kind, trace, options, gotMd5),
          gotRgb: Uint8Array.from(rgb),
        };
      }
    }
    if (mismatch) return { steps, matchedSteps: matched, mismatch };
    if (kind === 'act') {
      matched++;
      if (options.onProgress && matched % every === 0) options.onProgress(matched, steps);
      // Let the event loop breathe now and then (test runners and progress output need it).
      if (matched % 250 === 0) await new Promise((resolve) => setImmediate(resolve));
    }
  }
  return { steps, matchedSteps: matched };
}

function field(step: number, kind: 'reset' | 'act', name: string, expected: unknown, got: unknown): Mismatch {
  return { step, kind, field: name, expected: String(expected), got: String(got) };
}

async function describeScreenDiff(
  got: Uint8Array,
  line: TraceLine,
  kind: 'reset' | 'act',
  trace: Trace,
  options: ReplayOptions,
  gotMd5: string,
): Promise<ScreenDiff> {
  const diff: ScreenDiff = { expectedMd5: line.screen_md5, gotMd5 };
  // PNGs exist for the initial reset (step 0) and for act lines; a later reset line shares its
  // `t` with the act line before it, whose PNG shows the screen before the reset.
  if (kind === 'reset' && line.t !== 0) return diff;
  const png = join(options.framesDir ?? framesDirFor(trace.path), `step-${String(line.t).padStart(5, '0')}.png`);
  if (!existsSync(png) || !options.decodePng) return diff;
  const expected = await options.decodePng(png);
  if (md5(expected) !== line.screen_md5) return diff; // not the picture of this line
  diff.expectedPng = png;
  let count = 0;
  let x0 = SCREEN_WIDTH;
  let y0 = SCREEN_HEIGHT;
  let x1 = -1;
  let y1 = -1;
  for (let p = 0; p < SCREEN_WIDTH * SCREEN_HEIGHT; p++) {
    const i = p * 3;
    if (expected[i] !== got[i] || expected[i + 1] !== got[i + 1] || expected[i + 2] !== got[i + 2]) {
      count++;
      const x = p % SCREEN_WIDTH;
      const y = (p / SCREEN_WIDTH) | 0;
      if (x < x0) x0 = x;
      if (x > x1) x1 = x;
      if (y < y0) y0 = y;
      if (y > y1) y1 = y;
    }
  }
  diff.differingPixels = count;
  if (count > 0) diff.bbox = { x0, y0, x1, y1 };
  return diff;
}

/**
 * expected | got | difference, side by side, as 480 x 210 RGB (difference: white where the pixels
 * differ, a dim copy of the expected picture elsewhere). Without a reference, only `got`.
 */
export function composeDiffImage(expected: Uint8Array | undefined, got: Uint8Array): { width: number; height: number; rgb: Uint8Array } {
  if (!expected) return { width: SCREEN_WIDTH, height: SCREEN_HEIGHT, rgb: got };
  const W = SCREEN_WIDTH * 3;
  const out = new Uint8Array(W * SCREEN_HEIGHT * 3);
  for (let y = 0; y < SCREEN_HEIGHT; y++) {
    for (let x = 0; x < SCREEN_WIDTH; x++) {
      const i = (y * SCREEN_WIDTH + x) * 3;
      const row = y * W * 3;
      const differs = expected[i] !== got[i] || expected[i + 1] !== got[i + 1] || expected[i + 2] !== got[i + 2];
      for (let c = 0; c < 3; c++) {
        out[row + x * 3 + c] = expected[i + c];
        out[row + (SCREEN_WIDTH + x) * 3 + c] = got[i + c];
        out[row + (2 * SCREEN_WIDTH + x) * 3 + c] = differs ? 255 : expected[i + c] >> 2;
      }
    }
  }
  return { width: W, height: SCREEN_HEIGHT, rgb: out };
}

/** One line per fact of a mismatch, for the terminal. */
export function describeMismatch(m: Mismatch): string[] {
  const where = m.kind === 'reset' ? `reset line after step ${m.step}` : `step ${m.step}`;
  const out: string[] = [];
  if (m.field === 'ram') {
    const bytes = (m.ramDiffs ?? [])
      .map((d) => `$${(0x80 + d.index).toString(16)} (index ${d.index}): expected ${hex2(d.expected)}, got ${hex2(d.got)}`)
      .join('; ');
    out.push(`mismatch at ${where}: RAM differs in ${m.ramDiffs?.length ?? 0} byte(s): ${bytes}`);
  } else if (m.field === 'screen') {
    const s = m.screen;
    let text = `mismatch at ${where}: screen md5 expected ${m.expected}, got ${m.got}`;
    if (s?.differingPixels !== undefined) {
      text += `; ${s.differingPixels} pixel(s) differ`;
      if (s.bbox) text += `, bounding box x ${s.bbox.x0}..${s.bbox.x1}, y ${s.bbox.y0}..${s.bbox.y1}`;
    } else {
      text += ' (no reference PNG for this step: pixel diff unavailable)';
    }
    out.push(text);
  } else {
    out.push(`mismatch at ${where}: ${m.field} expected ${m.expected}, got ${m.got}`);
  }
  return out;
}

function hex2(v: number): string {
  return `$${v.toString(16).padStart(2, '0')}`;
}
