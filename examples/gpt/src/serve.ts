import {
  type ExecutionBackend,
  execute,
  type Model,
  modelId,
  type ReceiptSigner,
  type SignedReceipt,
  toHex,
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

/**
 * What a generation's receipt binds: the model, the prompt's token ids, every generated token,
 * the decoding rule, and one signed execution receipt per token (its input is the window the
 * token was read from), so that a dispute can first find the first wrong token.
 */
export interface GenerationReceipt {
  readonly modelId: string;
  readonly node: string;
  readonly promptTokens: number[];
  readonly tokens: number[];
  readonly sampling: { readonly method: 'greedy' };
  readonly steps: (Omit<SignedReceipt, 'nonce'> & { readonly nonce: string })[];
}

/** Greedy text generation with one traced, signed execution per token (an OpenAI route's generator). */
export function gptTextGenerator(options: GptServiceOptions) {
  const { model, tokenizer, signer } = options;
  const id = toHex(modelId(model));
  return {
    models: () => [options.name],
    async generate(
      request: { prompt: string; maxTokens: number; stop: readonly string[] },
      onText: (piece: string) => void | Promise<void>,
    ) {
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
        onToken: (_token, piece) => onText(piece),
      });
      const receipt: GenerationReceipt = {
        modelId: id,
        node: signer.address,
        promptTokens: Array.from(tokenizer.encode(request.prompt)),
        tokens: g.tokens,
        sampling: { method: 'greedy' },
        steps: receipts.map((r) => ({ ...r, nonce: r.nonce.toString() })),
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
