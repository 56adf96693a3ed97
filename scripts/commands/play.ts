// `npm run play`: play the neural Breakout in the terminal (or record a neural game headless).
import type { CommandModule } from 'yargs';
import { findRom } from '../../atari/roms';
import { backendOption, type BackendPreference, initBackend } from '../../models/backend';
import { ACTION_MAP_DIR, loadNeuralEnv, WORLD_MODEL_DIR } from '../../play/neural-env';
import { ballHeadOption, paddleHeadOption } from '../../pipeline/world-model';
import { HEADLESS_POLICIES, type HeadlessPolicy, playNeural, RealTwin, recordNeuralGame } from '../../play/play-neural';
import { START_FRAMES_DIR } from '../../play/start-frames';
import { checkFlags } from './argv';

interface Args {
  'world-model': string;
  'action-map': string;
  'ball-head': string;
  'paddle-head': string;
  'start-frames': string;
  temperature: number;
  seed: number;
  fps: number;
  'hold-ms': number;
  'max-steps': number;
  'side-by-side': boolean;
  rom?: string;
  headless: boolean;
  policy: string;
  steps: number;
  out: string;
  scale: number;
  backend: string;
}

export const playCommand: CommandModule<object, Args> = {
  command: 'play',
  describe: 'Play the neural Breakout (every screen drawn by the world model): ←/→ move, space fires, q quits',
  builder: (yargs) =>
    yargs
      .option('world-model', { type: 'string', default: WORLD_MODEL_DIR, describe: 'World model checkpoint folder' })
      .option('action-map', { type: 'string', default: ACTION_MAP_DIR, describe: 'Action map checkpoint folder' })
      .option('ball-head', ballHeadOption)
      .option('paddle-head', paddleHeadOption)
      .option('start-frames', { type: 'string', default: START_FRAMES_DIR, describe: 'Folder of real start screens (index.json + PNGs)' })
      .option('temperature', { type: 'number', default: 0, describe: 'Code sampling temperature: 0 = most likely code (deterministic)' })
      .option('seed', { type: 'number', default: -1, describe: 'Seed for the start screen and code sampling (-1: from the clock)' })
      .option('fps', { type: 'number', default: 15, describe: 'Model steps per second (15 = the real game at frame skip 4)' })
      .option('hold-ms', { type: 'number', default: 150, describe: 'A key counts as held this long after each press or auto-repeat' })
      .option('max-steps', { type: 'number', default: 0, describe: 'Quit after this many steps (0: play until q)' })
      .option('side-by-side', { type: 'boolean', default: false, describe: 'Run the real game (needs the ROM) beside the neural one with the same keys, with per-step PSNR and dynamic-pixel accuracy' })
      .option('rom', { type: 'string', describe: 'Breakout ROM for --side-by-side (default: ATARI_ROM_DIR, then an installed ale-py)' })
      .option('headless', { type: 'boolean', default: false, describe: 'No terminal: a policy plays and the frames are written to --out' })
      .option('policy', { choices: HEADLESS_POLICIES, default: 'random', describe: 'Headless policy: random each step, held for 1..15 steps, or noop' })
      .option('steps', { type: 'number', default: 200, describe: 'Headless: steps to play' })
      .option('out', { type: 'string', default: 'neural-game.gif', describe: 'Headless: output file, .gif or .mp4' })
      .option('scale', { type: 'number', default: 2, describe: 'Headless: integer upscale of the written frames' })
      .options(backendOption),
  handler: async (args) => {
    checkFlags([
      ['--fps', args.fps, args.fps > 0 && args.fps <= 240],
      ['--temperature', args.temperature, args.temperature >= 0],
      ['--hold-ms', args['hold-ms'], args['hold-ms'] >= 0],
      ['--max-steps', args['max-steps'], Number.isInteger(args['max-steps']) && args['max-steps'] >= 0],
      ['--steps', args.steps, Number.isInteger(args.steps) && args.steps >= 1],
      ['--scale', args.scale, Number.isInteger(args.scale) && args.scale >= 1 && args.scale <= 8],
    ]);
    const seed = args.seed >= 0 ? args.seed : Date.now() >>> 0;
    const real = args['side-by-side'] ? new RealTwin(findRom('breakout', { romPath: args.rom }).bytes) : undefined;
    // Only the chosen backend is worth a line here (the optional native packages are usually absent).
    await initBackend(args.backend as BackendPreference, { log: (line) => { if (!line.includes('not available')) console.log(line); } });
    const { game, description } = await loadNeuralEnv({
      worldModel: args['world-model'],
      actionMap: args['action-map'],
      ballHead: args['ball-head'],
      paddleHead: args['paddle-head'],
      startFrames: args['start-frames'],
      temperature: args.temperature,
      seed,
    });
    if (args.headless) {
      const r = await recordNeuralGame({ game, policy: args.policy as HeadlessPolicy, steps: args.steps, out: args.out, seed, fps: args.fps, scale: args.scale, real });
      const twin = r.meanPsnr !== undefined ? `, real vs neural: mean PSNR ${r.meanPsnr.toFixed(2)} dB, mean dynamic-pixel accuracy ${r.meanDynamicAccuracy?.toFixed(3) ?? '-'}` : '';
      console.log(`wrote ${args.out}: ${r.frames} frames, ${r.bytes} bytes; model ${r.medianLatencyMs.toFixed(1)} ms/step (median)${twin}`);
      return;
    }
    const result = await playNeural({ game, fps: args.fps, seed, holdMs: args['hold-ms'], maxSteps: args['max-steps'], real, description });
    console.log(`played ${result.steps} neural steps, ${result.episodes} episode(s)`);
  },
};
