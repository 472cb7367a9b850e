import { mkdir } from 'node:fs/promises';
import type { Server } from 'node:http';
import { join } from 'node:path';
import {
  chainClient,
  disputeGameArtifact,
  ensureRegistration,
  readAddresses,
  receiptDomainOf,
  type StoaAddresses,
} from '@stoa/contracts';
import {
  Claimer,
  type ClaimSource,
  Defender,
  DemandAnswerer,
  executionKey,
  isOnDemand,
  ON_DEMAND_ROOT,
  Watcher,
} from '@stoa/dispute';
import {
  createHotPathBackend,
  createOnnxRuntimeBackend,
  createReceiptSigner,
  dtypeInfo,
  type ExecutionBackend,
  edgeInputsOf,
  execute,
  type IntTensor,
  type Model,
  type ReceiptSigner,
  referenceBackend,
  run,
  type SignedReceipt,
  sizeOf,
  TraceStoreFullError,
} from '@stoa/ir';
import { defineChain, type Hex } from 'viem';
import { privateKeyToAccount } from 'viem/accounts';
import { inferenceJson } from './answer-json.js';
import { loadArtifact } from './artifact.js';
import { BINARY_INPUTS_CONTENT_TYPE, decodeBinaryInputs, isBinaryInputs } from './binary-inputs.js';
import { postWhenFull } from './claim-posting.js';
import type { NodeConfig } from './config.js';
import { gatewayAuth } from './gateway-auth.js';
import { generationResponse, parseGenerationRequest } from './generation.js';
import { createHotPathThread } from './hot-path-thread.js';
import {
  type Handler,
  type HttpServer,
  parseJsonText,
  type Request,
  type Response,
  startHttp,
} from './http.js';
import { answerBatch, batchBodyLimit, splitBatch } from './infer-batch.js';
import { executionNamedBy, inputsAccess } from './inputs-access.js';
import { jsonLogger, type Logger } from './log.js';
import { Metrics } from './metrics.js';
import { loadOrCreateNodeKey } from './node-key.js';
import { type Answered, type HotPath, MAX_BATCH, onDemandAnswers } from './on-demand-answers.js';
import { RateLimiter } from './rate-limit.js';
import { redactSecrets } from './redact.js';
import { Serial } from './serial.js';
import { awaitAuthorization, ensureOwnStake } from './stake.js';
import { parseInputs, RequestError } from './tensors.js';
import { faultyBackend } from './test-fault.js';

export type HealthState = 'starting' | 'ready' | 'busy' | 'failed' | 'stopping';

/** Requests answered at once before the node reports itself busy and sheds load with 503. */
const MAX_IN_FLIGHT = 32;
/** Seconds a client is told to wait when the trace store is full: claims finalize in minutes. */
const TRACE_STORE_FULL_RETRY_S = 30;

/**
 * An upper bound on the bytes one stored execution takes (every tensor at its dtype's width,
 * plus the header), reserved before a request runs so that a full store refuses work up front.
 */
export function traceBytesBound(model: Model): number {
  const tensors = model.graph.nodeTypes.reduce(
    (sum, t) => sum + sizeOf(t.shape) * dtypeInfo(t.dtype).bytes,
    0,
  );
  return tensors + 64 * model.graph.nodeTypes.length + 4096;
}

export interface RunningNode {
  readonly url: string;
  readonly address: Hex;
  health(): { state: HealthState; reason?: string };
  /** Graceful stop: no new requests, in-flight ones finish, the pending batch is claimed. */
  stop(): Promise<void>;
}

/**
 * The standard node. It listens at once (so /health can say "starting"), then fetches and
 * verifies the model, checks it against the registry, stakes if needed, and serves. As a
 * server it answers inferences with signed receipts, claims them in batches and defends its
 * claims; as a watcher it audits other nodes' claims.
 */
