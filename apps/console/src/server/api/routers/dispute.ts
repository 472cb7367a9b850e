import { disputeHistory } from '@stoa/sdk';
import { projectChain } from '../../dev-stack.js';
import { createTRPCRouter, protectedProcedure } from '../trpc.js';

export const disputeRouter = createTRPCRouter({
  /** Claims on the project's chain and each dispute as a timeline; null without a local chain. */
  history: protectedProcedure.query(async ({ ctx }) => {
    const chain = await projectChain(ctx.services.stoaDir);
    if (!chain) return null;
    return { rpcUrl: chain.rpcUrl, ...(await disputeHistory(chain.rpcUrl, chain.addresses)) };
  }),
});
