// Every CLI subcommand, in the order `--help` lists them. Add one line per new command module.
import type { CommandModule } from 'yargs';
import { checkTraceCommand } from './check-trace';
import { exportGifCommand } from './export-gif';
import { playRealCommand } from './play-real';
import { recordCommand } from './record';
import { evalDqnCommand } from './eval-dqn';
import { trainDqnCommand } from './train-dqn';
import { trainLatentCommand } from './train-latent';

// eslint-disable-next-line @typescript-eslint/no-explicit-any
export const commands: CommandModule<any, any>[] = [
  checkTraceCommand,
  trainDqnCommand,
  evalDqnCommand,
  recordCommand,
  exportGifCommand,
  trainLatentCommand,
  playRealCommand,
];
