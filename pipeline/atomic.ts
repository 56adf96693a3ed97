// Atomic file writes: write beside the target under a temporary name, then rename. A reader (or a
// crash, or Ctrl-C) never sees a half-written file; on failure the temporary is removed.
import { randomBytes } from 'node:crypto';
import { existsSync, mkdirSync, renameSync, rmSync, writeFileSync } from 'node:fs';
import { basename, dirname, join } from 'node:path';

/** A temporary path in the same folder as `path` (same filesystem, so rename is atomic). */
export function tempPathFor(path: string, tag = 'tmp'): string {
  return join(dirname(path), `.${basename(path)}.${tag}-${process.pid}-${randomBytes(4).toString('hex')}`);
}

export function writeFileAtomic(path: string, data: string | Uint8Array): void {
  mkdirSync(dirname(path), { recursive: true });
  const tmp = tempPathFor(path);
  try {
    writeFileSync(tmp, data);
    renameSync(tmp, path);
  } catch (err) {
    rmSync(tmp, { force: true });
    throw err;
  }
}

export function writeJsonAtomic(path: string, obj: unknown): void {
  writeFileAtomic(path, `${JSON.stringify(obj, null, 2)}\n`);
}

/**
 * Move a fully written folder `tmpDir` into place at `finalDir`, replacing any previous one.
 * The old folder is first renamed aside, so `finalDir` is at every moment either the old
 * complete folder or the new one (there is a brief instant with neither, never a mix).
 */
export function replaceDirAtomic(tmpDir: string, finalDir: string): void {
  mkdirSync(dirname(finalDir), { recursive: true });
  let aside: string | undefined;
  if (existsSync(finalDir)) {
    aside = tempPathFor(finalDir, 'old');
    renameSync(finalDir, aside);
  }
  try {
    renameSync(tmpDir, finalDir);
  } catch (err) {
    if (aside) renameSync(aside, finalDir);
    rmSync(tmpDir, { recursive: true, force: true });
    throw err;
  }
  if (aside) rmSync(aside, { recursive: true, force: true });
}

/** Make an empty temporary folder beside `finalDir`, for a later `replaceDirAtomic`. */
export function makeTempDirFor(finalDir: string): string {
  const tmp = tempPathFor(finalDir);
  mkdirSync(tmp, { recursive: true });
  return tmp;
}

/** Write a folder's contents with `fill(tmpDir)`, then move it into place; on failure nothing is left. */
export async function writeDirAtomic(finalDir: string, fill: (tmpDir: string) => Promise<void> | void): Promise<void> {
  const tmp = makeTempDirFor(finalDir);
  try {
    await fill(tmp);
  } catch (err) {
    rmSync(tmp, { recursive: true, force: true });
    throw err;
  }
  replaceDirAtomic(tmp, finalDir);
}
