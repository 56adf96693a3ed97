// `npm run cli -- make-start-frames`: the real screens the neural game starts from (checkpoints/start-frames).
import type { CommandModule } from 'yargs';
import { findRom } from '../../atari/roms';
import { UserError } from '../../pipeline/errors';
import { makeStartFrames, START_FRAMES_DIR } from '../../play/start-frames';

interface Args {
  rom?: string;
  out: string;
  count: number;
  seed: number;
}

export const makeStartFramesCommand: CommandModule<object, Args> = {
  command: 'make-start-frames',
  describe: 'Play the real game (our emulator) and save the screens the neural game starts from',
  builder: (yargs) =>
    yargs
      .option('rom', { type: 'string', describe: 'Breakout ROM file (default: ATARI_ROM_DIR, then an installed ale-py)' })
      .option('out', { type: 'string', default: START_FRAMES_DIR, describe: 'Output folder (replaced atomically)' })
      .option('count', { type: 'number', default: 6, describe: 'Number of start sequences' })
      .option('seed', { type: 'number', default: 0, describe: 'Seed of the emulator resets and the random play' }),
  handler: async (args) => {
    if (!Number.isInteger(args.count) || args.count < 1 || args.count > 100) throw new UserError(`--count ${args.count} must be an integer in 1..100`);
    const rom = findRom('breakout', { romPath: args.rom });
    const index = await makeStartFrames({
      rom: rom.bytes,
      romMd5: rom.md5,
      outDir: args.out,
      count: args.count,
      seed: args.seed,
      command: `npm run cli -- make-start-frames --count ${args.count} --seed ${args.seed} --out ${args.out}`,
    });
    console.log(`wrote ${index.starts.length} starts to ${args.out}`);
  },
};
