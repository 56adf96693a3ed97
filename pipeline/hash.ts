// Content hashes of input artifacts, for manifests: a file hashes its bytes; a folder hashes the
// sorted list of its files' relative paths and hashes, so renaming or editing any file changes it.
import { createHash } from 'node:crypto';
import { createReadStream, readdirSync, statSync } from 'node:fs';
import { join, relative, sep } from 'node:path';

export async function sha256File(path: string): Promise<string> {
  const hash = createHash('sha256');
  for await (const chunk of createReadStream(path)) hash.update(chunk as Buffer);
  return hash.digest('hex');
}

/** Every regular file under `dir`, as sorted paths relative to it with '/' separators. */
export function listFilesRecursive(dir: string): string[] {
  const out: string[] = [];
  const walk = (d: string): void => {
    for (const entry of readdirSync(d, { withFileTypes: true })) {
      const full = join(d, entry.name);
      if (entry.isDirectory()) walk(full);
      else if (entry.isFile()) out.push(relative(dir, full).split(sep).join('/'));
    }
  };
  walk(dir);
  return out.sort();
}

export interface PathHash {
  sha256: string;
  bytes: number;
  /** Number of files, for a folder. */
  files?: number;
}

export async function hashPath(path: string): Promise<PathHash> {
  const st = statSync(path);
  if (st.isFile()) return { sha256: await sha256File(path), bytes: st.size };
  const files = listFilesRecursive(path);
  const hash = createHash('sha256');
  let bytes = 0;
  for (const rel of files) {
    const full = join(path, rel);
    bytes += statSync(full).size;
    hash.update(`${await sha256File(full)}  ${rel}\n`);
  }
  return { sha256: hash.digest('hex'), bytes, files: files.length };
}
