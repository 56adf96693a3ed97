// Episode videos. The lossless file is H.264 in its RGB flavour (libx264rgb) at qp 0 in Matroska:
// bit-exact for RGB24, and on Breakout-like frames the smallest and fastest to decode of the lossless
// codecs we measured (FFV1, PNG, UtVideo, x264rgb; see scripts/bench-video.ts and the notes in
// test/pipeline/video.test.ts). Frames are streamed to ffmpeg's stdin and read back from its stdout,
// so neither side holds a whole episode in memory.
import { existsSync, renameSync, rmSync, statSync } from 'node:fs';
import { PassThrough, type Readable } from 'node:stream';
import { tempPathFor } from './atomic';
import { UserError } from './errors';
import { ffmpeg, findFfmpeg, spawnFfmpeg } from './ffmpeg';

export const FRAME_WIDTH = 160;
export const FRAME_HEIGHT = 210;
export const FRAME_BYTES = FRAME_WIDTH * FRAME_HEIGHT * 3;
/** File extension of the lossless episode video. */
export const VIDEO_EXT = 'mkv';
/** 60 Hz with frame skip 4: one video frame per agent step. */
export const DEFAULT_FPS = 15;

export class VideoError extends UserError {
  constructor(
    message: string,
    /** ffmpeg stopped on SIGINT/SIGTERM (a Ctrl-C in the terminal reaches it too). */
    readonly interrupted = false,
  ) {
    super(message);
    this.name = 'VideoError';
  }
}

const INTERRUPTED = /received signal (2|15)\b|killed with signal SIGINT|killed with signal SIGTERM/;

export interface VideoWriterOptions {
  width?: number;
  height?: number;
  fps?: number;
  /** Also write a small lossy MP4 (H.264 yuv420p, scaled up, even size) for people to watch. */
  previewPath?: string;
  /** Integer scale of the preview (nearest neighbour). Default 2. */
  previewScale?: number;
  /** x264 preset of the lossless file: slower presets give smaller files that also decode faster. */
  preset?: string;
}

export interface VideoWriteResult {
  frames: number;
  bytes: number;
  previewBytes?: number;
}

const lastLines = (s: string, n = 3) =>
  s
    .trim()
    .split('\n')
    .filter((l) => l.trim())
    .slice(-n)
    .join(' / ');

/**
 * Writes RGB frames to a lossless video (and optionally a preview) through one ffmpeg process.
 * Both files are written under temporary names and renamed into place by `finish()`; `abort()`
 * (or a failure) removes them, so an interrupted episode leaves nothing behind.
 */
export class VideoWriter {
  readonly width: number;
  readonly height: number;
  private readonly input = new PassThrough({ highWaterMark: 4 * FRAME_BYTES });
  private readonly tmpPath: string;
  private readonly tmpPreview?: string;
  private readonly done: Promise<void>;
  private readonly started: Promise<void>;
  private failure: Error | undefined;
  private frames = 0;
  private state: 'open' | 'finished' | 'aborted' = 'open';
  private readonly command: ReturnType<typeof ffmpeg>;

  constructor(
    readonly path: string,
    private readonly opts: VideoWriterOptions = {},
  ) {
    this.width = opts.width ?? FRAME_WIDTH;
    this.height = opts.height ?? FRAME_HEIGHT;
    findFfmpeg();
    this.tmpPath = tempPathFor(path, 'partial');
    const fps = opts.fps ?? DEFAULT_FPS;
    let cmd = ffmpeg(this.input as Readable)
      .inputFormat('rawvideo')
      .inputOptions(['-pix_fmt', 'rgb24', '-s', `${this.width}x${this.height}`, '-framerate', String(fps)])
      .output(this.tmpPath)
      .outputOptions(['-map', '0:v', '-c:v', 'libx264rgb', '-qp', '0', '-preset', opts.preset ?? 'medium', '-threads', '1', '-f', 'matroska']);
    if (opts.previewPath) {
      this.tmpPreview = tempPathFor(opts.previewPath, 'partial');
      const s = opts.previewScale ?? 2;
      cmd = cmd
        .output(this.tmpPreview)
        .outputOptions([
          '-map', '0:v',
          // Nearest-neighbour upscale keeps the pixels crisp; even sizes are required by yuv420p.
          '-vf', `scale=trunc(iw*${s}/2)*2:trunc(ih*${s}/2)*2:flags=neighbor`,
          // ultrafast: half the CPU of veryfast for a preview twice the size (still ~150 KB per 1000 frames).
          '-c:v', 'libx264', '-pix_fmt', 'yuv420p', '-crf', '23', '-preset', 'ultrafast', '-threads', '1',
          '-movflags', '+faststart', '-f', 'mp4',
        ]);
    }
    this.command = cmd;
    this.started = new Promise<void>((resolve) => cmd.on('start', () => resolve()));
    this.done = new Promise<void>((resolve) => {
      cmd.on('error', (err: Error, _stdout: string | null, stderr: string | null) => {
        const text = `${stderr ?? ''}\n${err.message}`;
        this.failure = new VideoError(`ffmpeg failed writing ${path}: ${lastLines(stderr ?? '') || err.message}`, INTERRUPTED.test(text));
        resolve();
      });
      cmd.on('end', () => resolve());
    });
    cmd.run();
  }

