// `npm run play:real`: a person plays the real Breakout (our emulator) in the terminal.
import type { CommandModule } from 'yargs';
import { findRom } from '../../atari/roms';
import { playReal } from '../../play/play-real';

interface Args {
  rom?: string;
  fps: number;
  sticky: number;
  mode: number;
  difficulty: number;
  seed: number;
  'hold-ms': number;
  'max-frames': number;
}

export const playRealCommand: CommandModule<object, Args> = {
  command: 'play-real',
  describe: 'Play the real Breakout (our Atari emulator) in the terminal: arrows move, space fires, q quits',
  builder: (yargs) =>
    yargs
      .option('rom', { type: 'string', describe: 'Breakout ROM file (default: ATARI_ROM_DIR, then an installed ale-py)' })
      .option('fps', { type: 'number', default: 60, describe: 'Emulated frames per second' })
      .option('sticky', { type: 'number', default: 0, describe: 'Sticky-action probability (ALE v5 uses 0.25 for agents)' })
      .option('mode', { type: 'number', default: 0, describe: 'Game mode (0, 4, ..., 44)' })
      .option('difficulty', { type: 'number', default: 0, describe: 'Difficulty switch (0 or 1)' })
      .option('seed', { type: 'number', default: -1, describe: 'Seed of ALE\'s generator (-1: from the clock)' })
      .option('hold-ms', { type: 'number', default: 150, describe: 'A key counts as held this long after each press or auto-repeat' })
      .option('max-frames', { type: 'number', default: 0, describe: 'Quit after this many frames (0: play until q)' }),
  handler: async (args) => {
    const rom = findRom('breakout', { romPath: args.rom });
    for (const [name, value, ok] of [
      ['--fps', args.fps, args.fps > 0 && args.fps <= 1000],
      ['--sticky', args.sticky, args.sticky >= 0 && args.sticky <= 1],
      ['--hold-ms', args['hold-ms'], args['hold-ms'] >= 0],
      ['--max-frames', args['max-frames'], Number.isInteger(args['max-frames']) && args['max-frames'] >= 0],
    ] as const) {
      if (!ok) throw Object.assign(new Error(`${name} ${value} is out of range (see --help)`), { userFacing: true });
    }
    const seed = args.seed >= 0 ? args.seed : Date.now() >>> 0;
    const result = await playReal({
      rom: rom.bytes,
      fps: args.fps,
      repeatActionProbability: args.sticky,
      mode: args.mode,
      difficulty: args.difficulty,
      seed,
      holdMs: args['hold-ms'],
      maxFrames: args['max-frames'],
    });
    console.log(`played ${result.frames} frames, ${result.episodes} game(s), best score ${result.bestScore}`);
  },
};
