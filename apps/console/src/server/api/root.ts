import { apiKeyRouter } from './routers/api-key.js';
import { deploymentRouter } from './routers/deployment.js';
import { disputeRouter } from './routers/dispute.js';
import { economicsRouter } from './routers/economics.js';
import { modelRouter } from './routers/model.js';
import { playgroundRouter } from './routers/playground.js';
import { sessionRouter } from './routers/session.js';
import { usageRouter } from './routers/usage.js';
import { createTRPCRouter } from './trpc.js';

/** One router per noun. */
export const appRouter = createTRPCRouter({
  session: sessionRouter,
  model: modelRouter,
  apiKey: apiKeyRouter,
  deployment: deploymentRouter,
  economics: economicsRouter,
  usage: usageRouter,
  dispute: disputeRouter,
  playground: playgroundRouter,
});

export type AppRouter = typeof appRouter;