export async function startNode(config: NodeConfig, logger: Logger = jsonLogger()): Promise<RunningNode> {
  const nodeKey = await loadOrCreateNodeKey(config.nodeKeyFile);
  const account = privateKeyToAccount(nodeKey.key);
  const metrics = new Metrics();
  const countRequest = metrics.counter('stoa_requests_total', 'HTTP requests by route and status.');
  const countClaims = metrics.counter('stoa_claims_posted_total', 'Batch claims posted on chain.');
  const countDisputes = metrics.counter('stoa_disputes_total', 'Disputes ended, by role and outcome.');
  const limiter = new RateLimiter(config.traceRatePerMinute);
  const serial = new Serial();
  let state: HealthState = 'starting';
  let reason: string | undefined;
  let inFlight = 0;
  let model: Model | undefined;
  let backend: (ExecutionBackend & { close?: () => Promise<void> }) | undefined;
  /** On-demand traces: exact inference that returns only the outputs (no trace, no intermediates). */
  let hotPath: HotPath | undefined;
  /** The hot path, a signed on-demand receipt and the journal, batched per event-loop turn. */
  let answerOnDemand: ((inputs: IntTensor[]) => Promise<Answered>) | undefined;
  let claimer: Claimer | undefined;
  let defender: Defender | undefined;
  let demands: DemandAnswerer | undefined;
  let watcher: Watcher | undefined;
  let addresses: StoaAddresses | undefined;
  let nonce = 0n;
  let timer: NodeJS.Timeout | undefined;
  let traceBytes = 0;
  let signer: ReceiptSigner | undefined;
  let http: HttpServer | undefined;
  let chain: ReturnType<typeof chainClient> | undefined;

  const traceStoreFull = () => claimer !== undefined && claimer.traces.freeBytes < traceBytes;
  const admitted = () => http?.inFlight() ?? 0;
  const health = () => {
    const now: HealthState =
      state === 'ready' && (admitted() >= MAX_IN_FLIGHT || traceStoreFull()) ? 'busy' : state;
    return { state: now, ...(reason ? { reason } : {}) };
  };
  const traceStoreFullResponse = (): Response => ({
    status: 503,
    body: { error: 'the trace store is full until pending claims finalize; retry later' },
    headers: { 'retry-after': String(TRACE_STORE_FULL_RETRY_S) },
  });
  metrics.gauge('stoa_in_flight_requests', 'Inference requests being answered now.', () => inFlight);
  metrics.gauge('stoa_receipts_pending', 'Receipts not yet in a claim.', () => claimer?.pendingCount ?? 0);
  metrics.gauge('stoa_disputes_open', 'Disputes this node is playing now.', () =>
    defender ? defender.open : (watcher?.openDisputes.length ?? 0),
  );

  const fromGateway = gatewayAuth(config);
  /** Why an inference request is not taken (401, 404, 503), checked before its body is parsed. */
  const refusal = async (request: Request, modelIdInPath?: string): Promise<Response | undefined> => {
    const refused = await fromGateway(request);
    if (refused) return { status: 401, body: { error: refused } };
    if (modelIdInPath && modelIdInPath.toLowerCase() !== config.modelId) {
      throw new RequestError(`this node serves model ${config.modelId}, not ${modelIdInPath}`, 404);
    }
    if (config.role !== 'server')
      throw new RequestError('this node is a watcher: it answers no inferences', 404);
    return state !== 'ready' || !model || !backend || !claimer || !signer ? notReady() : undefined;
  };
  const notReady = (): Response => ({
    status: 503,
    body: { error: `the node is ${state}${reason ? `: ${reason}` : ''}` },
    headers: { 'retry-after': '1' },
  });

  const infer = async (request: Request, modelIdInPath?: string): Promise<Response> => {
    const refused = await refusal(request, modelIdInPath);
    if (refused) return refused;
    if (!request.header('content-type')?.toLowerCase().startsWith(BINARY_INPUTS_CONTENT_TYPE))
      return inferBody(await request.json());
    const bytes = await request.bytes();
    return inferInputs((model) => decodeBinaryInputs(model, bytes));
  };

  /** Several inferences in one request (infer-batch.ts): one signed check, answers per item. */
  const inferBatch = async (request: Request, modelIdInPath?: string): Promise<Response> => {
    const refused = await refusal(request, modelIdInPath);
    if (refused) return refused;
    const items = splitBatch(await request.bytes(), request.header('content-type'), config.maxBodyBytes);
    return answerBatch(
      items,
      (item) =>
        isBinaryInputs(item)
          ? inferInputs((model) => decodeBinaryInputs(model, item))
          : inferBody(parseJsonText(item)),
      (error) =>
        logger.log('error', 'unhandled error', {
          error: redactSecrets(String((error as Error)?.stack ?? error)),
        }),
    );
  };

  /** An inference from a JSON body (tensors.ts parseInputs). */
  const inferBody = (body: unknown): Promise<Response> => inferInputs((model) => parseInputs(model, body));

  /** An inference whose inputs `read` takes from the request once the node is ready. */
  const inferInputs = async (read: (model: Model) => IntTensor[]): Promise<Response> => {
    if (state !== 'ready' || !model || !backend || !claimer || !signer) return notReady();
    const inputs = read(model);
    if (answerOnDemand) {
      const begun = started();
      try {
        return answer(model, await answerOnDemand(inputs), begun);
      } finally {
        inFlight--;
      }
    }
    // Room for this request's trace is held before it runs: nothing a pending claim needs is
    // ever evicted, so a full store sheds load instead (issue 18, finding 1).
    const releaseRoom = claimer.traces.tryReserve(traceBytes);
    if (!releaseRoom) return traceStoreFullResponse();
    const begun = started();
    try {
      const done = await execute(model, inputs, { backend, sign: { signer, nonce: ++nonce } });
      const receipt = done.receipt!;
      // The trace is written behind the journaled receipt (Claimer.add).
      await claimer.add(receipt, { model, values: done.values!, trace: done.trace! });
      return answer(model, { receipt, outputs: done.outputs }, begun);
    } catch (error) {
      if (error instanceof TraceStoreFullError) return traceStoreFullResponse();
      throw error;
    } finally {
      releaseRoom();
      inFlight--;
    }
  };

  /** One signed, journaled execution, as an inference is answered: a generated token's step. */
  const signedExecution = async (inputs: IntTensor[]): Promise<Answered> => {
    if (answerOnDemand) return answerOnDemand(inputs);
    const done = await execute(model!, inputs, { backend, sign: { signer: signer!, nonce: ++nonce } });
    await claimer!.add(done.receipt!, { model: model!, values: done.values!, trace: done.trace! });
    return { receipt: done.receipt!, outputs: done.outputs };
  };

  /** A text generation, streamed (generation.ts): one signed execution per token, one generation receipt. */
  const generateText = async (request: Request, modelIdInPath: string): Promise<Response> => {
    const refused = await refusal(request, modelIdInPath);
    if (refused) return refused;
    const body = parseGenerationRequest(model!, await request.json());
    const generation = generationResponse(
      {
        model: model!,
        modelId: config.modelId,
        execute: signedExecution,
        signer: signer!,
        claimer: claimer!,
        nextNonce: () => ++nonce,
        ...(config.testGenerationFault ? { streamFault: config.testGenerationFault } : {}),
      },
      body,
    );
    return {
      ...generation,
      stream: async (write) => {
        started();
        try {
          await generation.stream!(write);
          postIfFull();
        } finally {
          inFlight--;
        }
      },
    };
  };

  const started = () => {
    inFlight++;
    return performance.now();
  };

  /**
   * The answer to an inference, once its receipt and inputs are journaled (fdatasync'd,
   * group-committed with concurrent ones): a crash never loses it. A full batch is claimed in
   * the background: the answer does not wait for the chain.
   */
  const answer = (model: Model, answered: Answered, begun: number): Response => {
    postIfFull();
    metrics.observeLatency((performance.now() - begun) / 1000);
    // On demand, serialized while the journal committed (onDemandAnswers' `prepare`).
    return { status: 200, json: answered.prepared ?? answerJson(model, answered) };
  };
  /** An answer's body, serialized without a replacer walking every value: the answer's hot part. */
  const answerJson = (model: Model, { receipt, outputs }: Answered): string =>
    inferenceJson(
      config.modelId,
      model,
      outputs,
      receipt,
      // Presented to read this receipt's inputs back (GET /v1/traces/{traceRoot}); an
      // on-demand receipt's root is zero, so its token names the inputs it opens.
      access.tokenFor(executionKey(receipt), isOnDemand(receipt)),
    );
  /** Set once the claimer is open: one posting queued at a time, only once a batch is full. */
  let postIfFull = () => {};

  const handler: Handler = async (request) => {
    const response = await route(request);
    countRequest({ route: routeName(request.path), status: String(response.status) });
    if (request.path !== '/health' && request.path !== '/metrics') {
      logger.log(response.status >= 500 ? 'error' : 'info', 'request', {
        method: request.method,
        path: request.path,
        status: response.status,
      });
    }
    return response;
  };

  const route = async (request: Request): Promise<Response> => {
    const { method, path } = request;
    try {
      if (method === 'GET' && path === '/health') {
        return { status: health().state === 'failed' ? 503 : 200, body: { ...health(), ...describe() } };
      }
      if (method === 'GET' && path === '/metrics') {
        return { status: 200, body: metrics.render(), contentType: 'text/plain; version=0.0.4' };
      }
      if (method === 'POST' && path === '/v1/infer') return await infer(request);
      const modelRoute = /^\/v1\/models\/([^/]+)\/infer$/.exec(path);
      if (method === 'POST' && modelRoute) return await infer(request, modelRoute[1]);
      const generateRoute = /^\/v1\/models\/([^/]+)\/generate$/.exec(path);
      if (method === 'POST' && generateRoute) return await generateText(request, generateRoute[1]!);
      if (method === 'POST' && path === '/v1/infer-batch') return await inferBatch(request);
      const batchRoute = /^\/v1\/models\/([^/]+)\/infer-batch$/.exec(path);
      if (method === 'POST' && batchRoute) return await inferBatch(request, batchRoute[1]);
      const trace = /^\/v1\/traces\/(0x[0-9a-fA-F]{64})$/.exec(path);
      if (method === 'GET' && trace) {
        if (!limiter.take(request.client)) {
          return {
            status: 429,
            body: { error: 'too many trace requests; slow down' },
            headers: { 'retry-after': '60' },
          };
        }
        const named = trace[1]!.toLowerCase() as Hex;
        // The zero root of an on-demand receipt: the token names the execution.
        const key = (named === ON_DEMAND_ROOT ? executionNamedBy(request.header) : undefined) ?? named;
        const refused = await access.check(key, request.header);
        if (refused) return { status: 403, body: { error: refused } };
        return await serveTrace(key);
      }
      const claim = /^\/v1\/claims\/(\d+)\/receipts$/.exec(path);
      if (method === 'GET' && claim) {
        const receipts = claimer?.receiptsOf(BigInt(claim[1]!));
        if (!receipts) return { status: 404, body: { error: `no claim ${claim[1]} from this node` } };
        return { status: 200, body: { claimId: claim[1], receipts } };
      }
      return { status: 404, body: { error: `no route ${method} ${path}` } };
    } catch (error) {
      if (error instanceof RequestError) return { status: error.status, body: { error: error.message } };
      throw error;
    }
  };

  /** The inputs of the execution `key` names (`executionKey`), journaled or in a stored trace. */
  const serveTrace = async (key: Hex): Promise<Response> => {
    const journaled = claimer?.inputsOfExecution(key);
    const stored = !journaled && model ? await claimer?.traces.get(key.slice(2)) : undefined;
    const tensors =
      journaled?.inputs ??
      (stored && model
        ? [...model.graph.inputs].map((n) => ({ ...model!.graph.nodeTypes[n]!, data: stored.values[n]! }))
        : undefined);
    if (!model || !tensors) return { status: 404, body: { error: `no stored inputs of ${key}` } };
    const inputs = tensors.map((t) => ({ dtype: t.dtype, shape: t.shape, data: Array.from(t.data) }));
    return { status: 200, body: { modelId: journaled?.modelId ?? stored!.modelId, traceRoot: key, inputs } };
  };

  const describe = () => ({
    role: config.role,
    modelId: config.modelId,
    node: account.address,
    ...(config.operatorAddress ? { operator: config.operatorAddress } : {}),
    ...(claimer ? { pendingReceipts: claimer.pendingCount, claims: claimer.batchCount } : {}),
    ...(defender ? { openDisputes: defender.open } : {}),
    ...(watcher ? { audit: watcher.report() } : {}),
  });

  const access = inputsAccess({
    nodeKey: nodeKey.key,
    node: account.address,
    publicInputs: config.publicInputs,
    openDispute: async (disputeId) => {
      const defence = defender?.defences.get(disputeId);
      if (!defence || defence.outcome || !addresses || !chain) return undefined;
      const game = (await chain.read(addresses.disputeGame, disputeGameArtifact.abi, 'get', [disputeId])) as {
        claimant: Hex;
        challenger: Hex;
        traceRoot: Hex;
        inputDigest: Hex;
      };
      if (game.claimant.toLowerCase() !== account.address.toLowerCase()) return undefined;
      // An on-demand receipt's inputs are named by its input digest, even once a root is committed.
      const receipt = { traceRoot: defence.traceRoot, inputDigest: game.inputDigest };
      return { traceRoot: executionKey(receipt), challenger: game.challenger };
    },
  });
  http = await startHttp(
    {
      host: config.host,
      port: config.port,
      maxBodyBytes: config.maxBodyBytes,
      maxBodyBytesFor: (path) =>
        path.endsWith('/infer-batch') ? batchBodyLimit(config.maxBodyBytes) : config.maxBodyBytes,
      maxConnections: config.maxConnections,
      maxInFlight: MAX_IN_FLIGHT,
      limited: (method) => method === 'POST',
    },
    handler,
    (error) => logger.log('error', 'unhandled error', { error: String(error) }),
  );
  const server: Server = http.server;
  const bound = server.address();
  const url = `http://${config.host}:${typeof bound === 'object' && bound ? bound.port : config.port}`;
  logger.log('info', 'listening', { url, role: config.role, node: account.address, newKey: nodeKey.created });

  const boot = async () => {
    addresses = await readAddresses(config.contractsFile);
    const chainDefinition = defineChain({
      id: addresses.chainId,
      name: `stoa-${addresses.chainId}`,
      nativeCurrency: { name: 'Ether', symbol: 'ETH', decimals: 18 },
      rpcUrls: { default: { http: [config.rpcUrl] } },
    });
    const client = chainClient(config.rpcUrl, chainDefinition);
    chain = client;
    model = await loadArtifact(config.artifactUrl, config.modelId);
    const models = (id: Hex) => (id.toLowerCase() === config.modelId ? model : undefined);
    const dataDir = join(config.dataDir, account.address.toLowerCase());
    await mkdir(dataDir, { recursive: true });
    // The operator authorizes this node's own key (and sends it gas) before it serves or audits.
    if (config.operatorAddress) {
      await awaitAuthorization({
        client,
        addresses,
        node: account.address,
        operator: config.operatorAddress,
        pollMs: config.pollMs,
        waiting: (why) => {
          if (why && why !== reason) logger.log('info', 'waiting for the operator', { reason: why });
          reason = why;
        },
        signal: {
          get stopped() {
            return state === 'stopping';
          },
        },
      });
    }
    if (config.role === 'server') {
      // Every commitment of this node's own registration, not just weightsRoot (issue 18).
      await ensureRegistration(client, addresses, account, model);
      if (!config.operatorAddress) await ensureOwnStake(client, addresses, account, config.stakeWei, logger);
      claimer = await Claimer.open({
        dir: join(dataDir, 'claims'),
        client,
        account,
        addresses,
        batchSize: config.batchSize,
        maxBatchAgeMs: config.batchMaxAgeMs,
        postInline: false,
        maxTraceBytes: config.maxTraceBytes,
        models,
      });
      traceBytes = traceBytesBound(model);
      postIfFull = postWhenFull({
        claimer,
        batchSize: config.batchSize,
        serial,
        posted: (claims) => countClaims({}, claims),
        failed: (error) =>
          logger.log('warn', 'posting a claim failed; the next tick retries', {
            error: redactSecrets(error.message),
          }),
      });
      signer = await createReceiptSigner(nodeKey.key, receiptDomainOf(addresses));
      nonce = claimer.lastNonce;
      defender = await Defender.open({
        client,
        account,
        addresses,
        models,
        traces: claimer.traces,
        dir: join(dataDir, 'defender'),
        // Disputes on on-demand receipts: rebuilt from the journal on the traced backend.
        onDemand: { claimer, backend: () => backend ?? referenceBackend(model!) },
      });
      demands = new DemandAnswerer({ client, account, addresses, claimer, models });
      const fast =
        config.backend === 'onnxruntime'
          ? await createOnnxRuntimeBackend(model, {
              executionProviders: config.onnxProviders,
              spinning: false,
            })
          : referenceBackend(model);
      await selfCheck(model, fast);
      backend = config.testFault ? faultyBackend(model, fast, config.testFault.step) : fast;
      if (config.testFault)
        logger.log('warn', 'STOA_TEST_FAULT is set: this node answers dishonestly', config.testFault);
      if (config.traces === 'on-demand') {
        hotPath = await openHotPath(model, config, backend, logger);
        answerOnDemand = onDemandAnswers({
          model,
          hotPath,
          signer,
          claimer,
          nextNonce: () => ++nonce,
          maxBatch: MAX_BATCH,
          prepare: (answered) => answerJson(model!, answered),
        });
      }
    } else {
      watcher = await Watcher.open({
        client,
        account,
        addresses,
        models,
        source: httpClaimSource(config.watchNodes, model),
        sampleRate: config.watchSampleRate,
        seed: config.watchSeed,
        dir: join(dataDir, 'watcher'),
      });
    }
    state = 'ready';
    logger.log('info', 'ready', describe());
  };

  const tick = async () => {
    if (state !== 'ready') return;
    try {
      if (claimer) {
        await serial.run(async () => {
          const before = claimer!.batchCount;
          await claimer!.tick();
          countClaims({}, claimer!.batchCount - before);
        });
      }
      // One block number for both pollers: each read its own before, one RPC a tick more, and an
      // RPC through viem costs more CPU than the rest of an idle tick (docs/decisions.md, session 29).
      const latest = demands || defender ? await chain!.reader.getBlockNumber() : undefined;
      // Demands on chain ("reveal or lose", issue 18): may post a batch, so serialised with the claimer.
      if (demands) await serial.run(() => demands!.poll(latest));
      if (defender) {
        const outcomes = () => [...defender!.defences.values()].filter((d) => d.outcome).length;
        const before = outcomes();
        await defender.poll(latest);
        for (const d of [...defender.defences.values()].slice(before))
          if (d.outcome) countDisputes({ role: 'claimant', outcome: d.outcome });
      }
      if (watcher) {
        const before = watcher.report();
        await watcher.poll();
        const after = watcher.report();
        countDisputes({ role: 'challenger', outcome: 'won' }, after.disputesWon - before.disputesWon);
        countDisputes({ role: 'challenger', outcome: 'lost' }, after.disputesLost - before.disputesLost);
      }
    } catch (error) {
      logger.log('warn', 'background work failed; retrying', {
        error: redactSecrets(String((error as Error).message)),
      });
    } finally {
      timer = setTimeout(() => void tick(), config.pollMs);
    }
  };

  boot().then(
    () => {
      timer = setTimeout(() => void tick(), config.pollMs);
    },
    (error: Error) => {
      state = 'failed';
      // Errors of the chain client quote the RPC URL, API key and all: never show it.
      reason = redactSecrets(error.message);
      logger.log('error', 'start-up failed', { reason });
    },
  );

  return {
    url,
    address: account.address,
    health,
    async stop() {
      state = 'stopping';
      if (timer) clearTimeout(timer);
      await new Promise<void>((resolve) => server.close(() => resolve()));
      while (inFlight > 0) await new Promise((r) => setTimeout(r, 10));
      if (claimer) await serial.run(() => claimer!.flush());
      await claimer?.close();
      await defender?.close();
      await watcher?.close();
      await backend?.close?.();
      await hotPath?.close?.();
      logger.log('info', 'stopped', describe());
    },
  };
}

