// What the user typed, beside what yargs filled in with defaults.

/** Whether `flag` (e.g. '--lr') was given on the command line, as `--lr X` or `--lr=X`. */
export function flagGiven(flag: string): boolean {
  return process.argv.some((a) => a === flag || a.startsWith(`${flag}=`));
}
