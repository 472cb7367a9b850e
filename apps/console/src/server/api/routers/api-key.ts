import { createApiKey, listApiKeys, revokeApiKey } from '@stoa/sdk';
import { TRPCError } from '@trpc/server';
import { z } from 'zod';
import { createTRPCRouter, protectedProcedure } from '../trpc.js';

const positive = z.number().positive().optional();

export const keyLimitsInput = z.object({
  name: z.string().trim().min(1, 'a name is required').max(80),
  allowedModels: z.array(z.string().trim().min(1)).max(100).optional(),
  rateLimitPerSec: positive,
  burst: z.number().int().positive().optional(),
  monthlyQuota: z.number().int().positive().optional(),
  spendCapUsd: positive,
  expiresInDays: z.number().int().positive().max(3650).optional(),
});

export const apiKeyRouter = createTRPCRouter({
  list: protectedProcedure.query(({ ctx }) => listApiKeys(ctx.services.db, ctx.services.projectId)),

  /** Returns the key itself once; only its keyed hash is stored. */
  create: protectedProcedure.input(keyLimitsInput).mutation(({ ctx, input }) => {
    const { name, expiresInDays, ...limits } = input;
    const { db, stoaDir, projectId } = ctx.services;
    return createApiKey(db, stoaDir, projectId, name, {
      ...limits,
      ...(expiresInDays ? { expiresAt: new Date(Date.now() + expiresInDays * 86_400_000) } : {}),
    });
  }),

  revoke: protectedProcedure.input(z.object({ id: z.string().min(1) })).mutation(async ({ ctx, input }) => {
    const owned = await ctx.services.db.apiKey.findFirst({
      where: { id: input.id, projectId: ctx.services.projectId },
    });
    if (!owned) throw new TRPCError({ code: 'NOT_FOUND', message: `no API key with id '${input.id}'` });
    const row = await revokeApiKey(ctx.services.db, owned.id);
    return { id: row!.id, prefix: row!.prefix, revokedAt: row!.revokedAt };
  }),
});