/**
 * The hot path of an on-demand node: onnxruntime returning only the outputs, checked against
 * the reference on the probe. The reference backend runs the interpreter without keeping
 * intermediates; a node with a test fault answers from its faulty traced backend, so that what
 * it rebuilds in a dispute is what it signed.
 */
async function openHotPath(
  model: Model,
  config: NodeConfig,
  traced: ExecutionBackend,
  logger: Logger,
): Promise<HotPath> {
  if (config.testFault) return { run: async (inputs) => (await traced.run(inputs)).outputs };
  if (config.backend === 'reference') return { run: async (inputs) => run(model, inputs).outputs };
  const options = { executionProviders: config.onnxProviders, spinning: false };
  const open = (where: 'thread' | 'inline') =>
    where === 'thread' ? createHotPathThread(model, options) : createHotPathBackend(model, options);
  const probe = probeInputs(model);
  const reference = run(model, probe).outputs;
  if (config.hotPathThread !== 'auto') {
    const hot = await open(config.hotPathThread);
    await checkHotPath(hot, probe, reference);
    logger.log('info', 'hot path', { where: config.hotPathThread, setting: config.hotPathThread });
    return hot;
  }
  // auto: timed inline, and moved to its thread only if a probe inference is that slow.
  const inline = await open('inline');
  await checkHotPath(inline, probe, reference);
  const probeMs = await medianRunMs(inline, probe);
  const where = probeMs >= THREAD_FROM_MS ? 'thread' : 'inline';
  logger.log('info', 'hot path', { where, probeMs: Number(probeMs.toFixed(3)), setting: 'auto' });
  if (where === 'inline') return inline;
  await inline.close();
  const thread = await open('thread');
  await checkHotPath(thread, probe, reference);
  return thread;
}

