import { projectFeeReports, usageSeries } from '@stoa/sdk';
import { z } from 'zod';
import { projectChain } from '../../dev-stack.js';
import { createTRPCRouter, protectedProcedure } from '../trpc.js';

export const usageRouter = createTRPCRouter({
  /** The gateway's metered usage of this project's keys over the last `minutes`, per bucket. */
  series: protectedProcedure
    .input(
      z.object({
        minutes: z
          .number()
          .int()
          .min(1)
          .max(60 * 24 * 31),
        bucketSeconds: z.number().int().min(1).max(86_400),
      }),
    )
    .query(({ ctx, input }) =>
      usageSeries(ctx.services.db, {
        projectId: ctx.services.projectId,
        since: new Date(Date.now() - input.minutes * 60_000),
        bucketMs: input.bucketSeconds * 1000,
      }),
    ),
  /**
   * Fees per deployment and node (metered, claimed, finalized, paid, and why they differ) for
   * the project's deployments paying through a FeeEscrow; empty while the project has no chain.
   */
  fees: protectedProcedure.query(async ({ ctx }) => {
    const chain = await projectChain(ctx.services.stoaDir);
    if (!chain) return [];
    return projectFeeReports(ctx.services.db, ctx.services.projectId, {
      rpcUrl: chain.rpcUrl,
      claimRegistry: chain.addresses.claimRegistry,
    });
  }),
});
