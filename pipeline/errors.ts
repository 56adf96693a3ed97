// Errors caused by bad input (a flag, a missing file, a corrupt video). The CLI prints only their
// message (scripts/cli.ts checks `userFacing`), so the message must name the input and what was expected.
export class UserError extends Error {
  readonly userFacing = true;
  constructor(message: string, options?: { cause?: unknown }) {
    super(message, options);
    this.name = 'UserError';
  }
}

export function isUserFacing(err: unknown): err is Error {
  return err instanceof Error && (err as { userFacing?: unknown }).userFacing === true;
}
