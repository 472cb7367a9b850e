import type { Claimer } from '@stoa/dispute';
import {
  type GenerationReceiptJson,
  generateTokens,
  generationReceiptFields,
  type IntTensor,
  type Model,
  type ReceiptSigner,
  type SamplingParams,
  type SignedReceipt,
  tokenStepOf,
  type WireReceipt,
} from '@stoa/ir';
import type { Hex } from 'viem';
import { z } from 'zod';
import type { Response } from './http.js';
import type { Answered } from './on-demand-answers.js';
import { RequestError } from './tensors.js';

/** Tokens one generation request may ask for at most (each is one execution of the model). */
export const MAX_GENERATED_TOKENS = 512;

/** The generation route's body: token ids in, not text (the gateway holds the tokenizer). */
const generationRequest = z.strictObject({
  promptTokens: z.array(z.number().int().min(0)).min(1).max(4096),
  maxTokens: z.number().int().min(1).max(MAX_GENERATED_TOKENS),
  /** Temperature × 1000; 0 is greedy. */
  temperatureMilli: z.number().int().min(0).max(1_000_000).default(0),
  /** The sampler's seed, an unsigned 64-bit integer as a decimal string. */
  seed: z
    .string()
    .regex(/^\d{1,20}$/, 'must be a decimal string')
    .refine((s) => BigInt(s) < 2n ** 64n, 'must be below 2^64')
    .default('0'),
  /** Generation ends once the generated ids end with one of these id sequences. */
  stopSequences: z
    .array(z.array(z.number().int().min(0)).min(1).max(64))
    .max(4)
    .default([]),
});

export type GenerationRequest = z.infer<typeof generationRequest>;

const wire = (r: SignedReceipt): WireReceipt => ({ ...r, nonce: r.nonce.toString() });

/** The body checked against the model (token ids within its vocabulary); errors name the field. */
export function parseGenerationRequest(model: Model, body: unknown): GenerationRequest {
  const parsed = generationRequest.safeParse(body);
  if (!parsed.success) {
    const issue = parsed.error.issues[0]!;
    throw new RequestError(`${issue.path.join('.') || 'body'}: ${issue.message}`);
  }
  const vocab = model.graph.nodeTypes[model.graph.outputs[0]!]!.shape.at(-1)!;
  const ids = [...parsed.data.promptTokens, ...parsed.data.stopSequences.flat()];
  const bad = ids.findIndex((t) => t >= vocab);
  if (bad !== -1)
    throw new RequestError(`token id ${ids[bad]} is outside the model's vocabulary of ${vocab}`);
  return parsed.data;
}

export interface GenerationServiceOptions {
  readonly model: Model;
  readonly modelId: Hex;
  /** One signed, journaled execution (the node's inference path): each token's step receipt. */
  readonly execute: (inputs: IntTensor[]) => Promise<Answered>;
  readonly signer: ReceiptSigner;
  readonly claimer: Claimer;
  readonly nextNonce: () => bigint;
  /** STOA_TEST_GENERATION_FAULT: stream token `index` as another id than the one signed (only for `seed`, if set). */
  readonly streamFault?: { readonly index: number; readonly seed?: string };
}

/**
 * Generation on the node (issue 16): every token is one signed, journaled execution of the
 * model on the window so far (its step receipt, claimed and disputable like any inference),
 * the token is sampled from that execution's logits as the receipt says, and the whole is bound
 * by one generation receipt (prompt + sampling → tokens, per-token leaves) signed and journaled
 * before the final line leaves. Streamed as newline-delimited JSON: `{"token":id}` per token as
 * it is chosen, then `{"finishReason","receipt"}` (or `{"error"}` if generation fails midway).
 */
export function generationResponse(options: GenerationServiceOptions, request: GenerationRequest): Response {
  const { model, signer } = options;
  const sampling: SamplingParams = { temperatureMilli: request.temperatureMilli, seed: BigInt(request.seed) };
  return {
    status: 200,
    contentType: 'application/x-ndjson',
    stream: async (write) => {
      const receipts: SignedReceipt[] = [];
      try {
        const g = await generateTokens(
          model,
          async (window) => {
            const answered = await options.execute([window]);
            receipts.push(answered.receipt);
            return answered.outputs[0]!;
          },
          request.promptTokens,
          {
            maxTokens: request.maxTokens,
            sampling,
            stopSequences: request.stopSequences,
            onToken: (token, index) => {
              const fault = options.streamFault;
              const lies =
                fault?.index === index && (fault.seed === undefined || fault.seed === request.seed);
              const streamed = lies ? token + 1 : token;
              write(`{"token":${streamed}}\n`);
            },
          },
        );
        const tokenSteps = g.steps.map((s) => tokenStepOf(model, s));
        const generation = signer.sign({
          ...generationReceiptFields(options.modelId, request.promptTokens, sampling, tokenSteps),
          node: signer.address,
          nonce: options.nextNonce(),
        });
        const receipt: GenerationReceiptJson = {
          modelId: options.modelId,
          node: signer.address,
          promptTokens: request.promptTokens,
          tokens: g.tokens,
          sampling: {
            method: sampling.temperatureMilli === 0 ? 'greedy' : 'sample',
            temperatureMilli: sampling.temperatureMilli,
            seed: request.seed,
          },
          generation: wire(generation),
          tokenSteps,
          steps: receipts.map(wire),
        };
        // Journaled (fdatasync'd) before the receipt leaves, like every answer's.
        await options.claimer.add(generation, { generation: { ...receipt } });
        write(`${JSON.stringify({ finishReason: g.finishReason, receipt })}\n`);
      } catch (error) {
        write(`${JSON.stringify({ error: `generation failed: ${(error as Error).message}` })}\n`);
        throw error;
      }
    },
  };
}
