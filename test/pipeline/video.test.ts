// Lossless round trip, bit for bit, on Breakout-like frames; partial reads; damaged files.
import { copyFileSync, existsSync, mkdtempSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import { findFfmpeg } from '../../pipeline/ffmpeg';
import { FRAME_BYTES, readAllFrames, readFrameBatches, readFrames, VideoWriter, writeVideo } from '../../pipeline/video';
import { FakeBreakoutEnv } from './fake-env';

function episodeFrames(n: number, seed = 3): Uint8Array[] {
  const env = new FakeBreakoutEnv();
  env.reset({ seed });
  const frames = [env.screenRGB()];
  for (let i = 1; i < n; i++) {
    env.step(i % 20 === 1 ? 1 : (i * 7919) % 4);
    frames.push(env.screenRGB());
  }
  // One frame of noise: every colour value, so a codec that is lossless only for a few colours fails.
  frames[n - 2] = new Uint8Array(FRAME_BYTES).map((_, i) => (i * 2654435761) >>> 24);
  return frames;
}

const same = (a: Uint8Array, b: Uint8Array) => a.length === b.length && Buffer.compare(Buffer.from(a), Buffer.from(b)) === 0;

describe('episode video', () => {
  let dir: string;
  let frames: Uint8Array[];
  let video: string;
  beforeAll(async () => {
    dir = mkdtempSync(join(tmpdir(), 'video-'));
    frames = episodeFrames(300);
    video = join(dir, 'episode-00001.mkv');
    await writeVideo(video, frames, { previewPath: join(dir, 'episode-00001.preview.mp4') });
  });

  it('finds ffmpeg and says where it came from', () => {
    const f = findFfmpeg();
    expect(f.source).toMatch(/FFMPEG_PATH|ffmpeg-static|@ffmpeg-installer|PATH/);
    expect(existsSync(f.path)).toBe(true);
  });

  it('decodes back to exactly the frames written, and writes a preview; no temporaries remain', async () => {
    const back = await readAllFrames(video, { expectFrames: frames.length });
    expect(back.length).toBe(frames.length);
    const bad = back.map((f, i) => (same(f, frames[i]!) ? -1 : i)).filter((i) => i >= 0);
    expect(bad).toEqual([]);
    expect(readFileSync(join(dir, 'episode-00001.preview.mp4')).subarray(4, 8).toString()).toBe('ftyp');
    expect(readdirSync(dir).sort()).toEqual(['episode-00001.mkv', 'episode-00001.preview.mp4']);
  });

  it('reads any range [from, to) exactly, across keyframes', async () => {
    for (const [from, to] of [
      [0, 1],
      [1, 4],
      [249, 253],
      [250, 300],
      [299, 300],
    ] as const) {
      const part = await readAllFrames(video, { from, to });
      expect(part.length, `${from}..${to}`).toBe(to - from);
      part.forEach((f, i) => expect(same(f, frames[from + i]!), `frame ${from + i}`).toBe(true));
    }
    const tail = await readAllFrames(video, { from: 290 });
    expect(tail.length).toBe(10);
  });

  it('streams in batches and stops ffmpeg when the reader stops early', async () => {
    const sizes: number[] = [];
    for await (const b of readFrameBatches(video, 64)) sizes.push(b.length / FRAME_BYTES);
    expect(sizes).toEqual([64, 64, 64, 64, 44]);
    let n = 0;
    for await (const f of readFrames(video)) {
      expect(same(f, frames[n]!)).toBe(true);
      if (++n === 3) break;
    }
    expect(n).toBe(3);
  });

  it('gives clear errors for a missing, corrupt or truncated video', async () => {
    await expect(readAllFrames(join(dir, 'nope.mkv'))).rejects.toThrow(/video not found: .*nope\.mkv/);
    const junk = join(dir, 'junk.mkv');
    writeFileSync(junk, Buffer.from('this is not a video at all'.repeat(50)));
    await expect(readAllFrames(junk)).rejects.toMatchObject({ userFacing: true, message: expect.stringMatching(/cannot decode video .*junk\.mkv/) });
    const cut = join(dir, 'cut.mkv');
    copyFileSync(video, cut);
    const bytes = readFileSync(cut);
    writeFileSync(cut, bytes.subarray(0, Math.floor(bytes.length / 2)));
    await expect(readAllFrames(cut, { expectFrames: frames.length })).rejects.toMatchObject({ userFacing: true });
    await expect(readAllFrames(video, { to: 400 })).rejects.toThrow(/ends at frame 300/);
  });

  it('abort() removes partial files', async () => {
    const w = new VideoWriter(join(dir, 'aborted.mkv'), { previewPath: join(dir, 'aborted.preview.mp4') });
    await w.write(frames[0]!);
    await w.abort();
    expect(readdirSync(dir).filter((n) => n.includes('aborted'))).toEqual([]);
  });
});
