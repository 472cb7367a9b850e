import { describe, expect, it } from 'vitest';
import { cheatingOutlook, validateEconomics } from './economics.js';

const ETH = 10n ** 18n;
const sound = {
  minStake: ETH,
  slashAmount: ETH,
  claimBond: ETH / 100n,
  challengeBond: ETH / 10n,
  auditRate: 0.05,
  feePerRequest: 10n ** 14n,
  costPerRequest: 10n ** 14n,
  receiptsPerClaim: 100,
};

describe('economics', () => {
  it('accepts parameters under which cheating loses money in expectation', () => {
    expect(validateEconomics(sound)).toEqual(sound);
    const outlook = cheatingOutlook(sound);
    expect(outlook.lossIfCaught).toBe(ETH + ETH / 100n);
    expect(outlook.expectedGain).toBeLessThan(0);
    // At the break-even audit rate the expected gain is zero.
    const even = cheatingOutlook({ ...sound, auditRate: outlook.breakEvenAuditRate });
    expect(Math.abs(even.expectedGain)).toBeLessThan(1e-3 * Number(sound.costPerRequest));
  });

  it('refuses parameters under which cheating pays, and says what to raise', () => {
    expect(() => validateEconomics({ ...sound, auditRate: 0, slashAmount: 0n })).toThrow(
      /cheating pays.*raise 'auditRate' above/,
    );
    expect(() => validateEconomics({ ...sound, costPerRequest: 10n * ETH })).toThrow(/cheating pays/);
  });

  it('names the field of a bad parameter', () => {
    expect(() => validateEconomics({ ...sound, auditRate: 1.5 })).toThrow(/field 'auditRate'/);
    expect(() => validateEconomics({ ...sound, minStake: -1n })).toThrow(/field 'minStake'/);
    expect(() => validateEconomics({ ...sound, receiptsPerClaim: undefined })).toThrow(
      /field 'receiptsPerClaim'/,
    );
    expect(() => validateEconomics({ ...sound, slashAmount: 2n * ETH })).toThrow(
      /'slashAmount'.*exceeds 'minStake'/,
    );
    expect(() => validateEconomics({ ...sound, challengeBond: 0n })).toThrow(
      /'challengeBond' must be positive/,
    );
  });
});
