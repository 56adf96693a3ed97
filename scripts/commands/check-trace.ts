// `npm run ale:check-trace -- <trace.jsonl.gz> [--rom PATH]`: replays an ALE reference trace
// through our emulator and compares every line; stops at the first mismatch.
import { accessSync, constants, renameSync, rmSync } from 'node:fs';
import { basename, dirname, join, resolve } from 'node:path';
import sharp from 'sharp';
import type { CommandModule } from 'yargs';
import { findRom } from '../../atari/roms';
import {
  SCREEN_HEIGHT,
  SCREEN_WIDTH,
  composeDiffImage,
  describeMismatch,
  readTrace,
  replayTrace,
} from '../../pipeline/ale-trace';

interface Args {
  trace: string;
  rom?: string;
  quiet: boolean;
}

/** Decodes a 160 x 210 PNG to raw RGB bytes. */
export async function decodePng(path: string): Promise<Uint8Array> {
  const { data, info } = await sharp(path).removeAlpha().raw().toBuffer({ resolveWithObject: true });
  if (info.width !== SCREEN_WIDTH || info.height !== SCREEN_HEIGHT || info.channels !== 3) {
    throw new Error(`${path}: expected a ${SCREEN_WIDTH}x${SCREEN_HEIGHT} RGB picture`);
  }
  return new Uint8Array(data.buffer, data.byteOffset, data.byteLength);
}

function writableDir(dir: string): boolean {
  try {
    accessSync(dir, constants.W_OK);
    return true;
  } catch {
    return false;
  }
}

export const checkTraceCommand: CommandModule<object, Args> = {
  command: 'check-trace <trace>',
  describe: 'Replay an ALE reference trace (.jsonl.gz) through our emulator and compare it line by line',
  builder: (yargs) =>
    yargs
      .positional('trace', { type: 'string', demandOption: true, describe: 'Trace file (.jsonl.gz)' })
      .option('rom', { type: 'string', describe: 'ROM file (default: ATARI_ROM_DIR, then an installed ale-py)' })
      .option('quiet', { type: 'boolean', default: false, describe: 'No progress lines' }),
  handler: async (args) => {
    const trace = readTrace(args.trace);
    const rom = findRom('breakout', { romPath: args.rom });
    const started = Date.now();
    const result = await replayTrace(rom.bytes, trace, {
      decodePng,
      onProgress: args.quiet ? undefined : (done, total) => console.error(`  ${done}/${total} steps...`),
      progressEvery: 5000,
    });
    const seconds = ((Date.now() - started) / 1000).toFixed(1);
    const m = result.mismatch;
    if (!m) {
      console.log(`${result.matchedSteps}/${result.steps} steps match (${basename(args.trace)}, ${seconds} s)`);
      return;
    }
    console.log(`${result.matchedSteps}/${result.steps} steps match before the first mismatch (${basename(args.trace)})`);
    for (const line of describeMismatch(m)) console.log(line);
    if (m.field === 'screen' && m.gotRgb) {
      const expected = m.screen?.expectedPng ? await decodePng(m.screen.expectedPng) : undefined;
      const img = composeDiffImage(expected, m.gotRgb);
      const name = `${basename(args.trace).replace(/\.jsonl\.gz$/, '')}.mismatch-step-${String(m.step).padStart(5, '0')}.png`;
      const traceDir = dirname(resolve(args.trace));
      const dir = writableDir(traceDir) ? traceDir : process.cwd();
      const out = join(dir, name);
      const tmp = `${out}.tmp-${process.pid}.png`;
      try {
        await sharp(Buffer.from(img.rgb), { raw: { width: img.width, height: img.height, channels: 3 } })
          .png()
          .toFile(tmp);
        renameSync(tmp, out);
      } finally {
        rmSync(tmp, { force: true });
      }
      const what = expected ? 'expected | got | difference' : 'got (no reference PNG for this step)';
      const note = dir === traceDir ? '' : ` (the trace's folder is read-only, so it went to the current folder)`;
      console.log(`picture (${what}) written to ${out}${note}`);
    }
    process.exitCode = 1;
  },
};
