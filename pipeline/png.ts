// PNG files of RGB frames, via sharp. Frames everywhere in the pipeline are row-major RGB24 bytes.
import sharp from 'sharp';
import { existsSync } from 'node:fs';
import { writeFileAtomic } from './atomic';
import { UserError } from './errors';

export interface RgbImage {
  data: Uint8Array;
  width: number;
  height: number;
}

export async function encodePng(rgb: Uint8Array, width: number, height: number): Promise<Buffer> {
  if (rgb.length !== width * height * 3) throw new Error(`encodePng: ${rgb.length} bytes is not ${width}x${height} RGB`);
  return sharp(Buffer.from(rgb.buffer, rgb.byteOffset, rgb.byteLength), { raw: { width, height, channels: 3 } })
    .png({ compressionLevel: 6 })
    .toBuffer();
}

export async function writePng(path: string, rgb: Uint8Array, width: number, height: number): Promise<void> {
  writeFileAtomic(path, await encodePng(rgb, width, height));
}

/** Read a PNG (or any image sharp reads) as RGB bytes; alpha is dropped, gray is expanded. */
export async function readPng(path: string): Promise<RgbImage> {
  if (!existsSync(path)) throw new UserError(`image not found: ${path}`);
  try {
    const { data, info } = await sharp(path).removeAlpha().toColourspace('srgb').raw().toBuffer({ resolveWithObject: true });
    if (info.channels !== 3) throw new Error(`expected 3 channels, got ${info.channels}`);
    return { data: new Uint8Array(data.buffer, data.byteOffset, data.byteLength), width: info.width, height: info.height };
  } catch (err) {
    if (err instanceof UserError) throw err;
    throw new UserError(`cannot read image ${path}: ${(err as Error).message}`);
  }
}
