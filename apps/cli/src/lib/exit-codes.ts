/** The `stoa` command's exit codes (documented in apps/cli/README.md). */
export const EXIT = {
  ok: 0,
  /** Something unexpected failed (the message says what). */
  failure: 1,
  /** Bad command line: unknown command or flag, missing argument. */
  usage: 2,
  /** stoa.config.ts is missing or invalid (the message names the field path). */
  config: 3,
  /** Refused: the plan or a failover would exceed the budget. */
  budget: 4,
  /** No network could provision the deployment (each refusal is listed). */
  provisioning: 5,
  /** A receipt did not verify. */
  verification: 6,
  /** Nothing to act on: no deployment, key or dispute by that name. */
  notFound: 7,
} as const;

export class CliError extends Error {
  constructor(
    message: string,
    readonly exitCode: number,
  ) {
    super(message);
    this.name = 'CliError';
  }
}
