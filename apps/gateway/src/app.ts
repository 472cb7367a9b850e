import { randomUUID } from 'node:crypto';
import { receiptDomainOf } from '@stoa/contracts';
import { GATEWAY_SIGNATURE_HEADER } from '@stoa/ir';
import { gatewayCredential, gatewaySigningKey, signGatewayRequest, usageTotals } from '@stoa/sdk';
import Fastify, { type FastifyInstance, type FastifyReply, type FastifyRequest } from 'fastify';
import { FailureThrottle } from './auth/failures.js';
import { KeyCache } from './auth/key-cache.js';
import { KeyAuthenticator, type KeyInfo } from './auth/keys.js';
import { Errors, GatewayError } from './errors.js';
import { chargeIfLimited } from './limits/charge.js';
import { InstanceRegistry } from './limits/instances.js';
import { TokenBuckets } from './limits/token-bucket.js';
import { Meter } from './metering/meter.js';
import { generationOnNodes } from './openai/on-nodes.js';
import { openAiRoutes } from './openai/routes.js';
import type { TextGenerator } from './openai/text-generator.js';
import type { GatewayOptions } from './options.js';
import { clientChallengeRoutes } from './receipts/challenge-routes.js';
import { receiptChecker } from './receipts/check.js';
import { parseClientChallenge } from './receipts/client-challenge-request.js';
import { ClientChallenges } from './receipts/client-challenges.js';
import { StakeCheck } from './receipts/stake.js';
import { voucherSigner } from './receipts/voucher.js';
import { Catalog, type DeployedModel } from './routing/catalog.js';
import { CREDENTIAL_HEADER, forward, type NodeAnswer } from './routing/forward.js';
import { SpotChecker } from './spot-check.js';
import { GatewayStore } from './store/gateway-store.js';

declare module 'fastify' {
  interface FastifyRequest {
    apiKey: KeyInfo | null;
  }
}

/** A key with no limits set still gets one: a runaway client cannot take the whole gateway. */
const DEFAULT_RATE = 1_000;
/** A request id as the gateway makes them (Fastify genReqId: randomUUID). */
const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/;

export interface Gateway {
  readonly app: FastifyInstance;
  readonly catalog: Catalog;
  readonly meter: Meter;
  readonly spotChecks: SpotChecker;
  /** Challenges paid from clients' deposits, played by this gateway's challenger key. */
  readonly clientChallenges: ClientChallenges;
  /** Usage batches replayed from a previous run's spool at start. */
  readonly replayed: number;
  stop(): Promise<void>;
}

