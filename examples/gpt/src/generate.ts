import type { ExecutionBackend, Model } from '@stoa/ir';
import { GREEDY, type SamplingParams, sampleToken } from '@stoa/ir';
import type { Tokenizer } from './data/tokenizer.js';
import { logitsFrac, tokensInput, windowOf } from './integer-model.js';

/** One generated token: the window the model ran on, where its prediction was read, and the pick. */
export interface GenerationStep {
  /** The `context` token ids fed to the model (the text so far, right-padded with 0). */
  readonly input: Int32Array;
  /** Position whose logits chose the token (the last real token of the window). */
  readonly position: number;
  readonly token: number;
}

export interface Generation {
  readonly promptTokens: number;
  readonly tokens: number[];
  readonly text: string;
  readonly steps: GenerationStep[];
  readonly finishReason: 'length' | 'stop';
}

export interface GenerateOptions {
  readonly maxTokens: number;
  /** Generation ends when the generated text ends with any of these (left out of `text`; `tokens` keep it). */
  readonly stop?: readonly string[];
  /** How each token is picked from the logits: greedy (the default) or seeded sampling. */
  readonly sampling?: SamplingParams;
  /** Called with each token as it is chosen (streaming). */
  readonly onToken?: (token: number, text: string) => void | Promise<void>;
}

/**
 * Generation (greedy, or seeded sampling with draw number = the token's index) that recomputes the whole window for every token (no KV cache): the
 * model's input is the text so far (its last `context` characters), and each token is one
 * plain execution of the integer model, which the caller can trace and sign like any other.
 */
export async function generate(
  model: Model,
  backend: ExecutionBackend,
  tokenizer: Tokenizer,
  prompt: string,
  options: GenerateOptions,
): Promise<Generation> {
  const context = model.graph.nodeTypes[model.graph.inputs[0]!]!.shape.at(-1)!;
  const fraction = logitsFrac(model);
  const sampling = options.sampling ?? GREEDY;
  let text = prompt;
  const tokens: number[] = [];
  const steps: GenerationStep[] = [];
  let finishReason: Generation['finishReason'] = 'length';
  // The model reads token ids (the prompt's, then each pick), never the decoded text again.
  const history = Array.from(tokenizer.encode(prompt));
  while (tokens.length < options.maxTokens) {
    const { ids, length } = windowOf(history, context);
    const position = Math.max(0, length - 1);
    const { outputs } = await backend.run([tokensInput(model, ids)]);
    const token = sampleToken(outputs[0]!, fraction, position, sampling, tokens.length);
    tokens.push(token);
    history.push(token);
    steps.push({ input: ids, position, token });
    const piece = tokenizer.decode([token]);
    text += piece;
    await options.onToken?.(token, piece);
    const stop = options.stop?.find((s) => s.length > 0 && text.slice(prompt.length).endsWith(s));
    if (stop !== undefined) {
      finishReason = 'stop';
      text = text.slice(0, text.length - stop.length);
      break;
    }
  }
  return {
    promptTokens: tokenizer.encode(prompt).length,
    tokens,
    text: text.slice(prompt.length),
    steps,
    finishReason,
  };
}
