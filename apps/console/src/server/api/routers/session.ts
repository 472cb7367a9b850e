import { createTRPCRouter, protectedProcedure } from '../trpc.js';

export const sessionRouter = createTRPCRouter({
  whoami: protectedProcedure.query(({ ctx }) => ({
    email: ctx.viewer.email,
    via: ctx.viewer.via,
    project: ctx.services.project.config.name,
  })),
});
