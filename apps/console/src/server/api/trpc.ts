/**
 * The console's tRPC setup, in the create-t3-app shape: 1. context, 2. init, 3. procedures.
 * There is no public procedure: every procedure is built from `protectedProcedure`, whose
 * middleware refuses a request without a viewer (a session, or loopback binding).
 */
import { initTRPC, TRPCError } from '@trpc/server';
import superjson from 'superjson';
import { ZodError, z } from 'zod';
import type { Viewer } from '../auth.js';
import type { ConsoleServices } from '../services.js';

// 1. Context
export interface ConsoleContext {
  readonly viewer: Viewer | null;
  readonly services: ConsoleServices;
}

// 2. Init
const t = initTRPC.context<ConsoleContext>().create({
  transformer: superjson,
  errorFormatter: ({ shape, error }) => ({
    ...shape,
    data: {
      ...shape.data,
      zodError: error.cause instanceof ZodError ? z.flattenError(error.cause) : null,
    },
  }),
});

export const createTRPCRouter = t.router;
export const createCallerFactory = t.createCallerFactory;

// 3. Procedures
export const protectedProcedure = t.procedure.use(({ ctx, next }) => {
  if (!ctx.viewer) throw new TRPCError({ code: 'UNAUTHORIZED', message: 'sign in to use the console' });
  return next({ ctx: { ...ctx, viewer: ctx.viewer } });
});