/**
 * From this probe inference time up, `auto` runs the hot path on its own thread. Inline,
 * onnxruntime-node runs every run of a micro-batch in one check phase of the event loop: 32 runs
 * of 50 ms hold it for 1.6 s, past a liveness probe's usual 1 s timeout. Below that the thread
 * is not worth it on a small machine: at 9 ms an inference on 2 cores it answered /health in 3–4
 * ms (p50) instead of 24–26 but served 8–15 % fewer inferences, and an MNIST inference (~30 µs)
 * costs less than the hand-off (~20–50 µs of CPU) (BENCHMARKS.md, "The hot path on a worker thread").
 */
const THREAD_FROM_MS = 50;

async function checkHotPath(hot: HotPath, probe: IntTensor[], reference: IntTensor[]): Promise<void> {
  const fast = await hot.run(probe);
  fast.forEach((t, i) => {
    if (t.data.length !== reference[i]!.data.length || t.data.some((v, k) => v !== reference[i]!.data[k]))
      throw new Error(`the hot-path backend is not bit-identical to the reference at output ${i}`);
  });
}

/** The median of a few warm runs of the probe, in ms. */
async function medianRunMs(hot: HotPath, probe: IntTensor[]): Promise<number> {
  const times: number[] = [];
  for (let i = 0; i < 5; i++) {
    const started = performance.now();
    await hot.run(probe);
    times.push(performance.now() - started);
  }
  return times.sort((a, b) => a - b)[2]!;
}