  /** Append one RGB frame; resolves when ffmpeg can take more (backpressure). */
  async write(frame: Uint8Array): Promise<void> {
    if (this.state !== 'open') throw new Error(`VideoWriter ${this.path}: write after ${this.state}`);
    if (this.failure) throw this.failure;
    if (frame.length !== this.width * this.height * 3) {
      throw new Error(`VideoWriter ${this.path}: frame has ${frame.length} bytes, expected ${this.width}x${this.height}x3`);
    }
    this.frames++;
    // Copy: callers often reuse their frame buffer.
    if (!this.input.write(Buffer.from(frame))) {
      await new Promise<void>((resolve) => {
        const onDone = () => {
          this.input.off('drain', onDone);
          resolve();
        };
        this.input.on('drain', onDone);
        void this.done.then(onDone);
      });
    }
    if (this.failure) throw this.failure;
  }

  get frameCount(): number {
    return this.frames;
  }

  /** Close the stream, wait for ffmpeg, and move the files into place. */
  async finish(): Promise<VideoWriteResult> {
    if (this.state !== 'open') throw new Error(`VideoWriter ${this.path}: finish after ${this.state}`);
    this.state = 'finished';
    this.input.end();
    await this.done;
    if (this.failure) {
      this.cleanup();
      throw this.failure;
    }
    renameSync(this.tmpPath, this.path);
    if (this.tmpPreview && this.opts.previewPath) renameSync(this.tmpPreview, this.opts.previewPath);
    return {
      frames: this.frames,
      bytes: statSync(this.path).size,
      previewBytes: this.opts.previewPath ? statSync(this.opts.previewPath).size : undefined,
    };
  }

  /** Stop ffmpeg and remove the partial files. */
  async abort(): Promise<void> {
    if (this.state !== 'open') return;
    this.state = 'aborted';
    // fluent-ffmpeg spawns asynchronously: wait until there is a process to kill.
    await Promise.race([this.started, this.done]);
    this.command.kill('SIGKILL');
    this.input.destroy();
    await this.done;
    this.cleanup();
  }

  private cleanup(): void {
    rmSync(this.tmpPath, { force: true });
    if (this.tmpPreview) rmSync(this.tmpPreview, { force: true });
  }
}

/** Write a whole list of frames (convenience for tests and small clips). */
export async function writeVideo(path: string, frames: Iterable<Uint8Array>, opts: VideoWriterOptions = {}): Promise<VideoWriteResult> {
  const writer = new VideoWriter(path, opts);
  try {
    for (const f of frames) await writer.write(f);
    return await writer.finish();
  } catch (err) {
    await writer.abort();
    throw err;
  }
}

export interface ReadFramesOptions {
  /** First frame index (inclusive), default 0. */
  from?: number;
  /** End frame index (exclusive), default the end of the video. */
  to?: number;
  width?: number;
  height?: number;
  /** Frame rate the video was written at (needed to seek to `from`). Default 15. */
  fps?: number;
  /** When known (from the sidecar), check that the video holds exactly this many frames. */
  expectFrames?: number;
}

function checkVideoPath(path: string): void {
  if (!existsSync(path)) throw new VideoError(`video not found: ${path}`);
  if (!statSync(path).isFile()) throw new VideoError(`not a video file: ${path}`);
}

