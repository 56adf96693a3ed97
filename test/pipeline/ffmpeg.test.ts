import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { describeFfmpeg, findFfmpeg, resetFfmpegCache } from '../../pipeline/ffmpeg';

describe('finding ffmpeg', () => {
  const saved = { FFMPEG_PATH: process.env.FFMPEG_PATH, PATH: process.env.PATH };
  afterEach(() => {
    for (const [k, v] of Object.entries(saved)) {
      if (v === undefined) delete process.env[k];
      else process.env[k] = v;
    }
    resetFfmpegCache();
  });

  it('uses a package binary when FFMPEG_PATH is unset, and FFMPEG_PATH first when set', () => {
    delete process.env.FFMPEG_PATH;
    resetFfmpegCache();
    const pkg = findFfmpeg();
    expect(['ffmpeg-static', '@ffmpeg-installer/ffmpeg', 'PATH']).toContain(pkg.source);
    expect(describeFfmpeg()).toContain(pkg.path);
    process.env.FFMPEG_PATH = pkg.path;
    resetFfmpegCache();
    expect(findFfmpeg()).toMatchObject({ source: 'FFMPEG_PATH', path: pkg.path });
  });

  it('says what is wrong with a bad FFMPEG_PATH', () => {
    const dir = mkdtempSync(join(tmpdir(), 'ff-'));
    const notExe = join(dir, 'ffmpeg');
    writeFileSync(notExe, 'not a program');
    process.env.FFMPEG_PATH = notExe;
    resetFfmpegCache();
    expect(() => findFfmpeg()).toThrow(/FFMPEG_PATH=.*is not an executable file/);
  });
});
