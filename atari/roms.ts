/**
 * Finding and identifying game ROMs. ROMs are never part of the repository: they come from
 * `--rom PATH`, from the folder named by `ATARI_ROM_DIR`, or from an installed `ale-py` package.
 *
 * The identification part (`identifyRom`, `checkRom`) is pure and works in a browser too. The
 * file-system part (`findRom`) needs Node; it reaches Node's built-ins through
 * `process.getBuiltinModule` at call time instead of a static `import 'node:fs'`, so a browser
 * bundle can import this module and simply never call `findRom`.
 */
import { BREAKOUT_MD5 } from './games/breakout';
import { md5Hex } from './md5';

export interface KnownRom {
  /** Game id, as ALE names it (also the ROM's file name without `.bin` in ale-py). */
  readonly game: string;
  readonly title: string;
  readonly md5: string;
  readonly size: number;
}

/** The ROMs this project knows, keyed by game id. The md5s are those ALE's supported-ROM list uses. */
export const KNOWN_ROMS: Readonly<Record<string, KnownRom>> = {
  breakout: { game: 'breakout', title: 'Breakout', md5: BREAKOUT_MD5, size: 2048 },
};

export interface FoundRom {
  path: string;
  bytes: Uint8Array;
  md5: string;
}

/** A ROM problem the user can fix: the CLI prints only the message. */
export class RomError extends Error {
  readonly userFacing = true;
  constructor(message: string) {
    super(message);
    this.name = 'RomError';
  }
}

const HOW_TO_GET =
  'set ATARI_ROM_DIR to a folder holding it or pass --rom PATH; the ROM is distributed with ale-py ' +
  '(`pip install ale-py`, then it is found automatically in ale_py/roms, or point ATARI_ROM_DIR there)';

/** The known ROM whose md5 matches `bytes`, if any. */
export function identifyRom(bytes: Uint8Array): KnownRom | undefined {
  const digest = md5Hex(bytes);
  return Object.values(KNOWN_ROMS).find((rom) => rom.md5 === digest);
}

function knownGame(game: string): KnownRom {
  const rom = KNOWN_ROMS[game.toLowerCase()];
  if (!rom) {
    throw new RomError(`unknown game "${game}": known games are ${Object.keys(KNOWN_ROMS).join(', ')}`);
  }
  return rom;
}

/**
 * Checks that `bytes` are the ROM of `game`; returns its md5 or throws a RomError naming `source`
 * (a path, or a description such as "the chosen file") and what was expected.
 */
export function checkRom(bytes: Uint8Array, game = 'breakout', source = 'the ROM'): string {
  const expected = knownGame(game);
  const digest = md5Hex(bytes);
  if (digest === expected.md5) return digest;
  const other = identifyRom(bytes);
  if (other) {
    throw new RomError(`${source} is the ${other.title} ROM, not ${expected.title}; ${HOW_TO_GET}`);
  }
  const sizeNote =
    bytes.length === expected.size
      ? `it has the right size (${bytes.length} bytes) but md5 ${digest}`
      : `it has ${bytes.length} bytes (expected ${expected.size}) and md5 ${digest}`;
  throw new RomError(
    `${source} is not the ${expected.title} ROM ALE supports: ${sizeNote}, expected md5 ${expected.md5}; ${HOW_TO_GET}`,
  );
}

// ---------------------------------------------------------------------------------------------
// Node-only part.

type Fs = typeof import('node:fs');
type PathModule = typeof import('node:path');
type ChildProcess = typeof import('node:child_process');
type Os = typeof import('node:os');

function nodeModule<T>(id: string): T {
  const getter = (globalThis as { process?: { getBuiltinModule?: (id: string) => unknown } }).process
    ?.getBuiltinModule;
  const mod = getter?.(id);
  if (!mod) {
    throw new RomError(
      'finding a ROM on disk needs Node.js >= 20.16 (process.getBuiltinModule); in a browser, pick the file instead',
    );
  }
  return mod as T;
}

export interface FindRomOptions {
  /** An explicit file (the `--rom` flag). When given, it must be the right ROM; nothing else is tried. */
  romPath?: string;
  /** Environment to read `ATARI_ROM_DIR`, `VIRTUAL_ENV`, `CONDA_PREFIX` and `HOME` from (default: process.env). */
  env?: Record<string, string | undefined>;
  /** Whether to look for an installed ale-py package (default true). */
  searchAlePy?: boolean;
}

/** Files bigger than this are not considered when scanning a folder (the largest 2600 ROMs are 64 KiB). */
const MAX_SCAN_SIZE = 512 * 1024;

/**
 * Finds the ROM of `game`: `romPath`, then `ATARI_ROM_DIR` (a file named `<game>.bin`, else any file
 * there with the right md5), then the `roms` folder of an installed ale-py. Throws a RomError that
 * says what to do when no matching ROM exists or a given file is the wrong one.
 */