/** Builds the gateway (routes, auth, limits, metering, routing); `startGateway` also listens. */
export async function buildGateway(options: GatewayOptions): Promise<Gateway> {
  const log = options.log ?? (() => undefined);
  const instanceId = options.instanceId ?? randomUUID();
  const store = new GatewayStore(options.db);
  const keyCache = new KeyCache(options.db, () => store.keyVersions(), options.keyPollMs);
  const keys = new KeyAuthenticator(keyCache, options.keySecret);
  const failures = new FailureThrottle();
  const buckets = new TokenBuckets();
  const instances = new InstanceRegistry(store, instanceId);
  const catalog = new Catalog(() => store.liveDeployments(), {
    batchesInFlight: options.batchesInFlight ?? 2,
  });
  const meter = new Meter(store, options.spoolDir, instanceId, options.flushMs, (error) =>
    log('warn', 'writing usage failed; retrying', { error: String((error as Error).message) }),
  );
  const domain = receiptDomainOf(options.chain.addresses);
  const checkReceipt = await receiptChecker(
    domain,
    new StakeCheck(options.chain.client, options.chain.addresses),
  );
  const vouch = options.voucher ? voucherSigner(options.voucher, domain) : undefined;
  const credentials = new Map<string, string>();
  const credentialOf = (deploymentId: string) => {
    const known = credentials.get(deploymentId);
    if (known) return known;
    const derived = gatewayCredential(options.gatewaySecret, deploymentId);
    credentials.set(deploymentId, derived);
    return derived;
  };
  const signingKey = gatewaySigningKey(options.gatewaySecret);
  const timeoutMs = options.upstreamTimeoutMs ?? 10_000;
  const signFor = (model: DeployedModel) => (path: string, bytes: Buffer) =>
    signGatewayRequest(signingKey, { method: 'POST', path, deploymentId: model.deploymentId, body: bytes });
  const send = (model: DeployedModel, body: Buffer, otherThanNetwork?: string) =>
    forward(model, body, {
      credential: credentialOf(model.deploymentId),
      sign: signFor(model),
      timeoutMs,
      checkReceipt: (receipt, replica) => checkReceipt(model, receipt, replica),
      onFailure: (replica, why) =>
        log('warn', 'replica failed; trying another', { replica: replica.id, why }),
      ...(otherThanNetwork ? { otherThanNetwork } : {}),
    });
  const spotChecks = new SpotChecker(options, send, log);
  const clientChallenges = new ClientChallenges(options, log, (modelId) => catalog.find(modelId));

  await instances.start();
  await keyCache.start();
  await catalog.start();
  await clientChallenges.startResuming();
  const replayed = await meter.start();
  if (replayed > 0) log('info', 'replayed usage left by an earlier run', { batches: replayed });

  const maxBodyBytes = options.maxBodyBytes ?? 1 << 20;
  const app = Fastify({ logger: false, bodyLimit: maxBodyBytes, genReqId: () => randomUUID() });
  app.decorateRequest('apiKey', null);
  // Bodies go to the node as they came: parsed there, not twice.
  app.addContentTypeParser('application/json', { parseAs: 'buffer' }, (_req, body, done) => done(null, body));
  // Set on arrival (a callback hook, no promise per request): every answer, errors included, has it.
  app.addHook('onRequest', (request, reply, done) => {
    reply.header('x-request-id', request.id);
    done();
  });
  app.setNotFoundHandler((request, reply) =>
    sendError(reply, Errors.routeNotFound(request.method, request.url)),
  );
  app.setErrorHandler((error: Error & { statusCode?: number; code?: string }, _request, reply) => {
    if (error instanceof GatewayError) return sendError(reply, error);
    if (error.code === 'FST_ERR_CTP_BODY_TOO_LARGE') return sendError(reply, Errors.tooLarge(maxBodyBytes));
    if (error.statusCode && error.statusCode < 500) return sendError(reply, Errors.badRequest(error.message));
    log('error', 'unhandled error', { error: String(error.stack ?? error) });
    return sendError(
      reply,
      new GatewayError(500, 'server_error', 'internal_error', 'internal error; see the gateway log'),
    );
  });

  const authenticate = async (request: FastifyRequest, reply: FastifyReply) => {
    const waitS = failures.blockedFor(request.ip);
    if (waitS > 0) throw Errors.authThrottled(waitS);
    const key = await keys.authenticate(request.headers.authorization);
    if (key instanceof GatewayError) {
      failures.fail(request.ip);
      throw key;
    }
    request.apiKey = key;
    const rate = key.rateLimitPerSec ?? DEFAULT_RATE;
    const state = buckets.take(key.id, rate, key.burst ?? Math.max(1, rate), instances.count);
    const headers = {
      'x-ratelimit-limit': String(state.limit),
      'x-ratelimit-remaining': String(state.remaining),
      'x-ratelimit-reset': String(state.resetS),
    };
    reply.headers(headers);
    if (!state.allowed) throw Errors.rateLimited(state.resetS, headers);
  };

  const textGenerator =
    options.textGenerator ??
    (options.tokenizers &&
      generationOnNodes({
        models: () => catalog.models(),
        find: (name) => catalog.find(name),
        tokenizers: options.tokenizers,
        authHeaders: (model, path, body) => ({
          [CREDENTIAL_HEADER]: credentialOf(model.deploymentId),
          [GATEWAY_SIGNATURE_HEADER]: signFor(model)(path, body),
        }),
        timeoutMs,
        checkReceipt,
        meter,
        costWei: options.pricePerRequestWei ?? 0n,
        onFailure: (replica, why) =>
          log('warn', 'replica failed; trying another', { replica: replica.id, why }),
      }));
  // Text routes charge and meter like inference: the key check, then, once the request names a
  // model this gateway generates with and the key may call, the per-request charge. Without a
  // text model they still answer, in OpenAI's shape: no such model, or not a text one.
  await app.register(openAiRoutes, {
    generator: textGenerator ?? NO_TEXT_MODELS,
    preHandler: authenticate,
    servesInference: (name) => catalog.find(name) !== undefined,
    admit: async (request, name) => {
      const model = catalog.find(name);
      if (model && !allowed(request.apiKey!, model)) throw Errors.modelNotAllowed(name);
      await chargeIfLimited(options, request.apiKey!);
    },
  });
  app.get('/health', async () => ({ state: 'ready', instance: instanceId, models: catalog.models().length }));

  app.get('/v1/models', { preHandler: authenticate }, async (request) => ({
    object: 'list',
    data: catalog
      .models()
      .filter((m) => allowed(request.apiKey!, m))
      .map((m) => ({
        id: m.name,
        object: 'model',
        modelId: m.modelId,
        deploymentId: m.deploymentId,
        replicas: m.replicas.map((r) => ({ network: r.network, healthy: r.healthy, breaker: r.breaker })),
      })),
  }));

  app.post<{ Params: { model: string }; Querystring: { verify?: string } }>(
    '/v1/models/:model/infer',
    { preHandler: authenticate },
    async (request, reply) => {
      const key = request.apiKey!;
      const model = catalog.find(request.params.model);
      if (!model) throw Errors.modelNotFound(request.params.model);
      if (!allowed(key, model)) throw Errors.modelNotAllowed(request.params.model);
      if (!Buffer.isBuffer(request.body)) throw Errors.badRequest('the body must be application/json');
      const replicate = replicationAsked(request.headers['x-stoa-verify'], request.query.verify);
      const charging = chargeIfLimited(options, key);
      if (charging) await charging; // most keys have no limit: no promise to wait for
      const started = performance.now();
      let answer: NodeAnswer;
      try {
        answer = await send(model, request.body);
      } catch (error) {
        if (error instanceof GatewayError && error.status === 503)
          meterFailure(request.id, key, model, started);
        throw error;
      }
      const verification = replicate
        ? await spotChecks.replicate(request.id, model, request.body, answer)
        : undefined;
      // The fee escrow pays the node for this receipt only with the gateway's voucher.
      const voucher = vouch && answer.body.receipt ? await vouch(answer.body.receipt) : undefined;
      // Spooled with the other answers of this batch in one write, before this answer leaves.
      const spooled = meter.recordInTurn({
        requestId: request.id,
        keyId: key.id,
        deploymentId: model.deploymentId,
        modelId: model.modelId,
        network: answer.replica.network,
        node: answer.replica.node ?? '',
        replicaUrl: answer.replica.url,
        ok: true,
        latencyMs: performance.now() - started,
        computeOps: answer.body.receipt?.steps ?? 0,
        costWei: String(options.pricePerRequestWei ?? 0n),
        receipt: JSON.stringify({
          receipt: answer.body.receipt,
          inputsToken: answer.body.inputsToken,
          voucher,
        }),
        at: Date.now(),
      });
      if (!replicate) spotChecks.maybe(request.id, model, request.body, answer);
      reply.header('x-stoa-network', answer.replica.network);
      await spooled;
      return {
        id: request.id,
        model: model.name,
        modelId: model.modelId,
        outputs: answer.body.outputs,
        receipt: answer.body.receipt,
        ...(voucher ? { voucher } : {}),
        network: answer.replica.network,
        ...(verification ? { verification } : {}),
      };
    },
  );

  const meterFailure = (requestId: string, key: KeyInfo, model: DeployedModel, started: number) =>
    meter.record({
      requestId,
      keyId: key.id,
      deploymentId: model.deploymentId,
      modelId: model.modelId,
      network: '',
      node: '',
      replicaUrl: '',
      ok: false,
      latencyMs: performance.now() - started,
      computeOps: 0,
      costWei: '0',
      at: Date.now(),
    });

  app.get<{ Params: { id: string } }>('/v1/receipts/:id', { preHandler: authenticate }, async (request) => {
    const found = await findReceipt(request.params.id, request.apiKey!);
    return {
      id: request.params.id,
      modelId: found.modelId,
      network: found.network,
      node: found.node,
      ...JSON.parse(found.receipt),
    };
  });

  app.post<{ Params: { id: string } }>(
    '/v1/receipts/:id/challenge',
    { preHandler: authenticate },
    async (request) => {
      const found = await findReceipt(request.params.id, request.apiKey!);
      const model = catalog.find(found.modelId);
      if (!model) throw Errors.modelNotFound(found.modelId);
      const bonded = parseClientChallenge(request.body);
      if (bonded) return clientChallenges.start(request.params.id, model, found, bonded);
      return spotChecks.challenge(request.params.id, model, found);
    },
  );
  clientChallengeRoutes(app, {
    challenges: clientChallenges,
    authenticate,
    ownReceipt: (id, request) => findReceipt(id, request.apiKey!),
  });

  app.get<{ Querystring: { since?: string } }>('/v1/usage', { preHandler: authenticate }, async (request) => {
    const since = request.query.since ? new Date(request.query.since) : undefined;
    if (since && Number.isNaN(since.getTime()))
      throw Errors.badRequest(`since: not a date: '${request.query.since}'`);
    await meter.flush();
    return {
      object: 'list',
      data: await usageTotals(options.db, { keyId: request.apiKey!.id, ...(since ? { since } : {}) }),
    };
  });

  /**
   * The receipt of request `id`, answered to `key` by this instance or another. Another instance
   * writes its receipts with its usage, every flush period: an id this instance has not seen is
   * looked up again for up to four periods before it is a 404, so that a client behind a load
   * balancer can challenge (or fetch) an answer at once on whichever instance it reaches.
   */
  const findReceipt = async (id: string, key: KeyInfo) => {
    const deadline = Date.now() + (UUID.test(id) ? 4 * (options.flushMs ?? 500) : 0);
    for (;;) {
      const recent = meter.recentReceipt(id);
      const row = recent
        ? { ...recent, receipt: recent.receipt! }
        : await options.db.gatewayReceipt.findUnique({ where: { id } });
      if (row && row.keyId === key.id) return row;
      if (row || Date.now() >= deadline) throw Errors.receiptNotFound(id);
      await new Promise((r) => setTimeout(r, 100));
    }
  };

  return {
    app,
    catalog,
    meter,
    spotChecks,
    clientChallenges,
    replayed,
    async stop() {
      await app.close();
      await spotChecks.idle();
      await clientChallenges.stop();
      await meter.stop();
      await catalog.stop();
      await instances.stop();
      keyCache.stop();
      await store.close();
    },
  };
}

function allowed(key: KeyInfo, model: DeployedModel): boolean {
  return (
    key.allowedModels.length === 0 ||
    key.allowedModels.some((m) => m === model.name || m.toLowerCase() === model.modelId)
  );
}

function sendError(reply: FastifyReply, error: GatewayError) {
  return reply.status(error.status).headers(error.headers).send(error.body());
}

/**
 * Whether the request asks to be verified by replication (`x-stoa-verify: replicate`, or
 * `?verify=replicate`). Any other value is refused: a mission-critical call whose option is
 * misspelt must not be answered unverified.
 */
function replicationAsked(header: string | string[] | undefined, query: string | undefined): boolean {
  const [name, value] = header !== undefined ? ['x-stoa-verify', header] : ['verify', query];
  if (value === undefined) return false;
  if (value === 'replicate') return true;
  throw Errors.badRequest(
    `${name}: the only verification asked per request is "replicate", got ${JSON.stringify(value)}`,
  );
}

/** The text generator of a gateway configured with no text model: it serves none. */
const NO_TEXT_MODELS: TextGenerator = {
  models: () => [],
  generate: () => Promise.reject(new Error('this gateway serves no text-generation model')),
};
