import type { SamplingParams } from '@stoa/ir';
import {
  type ExecutionBackend,
  execute,
  type GenerationReceiptJson,
  generationReceiptFields,
  type Model,
  modelId,
  type ReceiptSigner,
  type SignedReceipt,
  type TokenStep,
  toHex,
  type WireReceipt,
} from '@stoa/ir';
import type { Tokenizer } from './data/tokenizer.js';
import { generate } from './generate.js';

export interface GptServiceOptions {
  /** The model name clients ask for. */
  readonly name: string;
  readonly model: Model;
  /** Computes every node (a trace needs them): the reference or the traced onnxruntime backend. */
  readonly backend: ExecutionBackend;
  readonly tokenizer: Tokenizer;
  readonly signer: ReceiptSigner;
  readonly nextNonce: () => bigint;
}

type JsonReceipt = WireReceipt;

/** What a generation's receipt binds (libs/ir `GenerationReceiptJson`). */
export type GenerationReceipt = GenerationReceiptJson;

export interface GptGenerationRequest {
  readonly prompt: string;
  readonly maxTokens: number;
  readonly stop: readonly string[];
  /** 0 (or absent) is greedy; above 0, seeded sampling at this temperature (rounded to thousandths). */
  readonly temperature?: number;
  readonly seed?: number;
}

const json = (r: SignedReceipt): JsonReceipt => ({ ...r, nonce: r.nonce.toString() });

/** The sampler's parameters for a request: temperature in thousandths, seed as an unsigned 64-bit integer. */
export function samplingOf(request: Pick<GptGenerationRequest, 'temperature' | 'seed'>): SamplingParams {
  const temperatureMilli = Math.round((request.temperature ?? 0) * 1000);
  if (!(temperatureMilli >= 0)) throw new RangeError(`temperature must be ≥ 0, got ${request.temperature}`);
  return { temperatureMilli, seed: BigInt.asUintN(64, BigInt(request.seed ?? 0)) };
}

/** Text generation with one traced, signed execution per token (an OpenAI route's generator). */
export function gptTextGenerator(options: GptServiceOptions) {
  const { model, tokenizer, signer } = options;
  const id = toHex(modelId(model));
  return {
    models: () => [options.name],
    async generate(request: GptGenerationRequest, onText: (piece: string) => void | Promise<void>) {
      const sampling = samplingOf(request);
      const receipts: SignedReceipt[] = [];
      const signing: ExecutionBackend = {
        async run(inputs) {
          const e = await execute(model, inputs, {
            backend: options.backend,
            sign: { signer, nonce: options.nextNonce() },
          });
          receipts.push(e.receipt!);
          return { outputs: e.outputs, values: e.values! };
        },
      };
      const g = await generate(model, signing, tokenizer, request.prompt, {
        maxTokens: request.maxTokens,
        stop: request.stop,
        sampling,
        onToken: (_token, piece) => onText(piece),
      });
      const promptTokens = Array.from(tokenizer.encode(request.prompt));
      const tokenSteps: TokenStep[] = g.steps.map((s, i) => ({
        inputDigest: receipts[i]!.inputDigest,
        outputDigest: receipts[i]!.outputDigest,
        position: s.position,
        token: s.token,
      }));
      const generation = signer.sign({
        ...generationReceiptFields(id, promptTokens, sampling, tokenSteps),
        node: signer.address,
        nonce: options.nextNonce(),
      });
      const receipt: GenerationReceipt = {
        modelId: id,
        node: signer.address,
        promptTokens,
        tokens: g.tokens,
        sampling: {
          method: sampling.temperatureMilli === 0 ? 'greedy' : 'sample',
          temperatureMilli: sampling.temperatureMilli,
          seed: sampling.seed.toString(),
        },
        generation: json(generation),
        tokenSteps,
        steps: receipts.map(json),
      };
      return {
        text: g.text,
        promptTokens: g.promptTokens,
        completionTokens: g.tokens.length,
        finishReason: g.finishReason,
        receipt,
      };
    },
  };
}
