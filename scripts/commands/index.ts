// Every CLI subcommand, in the order `--help` lists them. Add one line per new command module.
import type { CommandModule } from 'yargs';
import { checkTraceCommand } from './check-trace';
import { exportGifCommand } from './export-gif';
import { makeStartFramesCommand } from './make-start-frames';
import { playCommand } from './play';
import { playWebCommand } from './play-web';
import { pipelineCommand } from './pipeline';
import { playRealCommand } from './play-real';
import { recordCommand } from './record';
import { evalDqnCommand } from './eval-dqn';
import { trainDqnCommand } from './train-dqn';
import { trainLatentCommand } from './train-latent';
import { trainBallHeadCommand } from './train-ball-head';
import { evalWorldModelCommand } from './eval-world-model';
import { collectPairsCommand } from './collect-pairs';
import { trainActionMapCommand } from './train-action-map';
import { trainPaddleHeadCommand } from './train-paddle-head';

// eslint-disable-next-line @typescript-eslint/no-explicit-any
export const commands: CommandModule<any, any>[] = [
  checkTraceCommand,
  trainDqnCommand,
  evalDqnCommand,
  recordCommand,
  exportGifCommand,
  trainLatentCommand,
  trainBallHeadCommand,
  evalWorldModelCommand,
  collectPairsCommand,
  trainActionMapCommand,
  trainPaddleHeadCommand,
  playRealCommand,
  playCommand,
  playWebCommand,
  makeStartFramesCommand,
  pipelineCommand,
];
