import { mkdtempSync, mkdirSync, readFileSync, rmSync, writeFileSync, copyFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { checkRom, findRom, identifyRom, KNOWN_ROMS, RomError } from '../../atari/roms';

const romDir = process.env.ATARI_ROM_DIR;
if (!romDir) console.warn('test/atari/roms.test.ts: ATARI_ROM_DIR is not set; tests that need the Breakout ROM are skipped');

const scratch = mkdtempSync(join(tmpdir(), 'roms-test-'));
afterAll(() => rmSync(scratch, { recursive: true, force: true }));

function folder(name: string, files: Record<string, Uint8Array>): string {
  const dir = join(scratch, name);
  mkdirSync(dir, { recursive: true });
  for (const [file, bytes] of Object.entries(files)) writeFileSync(join(dir, file), bytes);
  return dir;
}

function thrown(fn: () => unknown): RomError {
  try {
    fn();
  } catch (err) {
    expect(err).toBeInstanceOf(RomError);
    expect((err as RomError).userFacing).toBe(true);
    return err as RomError;
  }
  throw new Error('expected a RomError');
}

const noAle = { searchAlePy: false };

describe('findRom without the real ROM', () => {
  it('explains what to do when nothing is configured', () => {
    const err = thrown(() => findRom('breakout', { env: {}, ...noAle }));
    expect(err.message).toMatch(/ATARI_ROM_DIR/);
    expect(err.message).toMatch(/--rom/);
    expect(err.message).toMatch(/pip install ale-py/);
  });

  it('rejects a --rom file of the wrong size and names size and md5', () => {
    const dir = folder('wrong-size', { 'x.bin': new Uint8Array(1000).fill(7) });
    const err = thrown(() => findRom('breakout', { romPath: join(dir, 'x.bin'), env: {}, ...noAle }));
    expect(err.message).toMatch(/1000 bytes \(expected 2048\)/);
    expect(err.message).toMatch(KNOWN_ROMS.breakout.md5);
  });

  it('rejects a --rom file of the right size but unknown md5', () => {
    const dir = folder('right-size', { 'x.bin': new Uint8Array(2048).fill(0xea) });
    const err = thrown(() => findRom('breakout', { romPath: join(dir, 'x.bin'), env: {}, ...noAle }));
    expect(err.message).toMatch(/right size \(2048 bytes\)/);
  });

  it('reports a missing --rom file and a missing ATARI_ROM_DIR folder', () => {
    expect(thrown(() => findRom('breakout', { romPath: join(scratch, 'nope.bin'), ...noAle })).message).toMatch(/does not exist/);
    expect(thrown(() => findRom('breakout', { env: { ATARI_ROM_DIR: join(scratch, 'nowhere') }, ...noAle })).message).toMatch(
      /is not a folder/,
    );
  });

  it('names a wrong breakout.bin in ATARI_ROM_DIR', () => {
    const dir = folder('wrong-named', { 'breakout.bin': new Uint8Array(2048).fill(1) });
    const err = thrown(() => findRom('breakout', { env: { ATARI_ROM_DIR: dir }, ...noAle }));
    expect(err.message).toMatch(/breakout\.bin has md5/);
  });

  it('rejects unknown games', () => {
    expect(thrown(() => findRom('pong', { env: {}, ...noAle })).message).toMatch(/unknown game "pong"/);
  });

  it('checkRom and identifyRom reject arbitrary bytes', () => {
    expect(identifyRom(new Uint8Array(2048))).toBeUndefined();
    expect(() => checkRom(new Uint8Array(4096), 'breakout', 'the chosen file')).toThrow(/the chosen file is not the Breakout ROM/);
  });
});

describe.skipIf(!romDir)('findRom with the real ROM (ATARI_ROM_DIR)', () => {
  const real = () => findRom('breakout', { env: { ATARI_ROM_DIR: romDir }, ...noAle });

  it('finds breakout.bin in ATARI_ROM_DIR and identifies it', () => {
    const rom = real();
    expect(rom.md5).toBe(KNOWN_ROMS.breakout.md5);
    expect(rom.bytes.length).toBe(2048);
    expect(identifyRom(rom.bytes)?.game).toBe('breakout');
    expect(checkRom(rom.bytes)).toBe(rom.md5);
  });

  it('accepts --rom, and finds the ROM by md5 under any name', () => {
    const source = real().path;
    expect(findRom('breakout', { romPath: source, env: {}, ...noAle }).path).toBe(resolve(source));
    const dir = folder('renamed', { 'Breakout - Breakaway IV.a26': readFileSync(source), 'zz-other.bin': new Uint8Array(2048) });
    expect(findRom('breakout', { env: { ATARI_ROM_DIR: dir }, ...noAle }).path).toBe(join(dir, 'Breakout - Breakaway IV.a26'));
  });

  it('finds the ROM in an ale-py package inside a virtualenv', () => {
    const venv = join(scratch, 'venv');
    const roms = join(venv, 'lib', 'python3.11', 'site-packages', 'ale_py', 'roms');
    mkdirSync(roms, { recursive: true });
    copyFileSync(real().path, join(roms, 'breakout.bin'));
    const rom = findRom('breakout', { env: { VIRTUAL_ENV: venv } });
    expect(rom.path).toBe(join(roms, 'breakout.bin'));
  });
});
