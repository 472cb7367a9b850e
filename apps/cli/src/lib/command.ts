import { type ArgsDef, type CommandDef, defineCommand, type ParsedArgs } from 'citty';
import { COMMON_ARGS } from './context.js';
import { Output } from './output.js';

type WithCommon<A extends ArgsDef> = A & typeof COMMON_ARGS;

/**
 * A `stoa` subcommand: the common flags (`--json`, `--cwd`), one Output, and errors turned into
 * the documented exit codes.
 */
export function stoaCommand<const A extends ArgsDef>(def: {
  name: string;
  description: string;
  args?: A;
  run: (args: ParsedArgs<WithCommon<A>>, out: Output) => Promise<void>;
}): CommandDef<WithCommon<A>> {
  return defineCommand({
    meta: { name: def.name, description: def.description },
    args: { ...(def.args ?? ({} as A)), ...COMMON_ARGS } as WithCommon<A>,
    async run({ args }) {
      const out = new Output(Boolean(args.json));
      try {
        await def.run(args, out);
      } catch (error) {
        out.fail(error);
      }
    },
  });
}
