// Animated GIFs of RGB frames (gifenc). Atari screens use few colours, so each frame is indexed
// against an exact palette built from the colours seen so far; only a frame with more than 256
// colours (a neural frame, say) falls back to gifenc's quantizer.
import * as gifencModule from 'gifenc';
import { writeFileAtomic } from './atomic';
import { FRAME_HEIGHT, FRAME_WIDTH, DEFAULT_FPS } from './video';

// Node loads gifenc's CommonJS build (everything on `default`); vitest and bundlers its ES module
// build (named exports, and `default` is GIFEncoder itself).
const gifenc = (typeof (gifencModule as { GIFEncoder?: unknown }).GIFEncoder === 'function'
  ? gifencModule
  : (gifencModule as unknown as { default: unknown }).default) as typeof import('gifenc');
const { GIFEncoder, quantize, applyPalette } = gifenc;

export interface GifOptions {
  width?: number;
  height?: number;
  /** Frames per second (GIF delays are in 1/100 s, so 15 fps plays at ~14.3). Default 15. */
  fps?: number;
  /** Integer upscaling, nearest neighbour. Default 1. */
  scale?: number;
  /** 0 = loop forever (default), -1 = play once. */
  repeat?: number;
}

function upscale(rgb: Uint8Array, w: number, h: number, s: number): Uint8Array {
  if (s === 1) return rgb;
  const out = new Uint8Array(w * s * h * s * 3);
  for (let y = 0; y < h * s; y++) {
    const srcRow = Math.floor(y / s) * w;
    for (let x = 0; x < w * s; x++) {
      const src = (srcRow + Math.floor(x / s)) * 3;
      const dst = (y * w * s + x) * 3;
      out[dst] = rgb[src]!;
      out[dst + 1] = rgb[src + 1]!;
      out[dst + 2] = rgb[src + 2]!;
    }
  }
  return out;
}

/** Encode frames to GIF bytes. Accepts arrays, iterables and async iterables (e.g. readFrames). */
export async function encodeGif(frames: Iterable<Uint8Array> | AsyncIterable<Uint8Array>, opts: GifOptions = {}): Promise<{ bytes: Uint8Array; frames: number }> {
  const w = opts.width ?? FRAME_WIDTH;
  const h = opts.height ?? FRAME_HEIGHT;
  const s = opts.scale ?? 1;
  if (!Number.isInteger(s) || s < 1) throw new Error(`gif scale must be an integer >= 1, not ${s}`);
  const delay = Math.round(1000 / (opts.fps ?? DEFAULT_FPS));
  const gif = GIFEncoder();
  const colourIndex = new Map<number, number>();
  const palette: number[][] = [];
  let writtenPaletteSize = -1;
  let count = 0;
  for await (const raw of frames as AsyncIterable<Uint8Array>) {
    if (raw.length !== w * h * 3) throw new Error(`gif: frame ${count} has ${raw.length} bytes, expected ${w}x${h}x3`);
    const rgb = upscale(raw, w, h, s);
    const n = rgb.length / 3;
    const index = new Uint8Array(n);
    let exact = true;
    for (let i = 0, p = 0; i < n; i++, p += 3) {
      const key = (rgb[p]! << 16) | (rgb[p + 1]! << 8) | rgb[p + 2]!;
      let k = colourIndex.get(key);
      if (k === undefined) {
        if (palette.length === 256) {
          exact = false;
          break;
        }
        k = palette.length;
        colourIndex.set(key, k);
        palette.push([rgb[p]!, rgb[p + 1]!, rgb[p + 2]!]);
      }
      index[i] = k;
    }
    const frameOpts = { delay, repeat: opts.repeat ?? 0 };
    if (exact) {
      // Send the palette again only when it grew (as this frame's local colour table).
      const grew = palette.length !== writtenPaletteSize;
      gif.writeFrame(index, w * s, h * s, grew ? { ...frameOpts, palette: palette.map((c) => c.slice()) } : frameOpts);
      writtenPaletteSize = palette.length;
    } else {
      const rgba = new Uint8Array(n * 4);
      for (let i = 0; i < n; i++) {
        rgba[i * 4] = rgb[i * 3]!;
        rgba[i * 4 + 1] = rgb[i * 3 + 1]!;
        rgba[i * 4 + 2] = rgb[i * 3 + 2]!;
        rgba[i * 4 + 3] = 255;
      }
      const local = quantize(rgba, 256);
      gif.writeFrame(applyPalette(rgba, local), w * s, h * s, { ...frameOpts, palette: local });
      writtenPaletteSize = -1; // the next exact frame must resend its palette
    }
    count++;
  }
  if (count === 0) throw new Error('gif: no frames to write');
  gif.finish();
  return { bytes: gif.bytes(), frames: count };
}

export async function writeGif(path: string, frames: Iterable<Uint8Array> | AsyncIterable<Uint8Array>, opts: GifOptions = {}): Promise<{ frames: number; bytes: number }> {
  const { bytes, frames: n } = await encodeGif(frames, opts);
  writeFileAtomic(path, bytes);
  return { frames: n, bytes: bytes.length };
}
