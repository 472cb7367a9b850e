import { z } from 'zod';

const wei = z.bigint().nonnegative();

/** The protocol's money, and how often claims are audited. All amounts in wei. */
export const EconomicsSchema = z.object({
  /** What a node must have bonded to post claims. */
  minStake: wei,
  /** Taken from a node's stake for each dispute it loses. */
  slashAmount: wei,
  /** Bonded with each claim, forfeited when the claim is rejected. */
  claimBond: wei,
  /** Bonded by a challenger, forfeited when it loses. */
  challengeBond: wei,
  /** Fraction of claims that watchers verify, in [0, 1]. */
  auditRate: z.number().min(0).max(1),
  /** Fee a node earns per answered request. */
  feePerRequest: wei,
  /** What a node saves by answering one request without computing it honestly. */
  costPerRequest: wei,
  /** Receipts per claim. */
  receiptsPerClaim: z.number().int().min(1),
});
export type Economics = z.infer<typeof EconomicsSchema>;

export interface CheatingOutlook {
  /** Probability that a claim holding one wrong receipt is audited and disputed. */
  readonly detection: number;
  /** What one cheated request gains when it goes unnoticed (the compute it skipped). */
  readonly gainIfUnnoticed: bigint;
  /** What the node loses when it is caught: the slash, capped by the stake, and the claim bond. */
  readonly lossIfCaught: bigint;
  /** gain · (1 − detection) − loss · detection, in wei (negative: cheating does not pay). */
  readonly expectedGain: number;
  /** The smallest audit rate at which cheating on one request stops paying. */
  readonly breakEvenAuditRate: number;
}

/**
 * The expected gain of a node that answers one request of a claim dishonestly. A watcher that
 * audits a claim checks every receipt in it, so one wrong receipt is caught with probability
 * `auditRate`; the fee is earned either way, so what cheating gains is the compute it skips.
 */
export function cheatingOutlook(e: Economics): CheatingOutlook {
  // biome-ignore lint/complexity/useMathMinMax: Math.min does not take bigints
  const slash = e.slashAmount < e.minStake ? e.slashAmount : e.minStake;
  const loss = slash + e.claimBond;
  const gain = e.costPerRequest;
  const detection = e.auditRate;
  const expectedGain = Number(gain) * (1 - detection) - Number(loss) * detection;
  const breakEvenAuditRate = Number(gain) / (Number(gain) + Number(loss));
  return { detection, gainIfUnnoticed: gain, lossIfCaught: loss, expectedGain, breakEvenAuditRate };
}

/**
 * Validates protocol parameters and refuses any under which cheating pays, or an honest
 * challenger could not afford to challenge. Errors name the field.
 */
export function validateEconomics(input: unknown): Economics {
  const parsed = EconomicsSchema.safeParse(input);
  if (!parsed.success) {
    const issue = parsed.error.issues[0]!;
    throw new Error(`economics: field '${issue.path.join('.') || '(root)'}': ${issue.message}`);
  }
  const e = parsed.data;
  if (e.slashAmount > e.minStake) {
    throw new Error(
      `economics: field 'slashAmount' (${e.slashAmount}) exceeds 'minStake' (${e.minStake}): a node staking the minimum could not be slashed in full`,
    );
  }
  if (e.challengeBond === 0n) {
    throw new Error(
      `economics: field 'challengeBond' must be positive, or anyone can stall claims with free disputes`,
    );
  }
  const outlook = cheatingOutlook(e);
  if (outlook.expectedGain >= 0) {
    throw new Error(
      `economics: cheating pays — with auditRate ${e.auditRate} a wrong answer gains ${outlook.gainIfUnnoticed} wei ` +
        `and risks ${outlook.lossIfCaught} wei (expected gain ${outlook.expectedGain.toExponential(3)} wei); ` +
        `raise 'auditRate' above ${outlook.breakEvenAuditRate.toPrecision(3)} or 'slashAmount'`,
    );
  }
  return e;
}
