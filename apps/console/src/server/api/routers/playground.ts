import { challenge, createStoaClient, infer, StoaError, verifyReceipt, type WireReceipt } from '@stoa/client';
import { receiptDomainOf } from '@stoa/contracts';
import { KEY_PATTERN } from '@stoa/sdk';
import { TRPCError } from '@trpc/server';
import { z } from 'zod';
import { type ProjectChain, projectChain } from '../../dev-stack.js';
import { createTRPCRouter, protectedProcedure } from '../trpc.js';

const apiKey = z.string().trim().regex(KEY_PATTERN, 'apiKey: must be an API key (sk_…)');

async function gatewayOf(
  stoaDir: string,
): Promise<ProjectChain & { gateway: NonNullable<ProjectChain['gateway']> }> {
  const chain = await projectChain(stoaDir);
  if (!chain?.gateway)
    throw new TRPCError({
      code: 'PRECONDITION_FAILED',
      message: 'no gateway: run `stoa dev` for this project',
    });
  return chain as ProjectChain & { gateway: NonNullable<ProjectChain['gateway']> };
}

/** The gateway's error (status, message) as a tRPC error the page shows. */
async function asked<T>(work: () => Promise<T>): Promise<T> {
  try {
    return await work();
  } catch (error) {
    if (error instanceof StoaError)
      throw new TRPCError({ code: 'BAD_REQUEST', message: `gateway: ${error.message}` });
    throw error;
  }
}

export const playgroundRouter = createTRPCRouter({
  /**
   * Where the playground's requests go, if anywhere: the gateway, its default model, and every
   * model a live deployment of the project serves (the gateway routes each by name).
   */
  target: protectedProcedure.query(async ({ ctx }) => {
    const chain = await projectChain(ctx.services.stoaDir);
    if (!chain?.gateway) return null;
    const live = await ctx.services.db.deployment.findMany({
      where: { projectId: ctx.services.projectId, state: 'live', replicas: { some: { state: 'running' } } },
      orderBy: { createdAt: 'asc' },
      select: { model: { select: { name: true } } },
    });
    const models = [...new Set([chain.gateway.model, ...live.map((d) => d.model.name)])];
    return { gatewayUrl: chain.gateway.url, model: chain.gateway.model, models };
  }),

  /** One 28×28 digit (0–1 per pixel) through the gateway with the caller's key (never stored). */
  infer: protectedProcedure
    .input(
      z.object({
        apiKey,
        model: z.string().trim().min(1).max(200).optional(),
        pixels: z.array(z.number().min(0).max(1)).length(784),
      }),
    )
    .mutation(async ({ ctx, input }) => {
      const { gateway } = await gatewayOf(ctx.services.stoaDir);
      const client = createStoaClient({ baseUrl: gateway.url, apiKey: input.apiKey });
      const model = input.model ?? gateway.model;
      return asked(() => infer(client, { model, inputs: [input.pixels] }));
    }),

  /** Checks a receipt here, trusting no one: the node's EIP-712 signature for this chain's ClaimRegistry. */
  verify: protectedProcedure
    .input(z.object({ receipt: z.record(z.string(), z.unknown()), modelId: z.string().optional() }))
    .mutation(async ({ ctx, input }) => {
      const chain = await gatewayOf(ctx.services.stoaDir);
      return verifyReceipt({
        receipt: input.receipt as unknown as WireReceipt,
        domain: receiptDomainOf(chain.addresses),
        ...(input.modelId ? { modelId: input.modelId } : {}),
      });
    }),

  /** Asks the gateway to replay the answer on another network and dispute it on chain if it differs. */
  challenge: protectedProcedure
    .input(z.object({ apiKey, id: z.string().min(1).max(200) }))
    .mutation(async ({ ctx, input }) => {
      const { gateway } = await gatewayOf(ctx.services.stoaDir);
      const client = createStoaClient({ baseUrl: gateway.url, apiKey: input.apiKey });
      return asked(() => challenge(client, input.id));
    }),
});
