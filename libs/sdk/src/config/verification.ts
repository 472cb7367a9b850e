import { cheatingOutlook, type Economics, validateEconomics } from '@stoa/dispute';
import type { ConfigProblem } from './errors.js';
import type { VerificationConfig } from './schema.js';

/** The protocol economics a verification config stands for. */
export function economicsOf(v: VerificationConfig): Economics {
  return {
    minStake: v.stake,
    slashAmount: v.slash ?? v.stake,
    claimBond: v.claimBond,
    challengeBond: v.challengeBond,
    auditRate: v.auditRate,
    feePerRequest: v.feePerRequest,
    costPerRequest: v.costPerRequest,
    receiptsPerClaim: v.receiptsPerClaim,
  };
}

const FIELD_OF: Record<string, string> = {
  minStake: 'stake',
  slashAmount: 'slash',
  claimBond: 'claimBond',
  challengeBond: 'challengeBond',
  auditRate: 'auditRate',
  feePerRequest: 'feePerRequest',
  costPerRequest: 'costPerRequest',
  receiptsPerClaim: 'receiptsPerClaim',
};

/**
 * Runs libs/dispute's economics calculator on the verification parameters. Parameters under
 * which cheating pays are refused with the calculator's numbers (gain, loss, break-even rate).
 */
export function verificationProblems(v: VerificationConfig): ConfigProblem[] {
  try {
    validateEconomics(economicsOf(v));
    return [];
  } catch (error) {
    const message = (error as Error).message.replace(/^economics: /, '');
    const named = /field '(\w+)'/.exec(message)?.[1];
    const outlook = cheatingOutlook(economicsOf(v));
    const field = named ? FIELD_OF[named] : outlook.expectedGain >= 0 ? 'auditRate' : undefined;
    const translated = Object.entries(FIELD_OF).reduce(
      (text, [from, to]) => text.replaceAll(`'${from}'`, `'verification.${to}'`),
      message,
    );
    return [{ path: `verification${field ? `.${field}` : ''}`, message: translated }];
  }
}
