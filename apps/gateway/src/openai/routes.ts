import { randomInt, randomUUID } from 'node:crypto';
import type { FastifyInstance, FastifyReply, FastifyRequest, preHandlerAsyncHookHandler } from 'fastify';
import { GatewayError } from '../errors.js';
import {
  type ChatRequest,
  type CompletionRequest,
  chatPrompt,
  chatRequest,
  completionRequest,
  DEFAULT_MAX_TOKENS,
  invalidRequest,
  stopList,
} from './requests.js';
import type { GeneratedText, TextGenerator } from './text-generator.js';

export interface OpenAiRoutesOptions {
  readonly generator: TextGenerator;
  /** The gateway's key check, run before each route (none in a bare test server). */
  readonly preHandler?: preHandlerAsyncHookHandler;
  /**
   * Whether `name` is a model deployed for inference (`POST /v1/models/{name}/infer`): a text
   * route asked for it says so instead of that it does not exist.
   */
  readonly servesInference?: (name: string) => boolean;
  /**
   * Admits a well-formed request for a model it serves, before generation: the key's model
   * list, then its monthly quota and spend cap (the gateway's charge). A request refused
   * earlier, for a malformed body or an unknown model, is not charged, as on the inference route.
   */
  readonly admit?: (request: FastifyRequest, model: string) => Promise<void>;
}

type Kind = 'chat' | 'completion';

const errorBody = (message: string, param: string | null, code: string | null = null) => ({
  error: { message, type: 'invalid_request_error', param, code },
});

/** The gateway parses JSON bodies as raw buffers (it forwards them to nodes unchanged). */
function bodyJson(body: unknown): unknown {
  if (!Buffer.isBuffer(body)) return body;
  try {
    return JSON.parse(body.toString('utf8'));
  } catch (error) {
    return error as Error;
  }
}

const usageOf = (g: GeneratedText) => ({
  prompt_tokens: g.promptTokens,
  completion_tokens: g.completionTokens,
  total_tokens: g.promptTokens + g.completionTokens,
});

const receiptHeader = (receipt: unknown) => Buffer.from(JSON.stringify(receipt)).toString('base64url');

/** One streamed piece, in the shape of the route's chunk object. */
function chunk(
  kind: Kind,
  id: string,
  model: string,
  created: number,
  text: string | null,
  finish: string | null,
) {
  if (kind === 'completion')
    return {
      id,
      object: 'text_completion',
      created,
      model,
      choices: [{ index: 0, text: text ?? '', logprobs: null, finish_reason: finish }],
    };
  const delta = text === null ? {} : { role: 'assistant', content: text };
  return {
    id,
    object: 'chat.completion.chunk',
    created,
    model,
    choices: [{ index: 0, delta, logprobs: null, finish_reason: finish }],
  };
}

function whole(kind: Kind, id: string, model: string, created: number, g: GeneratedText) {
  const choice =
    kind === 'completion'
      ? { index: 0, text: g.text, logprobs: null, finish_reason: g.finishReason }
      : {
          index: 0,
          message: { role: 'assistant', content: g.text, refusal: null },
          logprobs: null,
          finish_reason: g.finishReason,
        };
  return {
    id,
    object: kind === 'completion' ? 'text_completion' : 'chat.completion',
    created,
    model,
    choices: [choice],
    usage: usageOf(g),
    stoa_receipt: g.receipt,
  };
}

/**
 * `POST /v1/completions` and `POST /v1/chat/completions` in OpenAI's request and response
 * shapes, streamed as server-sent events when `stream` is true. Decoding is greedy unless the
 * request sets a temperature above 0 (unlike OpenAI, whose default is 1); sampling draws from
 * the request's `seed`, or from one the route picks, and the receipt commits to both, so a
 * sampled answer is as verifiable as a greedy one. Usage counts are tokens of the
 * model's tokenizer; the receipt comes in the final message (`stoa_receipt`) and, unstreamed,
 * in the `x-stoa-receipt` header.
 */
