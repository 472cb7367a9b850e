import { apiKeyRouter } from './routers/api-key.js';
import { deploymentRouter } from './routers/deployment.js';
import { economicsRouter } from './routers/economics.js';
import { modelRouter } from './routers/model.js';
import { sessionRouter } from './routers/session.js';
import { createTRPCRouter } from './trpc.js';

/** One router per noun. Usage, disputes and the playground join here once the gateway exists. */
export const appRouter = createTRPCRouter({
  session: sessionRouter,
  model: modelRouter,
  apiKey: apiKeyRouter,
  deployment: deploymentRouter,
  economics: economicsRouter,
});

export type AppRouter = typeof appRouter;