/**
 * A deterministic input spanning each input's range: its dtype's, or the rows of the table an
 * input indexes (a Gather's token ids: any other id is refused, not computed).
 */
function probeInputs(model: Model): IntTensor[] {
  const { graph } = model;
  const gatherRows = (n: number) =>
    graph.edgeOps.flatMap((op, e) => {
      const [table, indices] = edgeInputsOf(graph, e);
      return op === 'Gather' && indices === n ? [graph.nodeTypes[table!]!.shape[0]!] : [];
    });
  return [...graph.inputs].map((n, i) => {
    const type = graph.nodeTypes[n]!;
    const rows = gatherRows(n);
    const { min, max } = rows.length > 0 ? { min: 0, max: Math.min(...rows) - 1 } : dtypeInfo(type.dtype);
    const data = Int32Array.from(
      { length: sizeOf(type.shape) },
      (_, k) => min + ((k * 7919 + i * 104_729) % (max - min + 1)),
    );
    return { dtype: type.dtype, shape: type.shape, data };
  });
}

/**
 * Refuses to serve on a backend (a GPU provider, say) that does not compute every tensor of a
 * probe input bit for bit like the reference interpreter: its receipts would lose disputes.
 */
async function selfCheck(model: Model, backend: ExecutionBackend): Promise<void> {
  const probe = probeInputs(model);
  const fast = await backend.run(probe);
  const reference = await referenceBackend(model).run(probe);
  model.graph.nodeTypes.forEach((_, n) => {
    const a = fast.values[n];
    const b = reference.values[n];
    if (a && b && (a.length !== b.length || a.some((v, k) => v !== b[k]))) {
      throw new Error(
        `the execution backend is not bit-identical to the reference at node ${n} ('${model.graph.nodeNames[n]}')`,
      );
    }
  });
}

