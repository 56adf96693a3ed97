// Finding ffmpeg. In order: FFMPEG_PATH, the optional `ffmpeg-static` package (its install
// downloads a binary, which fails offline, so it may be absent), `@ffmpeg-installer/ffmpeg`
// (ships its binary inside the npm package), then `ffmpeg` on the PATH.
import { spawnSync } from 'node:child_process';
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

/** A fluent-ffmpeg command bound to the located binary. */
export function ffmpeg(input?: string | Readable): ffmpegCommand.FfmpegCommand {
  findFfmpeg();
  return input === undefined ? ffmpegCommand() : ffmpegCommand(input);
}
