import { stoaCommand } from '../lib/command.js';
import { CliError, EXIT } from '../lib/exit-codes.js';
import { dev } from './dev.js';

export const devCommand = stoaCommand({
  name: 'dev',
  description: 'the whole system on this machine: chain, contracts, three nodes, a live dispute',
  args: {
    once: { type: 'boolean', description: 'run the scenario once and exit', default: false },
    digit: { type: 'string', description: 'which held-out MNIST test digit to send (0..9999)', default: '0' },
  },
  async run(args) {
    const digit = Number(args.digit);
    if (!Number.isInteger(digit) || digit < 0 || digit > 9999) {
      throw new CliError(
        `--digit must be an integer in 0..9999 (a held-out test digit), got '${args.digit}'`,
        EXIT.usage,
      );
    }
    await dev({ once: args.once, digit });
  },
});