function routeName(path: string): string {
  if (path.endsWith('/infer-batch')) return '/v1/infer-batch';
  if (path.startsWith('/v1/traces/')) return '/v1/traces';
  if (path.startsWith('/v1/claims/')) return '/v1/claims';
  if (path.endsWith('/generate')) return '/v1/models/generate';
  if (path.startsWith('/v1/models/')) return '/v1/models/infer';
  return ['/health', '/metrics', '/v1/infer'].includes(path) ? path : 'other';
}

/** A watcher's view of other nodes' claims, through their HTTP APIs. */
export function httpClaimSource(nodes: readonly string[], model: Model): ClaimSource {
  const get = async (path: string) => {
    for (const base of nodes) {
      try {
        const response = await fetch(`${base}${path}`);
        if (response.ok) return (await response.json()) as Record<string, unknown>;
      } catch {
        // try the next node
      }
    }
    return undefined;
  };
  return {
    async receipts(claimId) {
      const body = await get(`/v1/claims/${claimId}/receipts`);
      return (body?.receipts as (Omit<SignedReceipt, 'nonce'> & { nonce: string })[] | undefined)?.map(
        (r) => ({
          ...r,
          nonce: BigInt(r.nonce),
        }),
      );
    },
    async inputs(receipt) {
      const body = await get(`/v1/traces/${executionKey(receipt)}`);
      const inputs = body?.inputs as
        | { dtype: IntTensor['dtype']; shape: number[]; data: number[] }[]
        | undefined;
      if (!inputs || inputs.length !== model.graph.inputs.length) return undefined;
      return inputs.map((t) => ({ dtype: t.dtype, shape: t.shape, data: Int32Array.from(t.data) }));
    },
  };
}
