// Finding ffmpeg. In order: FFMPEG_PATH, the optional `ffmpeg-static` package (its install
// downloads a binary, which fails offline, so it may be absent), `@ffmpeg-installer/ffmpeg`
// (ships its binary inside the npm package), then `ffmpeg` on the PATH.
import { spawn, spawnSync, type ChildProcess, type ChildProcessByStdio } from 'node:child_process';
import { accessSync, constants, existsSync } from 'node:fs';
import { createRequire } from 'node:module';
import { delimiter, join } from 'node:path';
import type { Readable } from 'node:stream';
import ffmpegCommand from 'fluent-ffmpeg';
import { UserError } from './errors';

export interface FfmpegLocation {
  path: string;
  /** 'FFMPEG_PATH' | 'ffmpeg-static' | '@ffmpeg-installer/ffmpeg' | 'PATH' */
  source: string;
  version?: string;
}

const require = createRequire(import.meta.url);

function isExecutable(path: string | null | undefined): path is string {
  if (!path) return false;
  try {
    accessSync(path, constants.X_OK);
    return true;
  } catch {
    return false;
  }
}

function fromPackage(name: string): string | undefined {
  try {
    const mod = require(name) as string | { path?: string; default?: string };
    const p = typeof mod === 'string' ? mod : (mod.path ?? mod.default);
    return isExecutable(p) ? p : undefined;
  } catch {
    return undefined;
  }
}

function fromPathEnv(): string | undefined {
  const exe = process.platform === 'win32' ? 'ffmpeg.exe' : 'ffmpeg';
  for (const dir of (process.env.PATH ?? '').split(delimiter)) {
    if (!dir) continue;
    const p = join(dir, exe);
    if (existsSync(p) && isExecutable(p)) return p;
  }
  return undefined;
}

let cached: FfmpegLocation | undefined;

/** Forget the located ffmpeg (tests change FFMPEG_PATH). */
export function resetFfmpegCache(): void {
  cached = undefined;
}

/** Locate ffmpeg (cached); throws a UserError explaining how to get one when none is found. */
export function findFfmpeg(): FfmpegLocation {
  if (cached) return cached;
  const env = process.env.FFMPEG_PATH;
  if (env && !isExecutable(env)) throw new UserError(`FFMPEG_PATH=${env} is not an executable file; fix it or unset it`);
  const candidates: [string, () => string | undefined][] = [
    ['FFMPEG_PATH', () => env],
    ['ffmpeg-static', () => fromPackage('ffmpeg-static')],
    ['@ffmpeg-installer/ffmpeg', () => fromPackage('@ffmpeg-installer/ffmpeg')],
    ['PATH', fromPathEnv],
  ];
  for (const [source, find] of candidates) {
    const path = find();
    if (!path) continue;
    const run = spawnSync(path, ['-hide_banner', '-version'], { encoding: 'utf8' });
    if (run.status !== 0) continue;
    cached = { path, source, version: run.stdout.split('\n')[0]?.replace(/^ffmpeg version /, '').split(' ')[0] };
    ffmpegCommand.setFfmpegPath(path);
    return cached;
  }
  throw new UserError(
    'ffmpeg not found: set FFMPEG_PATH to an ffmpeg binary, or install one (npm install @ffmpeg-installer/ffmpeg, or apt-get install ffmpeg)',
  );
}

/** One line naming the ffmpeg in use, for logs. */
export function describeFfmpeg(): string {
  const f = findFfmpeg();
  return `ffmpeg ${f.version ?? '?'} from ${f.source} (${f.path})`;
}

// Every ffmpeg we start, so a forced exit can stop them (they run in their own process group).
const live = new Set<ChildProcess>();

/** SIGKILL every ffmpeg this thread started that is still running (synchronous; for exit paths). */
export function killActiveFfmpeg(): void {
  for (const p of live) {
    try {
      p.kill('SIGKILL');
    } catch {
      /* already gone */
    }
  }
  live.clear();
}
process.on('exit', killActiveFfmpeg);

/**
 * Start ffmpeg directly (for the frame reader: a plain stdout pipe is leaner than fluent-ffmpeg's
 * output stream, whose "Output stream closed" timer can misfire under load). Tracked like the
 * fluent-ffmpeg commands.
 */
export function spawnFfmpeg(args: string[]): ChildProcessByStdio<null, Readable, Readable> {
  const proc = spawn(findFfmpeg().path, args, { stdio: ['ignore', 'pipe', 'pipe'] });
  live.add(proc);
  proc.once('exit', () => live.delete(proc));
  return proc;
}

type SpawnHook = (args: string[], options: Record<string, unknown>, processCB?: unknown, endCB?: unknown) => void;

/**
 * A fluent-ffmpeg command bound to the located binary, its process tracked for `killActiveFfmpeg`.
 * ffmpeg stays in our process group (a detached ffmpeg ran several times slower here under load,
 * in its own scheduler autogroup), so a terminal Ctrl-C reaches it too: it then stops with "received
 * signal 2", which VideoWriter reports as `interrupted`, and the recorder treats as a stop.
 */
export function ffmpeg(input?: string | Readable): ffmpegCommand.FfmpegCommand {
  findFfmpeg();
  const cmd = input === undefined ? ffmpegCommand() : ffmpegCommand(input);
  // fluent-ffmpeg 2.1 exposes no spawned-process hook for run(); wrap its (private, stable) spawn helper.
  const target = cmd as unknown as { _spawnFfmpeg: SpawnHook };
  const original = target._spawnFfmpeg;
  target._spawnFfmpeg = function (this: unknown, args, options, processCB, endCB) {
    const onProcess = (proc: ChildProcess, ...rest: unknown[]) => {
      live.add(proc);
      proc.once('exit', () => live.delete(proc));
      if (typeof processCB === 'function') (processCB as (...a: unknown[]) => void)(proc, ...rest);
    };
    // With fewer arguments the last is the end callback (capability probes): leave those alone.
    if (typeof options === 'function' || typeof endCB !== 'function') return original.call(this, args, options, processCB, endCB);
    return original.call(this, args, options, onProcess, endCB);
  };
  return cmd;
}
