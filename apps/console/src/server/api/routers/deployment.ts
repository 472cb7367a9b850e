import { DeployEngine, teardown } from '@stoa/sdk';
import { TRPCError } from '@trpc/server';
import { z } from 'zod';
import type { ConsoleServices } from '../../services.js';
import { createTRPCRouter, protectedProcedure } from '../trpc.js';

const engineOf = (services: ConsoleServices) => new DeployEngine(services.project, services.db);

export const deploymentRouter = createTRPCRouter({
  /** Every deployment of the project with its replicas (network, state, health, endpoint). */
  list: protectedProcedure.query(({ ctx }) =>
    ctx.services.db.deployment.findMany({
      where: { projectId: ctx.services.projectId },
      orderBy: { createdAt: 'desc' },
      include: {
        replicas: { orderBy: { createdAt: 'asc' } },
        model: { select: { name: true, modelId: true } },
      },
    }),
  ),

  /** The deploy engine's log for one deployment, oldest first; `after` fetches only newer lines. */
  events: protectedProcedure
    .input(z.object({ deploymentId: z.string(), after: z.date().optional() }))
    .query(({ ctx, input }) =>
      ctx.services.db.deploymentEvent.findMany({
        where: {
          deploymentId: input.deploymentId,
          deployment: { projectId: ctx.services.projectId },
          ...(input.after ? { at: { gt: input.after } } : {}),
        },
        orderBy: { at: 'asc' },
        take: 500,
      }),
    ),

  /**
   * The same log streamed (tRPC subscription over server-sent events): every event so far, then
   * each new one as the engine records it; ends when the browser closes the stream.
   */
  logs: protectedProcedure.input(z.object({ deploymentId: z.string() })).subscription(async function* ({
    ctx,
    input,
    signal,
  }) {
    let after: Date | undefined;
    while (!signal?.aborted) {
      const rows = await ctx.services.db.deploymentEvent.findMany({
        where: {
          deploymentId: input.deploymentId,
          deployment: { projectId: ctx.services.projectId },
          ...(after ? { at: { gt: after } } : {}),
        },
        orderBy: { at: 'asc' },
        take: 500,
      });
      for (const row of rows) yield row;
      after = rows.at(-1)?.at ?? after;
      await new Promise((resolve) => setTimeout(resolve, 500));
    }
  }),

  /** Live quotes from every configured network and the planner's placements; creates nothing. */
  plan: protectedProcedure.query(({ ctx }) => engineOf(ctx.services).plan()),

  /** Starts the SDK's deploy engine on the project's stoa.config.ts (one run at a time). */
  start: protectedProcedure.mutation(({ ctx }) => {
    try {
      return { startedAt: ctx.services.deploys.start(ctx.services).startedAt };
    } catch (error) {
      throw new TRPCError({ code: 'CONFLICT', message: (error as Error).message });
    }
  }),

  /** The latest console deploy's step and failover events, as they happen. */
  progress: protectedProcedure.query(({ ctx }) => ctx.services.deploys.latest() ?? null),

  /** The API key the latest console deploy issued: returned once, then forgotten. */
  takeKey: protectedProcedure.mutation(({ ctx }) => ({ key: ctx.services.deploys.takeKey() ?? null })),

  /** Releases every replica of the active deployment and stops the local services. */
  teardown: protectedProcedure.mutation(({ ctx }) => teardown(engineOf(ctx.services))),
});
