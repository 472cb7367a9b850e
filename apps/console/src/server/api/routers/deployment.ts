import { DeployEngine, teardown } from '@stoa/sdk';
import { TRPCError } from '@trpc/server';
import { z } from 'zod';
import { hasModelSources } from '../../models/sources.js';
import type { ConsoleServices } from '../../services.js';
import { createTRPCRouter, protectedProcedure } from '../trpc.js';

const engineOf = (services: ConsoleServices) => new DeployEngine(services.project, services.db);

export const deploymentRouter = createTRPCRouter({
  /** Every deployment of the project with its replicas (network, state, health, endpoint). */
  list: protectedProcedure.query(async ({ ctx }) => {
    const rows = await ctx.services.db.deployment.findMany({
      where: { projectId: ctx.services.projectId },
      orderBy: { createdAt: 'desc' },
      include: {
        replicas: { orderBy: { createdAt: 'asc' } },
        model: { select: { name: true, modelId: true } },
      },
    });
    // The console tears down what the deploy engine made (the project's own deployment).
    return rows.map((row) => ({ ...row, ownTeardown: row.name === ctx.services.project.config.name }));
  }),

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

  /** The imported models the wizard can deploy in place of stoa.config.ts's model. */
  deployableModels: protectedProcedure.query(async ({ ctx }) => {
    const rows = await ctx.services.db.model.findMany({
      where: { projectId: ctx.services.projectId },
      orderBy: { createdAt: 'desc' },
      select: { name: true, modelId: true },
    });
    const seen = new Set<string>();
    return rows.filter(
      (r) => !seen.has(r.name) && seen.add(r.name) && hasModelSources(ctx.services.stoaDir, r.name),
    );
  }),

  /**
   * Starts the SDK's deploy engine on the project's stoa.config.ts (one run at a time), with an
   * imported model in place of the config's when `model` names one.
   */
  start: protectedProcedure
    .input(z.object({ model: z.string().optional() }).optional())
    .mutation(({ ctx, input }) => {
      try {
        return { startedAt: ctx.services.deploys.start(ctx.services, input?.model).startedAt };
      } catch (error) {
        throw new TRPCError({ code: 'CONFLICT', message: (error as Error).message });
      }
    }),

  /** The latest console deploy's step and failover events, as they happen. */
  progress: protectedProcedure.query(({ ctx }) => ctx.services.deploys.latest() ?? null),

  /** The API key the latest console deploy issued: returned once, then forgotten. */
  takeKey: protectedProcedure.mutation(({ ctx }) => ({ key: ctx.services.deploys.takeKey() ?? null })),

  /**
   * Releases every replica of the project's deployment `deploymentId` and stops the local
   * services its deploy started (chain, artifact store). A deployment another tool runs (the one
   * `stoa dev` records for its own nodes) is refused: that tool owns its processes.
   */
  teardown: protectedProcedure
    .input(z.object({ deploymentId: z.string() }))
    .mutation(async ({ ctx, input }) => {
      const { db, projectId, project } = ctx.services;
      const row = await db.deployment.findFirst({ where: { id: input.deploymentId, projectId } });
      if (!row) throw new TRPCError({ code: 'NOT_FOUND', message: `no deployment '${input.deploymentId}'` });
      if (row.name !== project.config.name)
        throw new TRPCError({
          code: 'PRECONDITION_FAILED',
          message: `deployment '${row.name}' is run by \`stoa dev\`: Ctrl-C there stops its nodes`,
        });
      return teardown(engineOf(ctx.services));
    }),
});
