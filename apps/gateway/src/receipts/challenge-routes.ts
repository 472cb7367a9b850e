import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import type { ClientChallenges } from './client-challenges.js';

/**
 * The read side of client challenges: `GET /v1/challenges/terms` (what a client signs for this
 * gateway) and `GET /v1/receipts/{id}/challenge` (progress and outcome). The challenge itself
 * is `POST /v1/receipts/{id}/challenge` in app.ts, shared with the unbonded replay.
 */
export function clientChallengeRoutes(
  app: FastifyInstance,
  deps: {
    readonly challenges: ClientChallenges;
    readonly authenticate: (request: FastifyRequest, reply: FastifyReply) => Promise<void>;
    /** Throws receipt_not_found unless the receipt was answered to this request's key. */
    readonly ownReceipt: (id: string, request: FastifyRequest) => Promise<unknown>;
  },
): void {
  const { challenges, authenticate, ownReceipt } = deps;
  app.get('/v1/challenges/terms', { preHandler: authenticate }, () => challenges.challengeTerms());
  app.get<{ Params: { id: string } }>(
    '/v1/receipts/:id/challenge',
    { preHandler: authenticate },
    async (request) => {
      await ownReceipt(request.params.id, request);
      return challenges.status(request.params.id);
    },
  );
}
