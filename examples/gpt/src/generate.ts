import type { ExecutionBackend, IntTensor, Model } from '@stoa/ir';
import type { Tokenizer } from './data/tokenizer.js';
import { tokensInput, window } from './integer-model.js';

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

/**
 * Greedy choice on the integer logits: the largest value of row `position`, ties to the lowest
 * id. Pure integer arithmetic on the model's committed output, so anyone re-derives it.
 */
export function greedyToken(logits: IntTensor, position: number): number {
  const vocab = logits.shape.at(-1)!;
  let best = 0;
  for (let j = 1; j < vocab; j++)
    if (logits.data[position * vocab + j]! > logits.data[position * vocab + best]!) best = j;
  return best;
}

export interface GenerateOptions {
  readonly maxTokens: number;
  /** Generation ends when the generated text ends with any of these (left out of `text`; `tokens` keep it). */
  readonly stop?: readonly string[];
  /** Called with each token as it is chosen (streaming). */
  readonly onToken?: (token: number, text: string) => void | Promise<void>;
}

/**
 * Greedy generation that recomputes the whole window for every token (no KV cache): the
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
  let text = prompt;
  const tokens: number[] = [];
  const steps: GenerationStep[] = [];
  let finishReason: Generation['finishReason'] = 'length';
  while (tokens.length < options.maxTokens) {
    const { ids, length } = window(tokenizer, text, context);
    const position = Math.max(0, length - 1);
    const { outputs } = await backend.run([tokensInput(model, ids)]);
    const token = greedyToken(outputs[0]!, position);
    tokens.push(token);
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
