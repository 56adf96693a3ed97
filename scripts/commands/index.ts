// Every CLI subcommand, in the order `--help` lists them. Add one line per new command module.
import type { CommandModule } from 'yargs';
import { exportGifCommand } from './export-gif';
import { makeStartFramesCommand } from './make-start-frames';
import { playCommand } from './play';
import { recordCommand } from './record';
import { trainLatentCommand } from './train-latent';

// eslint-disable-next-line @typescript-eslint/no-explicit-any
export const commands: CommandModule<any, any>[] = [
  recordCommand,
  exportGifCommand,
  trainLatentCommand,
  playCommand,
  makeStartFramesCommand,
];
