// The single command-line entry: one yargs subcommand per stage or tool.
// Each command lives in scripts/commands/<name>.ts and is listed in scripts/commands/index.ts.
import yargs from 'yargs';
import { hideBin } from 'yargs/helpers';
import { commands } from './commands/index';

/** Errors caused by bad input carry `userFacing: true`: we print their message, not a stack trace. */
function isUserFacing(err: unknown): err is Error {
  return err instanceof Error && (err as { userFacing?: unknown }).userFacing === true;
}

async function main(): Promise<void> {
  let cli = yargs(hideBin(process.argv))
    .scriptName('neural-breakout')
    .strict()
    .demandCommand(1, 'Name a command (see --help).')
    .recommendCommands()
    .help()
    .wrap(Math.min(110, process.stdout.columns || 100))
    .fail((msg, err) => {
      if (err) throw err;
      console.error(`${msg}\n\nRun with --help for usage.`);
      process.exit(2);
    });
  for (const command of commands) cli = cli.command(command);
  await cli.parseAsync();
}

main().catch((err: unknown) => {
  if (isUserFacing(err)) {
    console.error(`error: ${err.message}`);
  } else {
    console.error(err);
  }
  process.exit(1);
});
