import { cheatingOutlook } from '@stoa/dispute';
import { economicsOf, parseWei, type VerificationConfig, verificationProblems } from '@stoa/sdk';
import { z } from 'zod';
import { createTRPCRouter, protectedProcedure } from '../trpc.js';

const wei = (field: string) =>
  z
    .string()
    .transform((value, ctx) => {
      const parsed = parseWei(value);
      if (parsed === undefined)
        ctx.addIssue({ code: 'custom', message: `${field}: an amount like '1 eth' or '5000 gwei'` });
      return parsed ?? 0n;
    })
    .optional();

export const verificationInput = z.object({
  stake: wei('stake'),
  slash: wei('slash'),
  claimBond: wei('claimBond'),
  challengeBond: wei('challengeBond'),
  feePerRequest: wei('feePerRequest'),
  costPerRequest: wei('costPerRequest'),
  auditRate: z.number().min(0).max(1).optional(),
  receiptsPerClaim: z.number().int().min(1).optional(),
});

const defined = <T extends object>(o: T) =>
  Object.fromEntries(Object.entries(o).filter(([, v]) => v !== undefined)) as Partial<T>;

/** libs/dispute's economics calculator on the project's verification parameters, edited. */
export const economicsRouter = createTRPCRouter({
  check: protectedProcedure.input(verificationInput).query(({ ctx, input }) => {
    const v: VerificationConfig = { ...ctx.services.project.config.verification, ...defined(input) };
    const outlook = cheatingOutlook(economicsOf(v));
    return {
      problems: verificationProblems(v),
      lossIfCaughtWei: outlook.lossIfCaught.toString(),
      gainIfUnnoticedWei: outlook.gainIfUnnoticed.toString(),
      expectedGainWei: outlook.expectedGain,
      breakEvenAuditRate: outlook.breakEvenAuditRate,
      auditRate: v.auditRate,
    };
  }),
});
