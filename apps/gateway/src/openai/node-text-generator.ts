import { Errors } from '../errors.js';
import type { DeployedModel } from '../routing/catalog.js';
import type { GeneratedOnNode, NodeGenerationRequest } from './node-generation.js';
import type { GeneratedText, TextGenerationRequest, TextGenerator } from './text-generator.js';

/** A deployed language model's tokenizer: the gateway turns text into ids and back, the node sees ids. */
export interface TextTokenizer {
  encode(text: string): ArrayLike<number>;
  decode(tokens: readonly number[]): string;
}

export interface NodeTextGeneratorOptions {
  /** The deployed models (by name or modelId) the gateway routes to. */
  readonly models: () => readonly DeployedModel[];
  readonly find: (model: string) => DeployedModel | undefined;
  /** Tokenizers by deployed model name: a deployment without one serves no text routes. */
  readonly tokenizers: Readonly<Record<string, TextTokenizer>>;
  /** Runs the generation on a replica (node-generation.ts `streamGeneration`, with the gateway's signing and checks). */
  readonly generate: (
    model: DeployedModel,
    request: NodeGenerationRequest,
    onToken: (token: number) => void | Promise<void>,
    streaming: boolean,
  ) => Promise<GeneratedOnNode>;
  /** Metering: called once per generation, with its outcome. */
  readonly settled?: (
    request: TextGenerationRequest,
    model: DeployedModel,
    outcome: GeneratedOnNode | Error,
    latencyMs: number,
  ) => void;
}

const permitted = (allowed: readonly string[] | undefined, model: DeployedModel) =>
  !allowed ||
  allowed.length === 0 ||
  allowed.some((m) => m === model.name || m.toLowerCase() === model.modelId);

/**
 * The OpenAI routes' generator when generation runs on the deployment's nodes: the prompt and
 * the stop strings are tokenized here, the node generates over ids (streaming them) and signs
 * the generation receipt, and the text streamed to the client is the decoded ids — exactly the
 * tokens the checked receipt binds (`streamGeneration`).
 */
export function nodeTextGenerator(options: NodeTextGeneratorOptions): TextGenerator {
  return {
    models: () => options.models().flatMap((m) => (options.tokenizers[m.name] ? [m.name] : [])),
    async generate(request, onText): Promise<GeneratedText> {
      const model = options.find(request.model);
      const tokenizer = model && options.tokenizers[model.name];
      if (!model || !tokenizer) throw Errors.modelNotFound(request.model);
      if (!permitted(request.caller?.allowedModels, model)) throw Errors.modelNotAllowed(request.model);
      const promptTokens = Array.from(tokenizer.encode(request.prompt));
      const nodeRequest: NodeGenerationRequest = {
        promptTokens,
        maxTokens: request.maxTokens,
        temperatureMilli: Math.round(request.temperature * 1000),
        seed: String(request.seed),
        stopSequences: request.stop.filter((s) => s.length > 0).map((s) => Array.from(tokenizer.encode(s))),
      };
      const started = performance.now();
      let done: GeneratedOnNode;
      try {
        done = await options.generate(
          model,
          nodeRequest,
          (token) => onText(tokenizer.decode([token])),
          request.stream === true,
        );
      } catch (error) {
        options.settled?.(request, model, error as Error, performance.now() - started);
        throw error;
      }
      options.settled?.(request, model, done, performance.now() - started);
      let text = tokenizer.decode(done.tokens);
      const stop = done.finishReason === 'stop' ? request.stop.find((s) => s && text.endsWith(s)) : undefined;
      if (stop) text = text.slice(0, text.length - stop.length);
      return {
        text,
        promptTokens: promptTokens.length,
        completionTokens: done.tokens.length,
        finishReason: done.finishReason,
        receipt: { ...done.receipt, network: done.replica.network },
      };
    },
  };
}