export function findRom(game = 'breakout', opts: FindRomOptions = {}): FoundRom {
  const fs = nodeModule<Fs>('node:fs');
  const path = nodeModule<PathModule>('node:path');
  const expected = knownGame(game);
  const env = opts.env ?? process.env;

  if (opts.romPath !== undefined) {
    const file = path.resolve(opts.romPath);
    const bytes = readFileOrThrow(fs, file, '--rom');
    return { path: file, bytes, md5: checkRom(bytes, expected.game, `--rom ${file}`) };
  }

  const problems: string[] = [];
  const romDir = env.ATARI_ROM_DIR;
  if (romDir) {
    const dir = path.resolve(romDir);
    if (!isDirectory(fs, dir)) {
      throw new RomError(`ATARI_ROM_DIR=${romDir} is not a folder; ${HOW_TO_GET}`);
    }
    const found = searchFolder(fs, path, dir, expected, problems);
    if (found) return found;
  }

  if (opts.searchAlePy ?? true) {
    for (const dir of alePyRomFolders(fs, path, env)) {
      const found = searchFolder(fs, path, dir, expected, problems);
      if (found) return found;
    }
  }

  const where = romDir ? `in ATARI_ROM_DIR=${romDir}` : 'ATARI_ROM_DIR is not set and no --rom was given';
  const detail = problems.length > 0 ? ` (${problems.join('; ')})` : '';
  throw new RomError(
    `no ${expected.title} ROM found (${where}; no ale-py ROM folder has it)${detail}; ${HOW_TO_GET}. ` +
      `Expected md5 ${expected.md5}, ${expected.size} bytes`,
  );
}

function readFileOrThrow(fs: Fs, file: string, what: string): Uint8Array {
  try {
    const stat = fs.statSync(file);
    if (!stat.isFile()) throw new RomError(`${what} ${file} is not a file`);
    if (stat.size > MAX_SCAN_SIZE) {
      throw new RomError(`${what} ${file} is ${stat.size} bytes: too big to be an Atari 2600 ROM`);
    }
    return new Uint8Array(fs.readFileSync(file));
  } catch (err) {
    if (err instanceof RomError) throw err;
    const code = (err as { code?: string }).code;
    throw new RomError(
      code === 'ENOENT' ? `${what} ${file} does not exist` : `cannot read ${what} ${file}: ${(err as Error).message}`,
    );
  }
}

function isDirectory(fs: Fs, dir: string): boolean {
  try {
    return fs.statSync(dir).isDirectory();
  } catch {
    return false;
  }
}

/** `<game>.bin` first, then every other small file in the folder, by md5. */
function searchFolder(fs: Fs, path: PathModule, dir: string, rom: KnownRom, problems: string[]): FoundRom | undefined {
  let names: string[];
  try {
    names = fs.readdirSync(dir).sort();
  } catch {
    return undefined;
  }
  const preferred = `${rom.game}.bin`;
  const ordered = names.includes(preferred) ? [preferred, ...names.filter((n) => n !== preferred)] : names;
  for (const name of ordered) {
    const file = path.join(dir, name);
    let bytes: Uint8Array;
    try {
      const stat = fs.statSync(file);
      if (!stat.isFile() || stat.size > MAX_SCAN_SIZE) continue;
      bytes = new Uint8Array(fs.readFileSync(file));
    } catch {
      continue;
    }
    const digest = md5Hex(bytes);
    if (digest === rom.md5) return { path: file, bytes, md5: digest };
    if (name === preferred) {
      problems.push(`${file} has md5 ${digest} and ${bytes.length} bytes, not the supported ${rom.title} ROM`);
    }
  }
  return undefined;
}

/** Candidate `ale_py/roms` folders: virtualenv/conda/user/system site-packages, then ask python3. */
function alePyRomFolders(fs: Fs, path: PathModule, env: Record<string, string | undefined>): string[] {
  const candidates: string[] = [];
  const prefixes = [env.VIRTUAL_ENV, env.CONDA_PREFIX, env.HOME && path.join(env.HOME, '.local'), '/usr/local', '/usr'];
  for (const prefix of prefixes) {
    if (!prefix) continue;
    for (const lib of ['lib', 'lib64']) {
      const libDir = path.join(prefix, lib);
      let entries: string[] = [];
      try {
        entries = fs.readdirSync(libDir).filter((n) => /^python3(\.\d+)?$/.test(n));
      } catch {
        continue;
      }
      for (const py of entries) {
        for (const pkgDir of ['site-packages', 'dist-packages']) {
          candidates.push(path.join(libDir, py, pkgDir, 'ale_py', 'roms'));
        }
      }
    }
  }
  const fromPython = alePyFolderFromPython();
  if (fromPython) candidates.push(path.join(fromPython, 'roms'));
  return [...new Set(candidates)].filter((dir) => isDirectory(fs, dir));
}

/** Asks python3 where ale_py is installed (short timeout; undefined when python3 or ale_py is missing). */
function alePyFolderFromPython(): string | undefined {
  try {
    const cp = nodeModule<ChildProcess>('node:child_process');
    const os = nodeModule<Os>('node:os');
    const result = cp.spawnSync(
      'python3',
      ['-c', 'import os, importlib.util as u; s = u.find_spec("ale_py"); print(os.path.dirname(s.origin) if s else "")'],
      { encoding: 'utf8', timeout: 5000, cwd: os.tmpdir(), stdio: ['ignore', 'pipe', 'ignore'] },
    );
    const dir = result.status === 0 ? result.stdout.trim() : '';
    return dir || undefined;
  } catch {
    return undefined;
  }
}
