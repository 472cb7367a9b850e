import { type ArgsDef, type CommandDef, defineCommand, type ParsedArgs } from 'citty';
import { CliError, EXIT } from './exit-codes.js';
import { unknownFlag } from './flags.js';
import { Output } from './output.js';

/**
 * Flags every command takes. Here rather than in context.ts, which imports the SDK: a command
 * that opens no project (`stoa init`) does not load it.
 */
export const COMMON_ARGS = {
  json: { type: 'boolean', description: 'print one JSON document (progress goes to stderr)', default: false },
  cwd: { type: 'string', description: 'project directory (default: the current one)' },
} as const;

type WithCommon<A extends ArgsDef> = A & typeof COMMON_ARGS;

/**
 * A `stoa` subcommand: the common flags (`--json`, `--cwd`), one Output, a flag it does not
 * declare refused (exit code 2), and errors turned into the documented exit codes.
 */
export function stoaCommand<const A extends ArgsDef>(def: {
  name: string;
  description: string;
  args?: A;
  run: (args: ParsedArgs<WithCommon<A>>, out: Output) => Promise<void>;
}): CommandDef<WithCommon<A>> {
  const args = { ...(def.args ?? ({} as A)), ...COMMON_ARGS } as WithCommon<A>;
  return defineCommand({
    meta: { name: def.name, description: def.description },
    args,
    async run({ args: parsed, rawArgs }) {
      const out = new Output(Boolean(parsed.json));
      try {
        const problem = unknownFlag(rawArgs, args);
        if (problem) throw new CliError(problem, EXIT.usage);
        await def.run(parsed, out);
      } catch (error) {
        out.fail(error);
      }
    },
  });
}
