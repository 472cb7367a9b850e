import { stoaCommand } from '../lib/command.js';
import { CliError, EXIT } from '../lib/exit-codes.js';
import { DESCRIPTIONS } from './descriptions.js';
import { dev } from './dev.js';

export const devCommand = stoaCommand({
  name: 'dev',
  description: DESCRIPTIONS.dev,
  args: {
    once: { type: 'boolean', description: 'run the scenario once and exit', default: false },
    digit: { type: 'string', description: 'which held-out MNIST test digit to send (0..9999)', default: '0' },
    project: {
      type: 'string',
      description: 'project directory to serve (default: a temporary one, removed on exit)',
    },
    console: { type: 'boolean', description: 'start the web console (--no-console: skip it)', default: true },
  },
  async run(args) {
    const digit = Number(args.digit);
    if (!Number.isInteger(digit) || digit < 0 || digit > 9999) {
      throw new CliError(
        `--digit must be an integer in 0..9999 (a held-out test digit), got '${args.digit}'`,
        EXIT.usage,
      );
    }
    await dev({
      once: args.once,
      digit,
      console: args.console,
      ...(args.project ? { project: args.project } : {}),
    });
  },
});
