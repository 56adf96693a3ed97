// `npm run play:web`: serve the web player (canvas + TensorFlow.js in the browser) on localhost.
import type { CommandModule } from 'yargs';
import { findRom, RomError } from '../../atari/roms';
import { UserError } from '../../pipeline/errors';
import { ACTION_MAP_DIR, WORLD_MODEL_DIR } from '../../play/neural-env';
import { startPlayServer } from '../../play/server';
import { ballHeadOption, headDir, paddleHeadDirFor, paddleHeadOption } from '../../pipeline/world-model';
import { START_FRAMES_DIR } from '../../play/start-frames';

interface Args {
  'world-model': string;
  'action-map': string;
  'ball-head': string;
  'paddle-head': string;
  'start-frames': string;
  rom?: string;
  'without-rom': boolean;
  fps: number;
  temperature: number;
  port: number;
  host: string;
}

export const playWebCommand: CommandModule<object, Args> = {
  command: 'play-web',
  describe: 'Serve the neural Breakout web player on localhost (the model runs in the browser) and print its URL',
  builder: (yargs) =>
    yargs
      .option('world-model', { type: 'string', default: WORLD_MODEL_DIR, describe: 'World model checkpoint folder' })
      .option('action-map', { type: 'string', default: ACTION_MAP_DIR, describe: 'Action map checkpoint folder' })
      .option('ball-head', ballHeadOption)
      .option('paddle-head', paddleHeadOption)
      .option('start-frames', { type: 'string', default: START_FRAMES_DIR, describe: 'Folder of real start screens' })
      .option('rom', { type: 'string', describe: 'Breakout ROM to run the real game beside the neural one (default: ATARI_ROM_DIR, then ale-py; none is fine)' })
      .option('without-rom', { type: 'boolean', default: false, describe: 'Serve no ROM even if one is found' })
      .option('fps', { type: 'number', default: 15, describe: 'Model steps per second in the page' })
      .option('temperature', { type: 'number', default: 0, describe: 'Code sampling temperature (0 = most likely code)' })
      .option('port', { type: 'number', default: 8080, describe: 'Port (0 = any free port)' })
      .option('host', { type: 'string', default: '127.0.0.1', describe: 'Address to listen on' }),
  handler: async (args) => {
    if (!(args.fps > 0 && args.fps <= 240)) throw new UserError(`--fps ${args.fps} is out of range (see --help)`);
    if (!(args.temperature >= 0)) throw new UserError(`--temperature ${args.temperature} must be >= 0`);
    if (!Number.isInteger(args.port) || args.port < 0 || args.port > 65535) throw new UserError(`--port ${args.port} is not a port number`);
    let rom: Uint8Array | null = null;
    let romNote = 'no ROM: the page shows the neural game only (a ROM can be picked in the page)';
    if (!args['without-rom']) {
      try {
        const found = findRom('breakout', { romPath: args.rom });
        rom = found.bytes;
        romNote = `ROM ${found.path}: the real game runs beside the neural one`;
      } catch (err) {
        if (args.rom !== undefined || !(err instanceof RomError)) throw err;
      }
    }
    const server = await startPlayServer({
      worldModel: args['world-model'],
      actionMap: args['action-map'],
      ballHead: headDir(args['ball-head']) ?? null,
      paddleHead: paddleHeadDirFor(args['paddle-head'], args['world-model']) ?? null,
      startFrames: args['start-frames'],
      rom,
      fps: args.fps,
      temperature: args.temperature,
      port: args.port,
      host: args.host,
    });
    console.log(romNote);
    console.log(`neural Breakout web player: ${server.url}   (Ctrl-C to stop)`);
    await new Promise<void>((resolveStop) => {
      const stop = () => void server.close().then(resolveStop);
      process.once('SIGINT', stop);
      process.once('SIGTERM', stop);
    });
  },
};
