// What the user typed, beside what yargs filled in with defaults, and whether it is in range.
import { UserError } from '../../pipeline/errors';

/** Whether `flag` (e.g. '--lr') was given on the command line, as `--lr X` or `--lr=X`. */
export function flagGiven(flag: string): boolean {
  return process.argv.some((a) => a === flag || a.startsWith(`${flag}=`));
}

/** Refuse the first flag whose check fails (rows of [flag, value, ok]) with a UserError naming it. */
export function checkFlags(rows: readonly (readonly [string, unknown, boolean])[]): void {
  for (const [flag, value, ok] of rows) if (!ok) throw new UserError(`${flag} ${value} is out of range (see --help)`);
}