/** Raw RGB bytes of frames [from, to) of a video, from ffmpeg's stdout, plus how it ended. */
function decodeStream(path: string, opts: ReadFramesOptions): { stream: Readable; done: Promise<Error | undefined>; kill: () => void } {
  const fps = opts.fps ?? DEFAULT_FPS;
  const from = opts.from ?? 0;
  const args: string[] = ['-v', 'error', '-nostdin', '-nostats', '-threads', '1'];
  // Seek to half a frame before `from`: ffmpeg decodes from the previous keyframe and drops every
  // frame stamped before that time, so the first frame out is exactly frame `from`.
  if (from > 0) args.push('-ss', ((from - 0.5) / fps).toFixed(6));
  args.push('-i', path, '-map', '0:v:0', '-f', 'rawvideo', '-pix_fmt', 'rgb24', '-vsync', '0');
  if (opts.to !== undefined) args.push('-frames:v', String(Math.max(0, opts.to - from)));
  args.push('pipe:1');
  const proc = spawnFfmpeg(args);
  let stderr = '';
  proc.stderr.on('data', (d: Buffer) => {
    stderr = (stderr + d.toString()).slice(-4000);
  });
  let killed = false;
  const done = new Promise<Error | undefined>((resolve) => {
    proc.on('error', (err) => resolve(new VideoError(`cannot run ffmpeg to decode ${path}: ${err.message}`)));
    proc.on('close', (code, signal) => {
      if (code === 0 || killed) resolve(undefined);
      else resolve(new VideoError(`cannot decode video ${path}: ${lastLines(stderr, 2) || `ffmpeg exited with ${code ?? signal}`}`, signal === 'SIGINT' || signal === 'SIGTERM' || INTERRUPTED.test(stderr)));
    });
  });
  return {
    stream: proc.stdout,
    done,
    kill: () => {
      killed = true;
      proc.kill('SIGKILL');
    },
  };
}

/**
 * Stream the frames of a video as 210x160x3 RGB `Uint8Array`s (each a fresh array), never holding
 * more than a few frames in memory. Frame k of a recording is the screen before action k.
 */
export async function* readFrames(path: string, opts: ReadFramesOptions = {}): AsyncGenerator<Uint8Array> {
  const size = (opts.width ?? FRAME_WIDTH) * (opts.height ?? FRAME_HEIGHT) * 3;
  for await (const batch of readFrameBatches(path, 1, opts)) yield batch.subarray(0, size);
}

/**
 * Stream frames in batches of up to `batchSize` frames, each batch one contiguous Uint8Array of
 * `n * H * W * 3` bytes (ready for a tensor). The last batch may be shorter.
 */
export async function* readFrameBatches(path: string, batchSize: number, opts: ReadFramesOptions = {}): AsyncGenerator<Uint8Array> {
  checkVideoPath(path);
  const from = opts.from ?? 0;
  if (!Number.isInteger(from) || from < 0) throw new VideoError(`readFrames ${path}: from must be an integer >= 0, not ${from}`);
  if (opts.to !== undefined && (!Number.isInteger(opts.to) || opts.to < from)) {
    throw new VideoError(`readFrames ${path}: to must be an integer >= from (${from}), not ${opts.to}`);
  }
  if (opts.to === from) return;
  const frameBytes = (opts.width ?? FRAME_WIDTH) * (opts.height ?? FRAME_HEIGHT) * 3;
  const batchBytes = frameBytes * batchSize;
  const { stream, done, kill } = decodeStream(path, opts);
  // allocUnsafeSlow: every byte is overwritten by the decoder, so skip the zero fill (a pass over 6 MB per batch).
  let batch: Uint8Array = Buffer.allocUnsafeSlow(batchBytes);
  let filled = 0;
  let frames = 0;
  let finished = false;
  try {
    for await (const chunk of stream as AsyncIterable<Buffer>) {
      let offset = 0;
      while (offset < chunk.length) {
        const n = Math.min(batchBytes - filled, chunk.length - offset);
        batch.set(chunk.subarray(offset, offset + n), filled);
        filled += n;
        offset += n;
        if (filled === batchBytes) {
          frames += batchSize;
          yield batch;
          batch = Buffer.allocUnsafeSlow(batchBytes);
          filled = 0;
        }
      }
    }
    const error = await done;
    if (error) throw error;
    if (filled % frameBytes !== 0) throw new VideoError(`cannot decode video ${path}: output ended mid-frame (is it ${opts.width ?? FRAME_WIDTH}x${opts.height ?? FRAME_HEIGHT}?)`);
    if (filled > 0) {
      frames += filled / frameBytes;
      yield batch.subarray(0, filled);
    }
    finished = true;
    const expected = opts.expectFrames === undefined ? undefined : Math.min(opts.to ?? Infinity, opts.expectFrames) - from;
    if (expected !== undefined && frames !== expected) {
      throw new VideoError(`video ${path} holds ${frames + from} frames from the start, expected ${opts.expectFrames} (truncated or corrupt?)`);
    }
    if (opts.to !== undefined && opts.expectFrames === undefined && frames < opts.to - from) {
      throw new VideoError(`video ${path} ends at frame ${from + frames}, before to=${opts.to}`);
    }
  } finally {
    if (!finished) {
      // The consumer stopped early (or we failed): stop decoding.
      kill();
      stream.destroy();
    }
  }
}

/** Decode a whole video into memory (small clips and tests only; prefer readFrames). */
export async function readAllFrames(path: string, opts: ReadFramesOptions = {}): Promise<Uint8Array[]> {
  const out: Uint8Array[] = [];
  for await (const f of readFrames(path, opts)) out.push(f);
  return out;
}