/** A seed for a sampled request that names none: random, below 2^53 so JSON keeps it exact. */
function randomSeed(): number {
  return randomInt(2 ** 47) * 64 + randomInt(64);
}

/** The request id and, behind the gateway's key check, the API key's id and model list. */
function callerOf(request: FastifyRequest) {
  const key = (request as { apiKey?: { id: string; allowedModels: readonly string[] } | null }).apiKey;
  return { requestId: request.id, ...(key ? { keyId: key.id, allowedModels: key.allowedModels } : {}) };
}

export async function openAiRoutes(app: FastifyInstance, options: OpenAiRoutesOptions): Promise<void> {
  const { generator } = options;
  const route = (kind: Kind) => async (request: FastifyRequest, reply: FastifyReply) => {
    const json = bodyJson(request.body);
    if (json instanceof Error)
      return reply.code(400).send(errorBody(`the body is not JSON: ${json.message}`, null));
    const parsed = (kind === 'chat' ? chatRequest : completionRequest).safeParse(json);
    if (!parsed.success) return reply.code(400).send(invalidRequest(parsed.error));
    const body = parsed.data as ChatRequest | CompletionRequest;
    if (!generator.models().includes(body.model)) {
      const why = options.servesInference?.(body.model)
        ? `The model '${body.model}' is not a text-generation model: send its inputs to POST /v1/models/${body.model}/infer`
        : `The model '${body.model}' does not exist`;
      return reply.code(404).send(errorBody(why, 'model', 'model_not_found'));
    }
    if (body.seed != null && (body.seed < 0 || !Number.isSafeInteger(body.seed)))
      return reply.code(400).send(errorBody('seed must be an integer from 0 to 2^53 - 1', 'seed'));
    await options.admit?.(request, body.model);
    const prompt =
      kind === 'chat' ? chatPrompt((body as ChatRequest).messages) : (body as CompletionRequest).prompt;
    const generation = {
      model: body.model,
      prompt,
      maxTokens: body.max_completion_tokens ?? body.max_tokens ?? DEFAULT_MAX_TOKENS,
      stop: stopList(body.stop),
      temperature: body.temperature ?? 0,
      seed: body.seed ?? randomSeed(),
      stream: body.stream === true,
      caller: callerOf(request),
    };
    const id = `${kind === 'chat' ? 'chatcmpl' : 'cmpl'}-${randomUUID()}`;
    const created = Math.floor(Date.now() / 1000);
    if (!body.stream) {
      const g = await generator.generate(generation, () => undefined);
      reply.header('x-stoa-receipt', receiptHeader(g.receipt));
      return whole(kind, id, body.model, created, g);
    }
    reply.hijack();
    const raw = reply.raw;
    raw.writeHead(200, {
      'content-type': 'text/event-stream',
      'cache-control': 'no-cache',
      connection: 'keep-alive',
    });
    const send = (data: unknown) => raw.write(`data: ${JSON.stringify(data)}\n\n`);
    try {
      const g = await generator.generate(generation, (piece) => {
        send(chunk(kind, id, body.model, created, piece, null));
      });
      send({
        ...chunk(kind, id, body.model, created, null, g.finishReason),
        usage: usageOf(g),
        stoa_receipt: g.receipt,
      });
    } catch (error) {
      request.log.error({ err: error }, 'generation failed while streaming');
      // A gateway error (no replica, tokens no receipt binds) says why; anything else does not.
      const known = error instanceof GatewayError ? error.body().error : undefined;
      send({
        error: {
          message: known?.message ?? 'generation failed',
          type: known?.type ?? 'server_error',
          param: null,
          code: known?.code ?? null,
        },
      });
    }
    raw.end('data: [DONE]\n\n');
  };
  const routeOptions = options.preHandler ? { preHandler: options.preHandler } : {};
  app.post('/v1/completions', routeOptions, route('completion'));
  app.post('/v1/chat/completions', routeOptions, route('chat'));
}
