import { existsSync, mkdtempSync, readFileSync, readdirSync, writeFileSync, mkdirSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { replaceDirAtomic, writeDirAtomic, writeFileAtomic, writeJsonAtomic } from '../../pipeline/atomic';

const fresh = () => mkdtempSync(join(tmpdir(), 'atomic-'));

describe('atomic writes', () => {
  it('writes files and JSON, creating folders, leaving no temporaries', () => {
    const dir = fresh();
    writeFileAtomic(join(dir, 'a/b.txt'), 'hello');
    writeJsonAtomic(join(dir, 'a/c.json'), { x: 1 });
    expect(readFileSync(join(dir, 'a/b.txt'), 'utf8')).toBe('hello');
    expect(JSON.parse(readFileSync(join(dir, 'a/c.json'), 'utf8'))).toEqual({ x: 1 });
    expect(readdirSync(join(dir, 'a')).sort()).toEqual(['b.txt', 'c.json']);
  });

  it('leaves the old file intact and no temporary when the write fails', () => {
    const dir = fresh();
    const target = join(dir, 'x.json');
    writeJsonAtomic(target, { old: true });
    const circular: Record<string, unknown> = {};
    circular.self = circular;
    expect(() => writeJsonAtomic(target, circular)).toThrow();
    // A target that is a folder makes the rename fail after the temporary was written.
    mkdirSync(join(dir, 'isdir'));
    writeFileSync(join(dir, 'isdir/keep'), '1');
    expect(() => writeFileAtomic(join(dir, 'isdir'), 'data')).toThrow();
    expect(JSON.parse(readFileSync(target, 'utf8'))).toEqual({ old: true });
    expect(readdirSync(dir).sort()).toEqual(['isdir', 'x.json']);
  });

  it('replaces a folder as a whole, and cleans up when filling it fails', async () => {
    const dir = fresh();
    const final = join(dir, 'ckpt');
    await writeDirAtomic(final, (tmp) => writeFileSync(join(tmp, 'v'), '1'));
    await writeDirAtomic(final, (tmp) => writeFileSync(join(tmp, 'w'), '2'));
    expect(readdirSync(final)).toEqual(['w']);
    await expect(
      writeDirAtomic(final, (tmp) => {
        writeFileSync(join(tmp, 'half'), 'x');
        throw new Error('boom');
      }),
    ).rejects.toThrow('boom');
    expect(readdirSync(final)).toEqual(['w']);
    expect(readdirSync(dir)).toEqual(['ckpt']);
    const tmp2 = join(dir, 'tmp2');
    mkdirSync(tmp2);
    replaceDirAtomic(tmp2, join(dir, 'new'));
    expect(existsSync(tmp2)).toBe(false);
    expect(existsSync(join(dir, 'new'))).toBe(true);
  });
});
