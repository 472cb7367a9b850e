/**
 * What the OpenAI-compatible routes need from whoever runs the model: greedy generation that
 * streams its tokens and ends with the receipt binding the prompt and every token.
 */
export interface TextGenerationRequest {
  readonly model: string;
  readonly prompt: string;
  readonly maxTokens: number;
  readonly stop: readonly string[];
}

export interface GeneratedText {
  readonly text: string;
  readonly promptTokens: number;
  readonly completionTokens: number;
  readonly finishReason: 'stop' | 'length';
  /** JSON-safe: returned in the final message and (base64url JSON) in the `x-stoa-receipt` header. */
  readonly receipt: unknown;
}

export interface TextGenerator {
  /** Names of the models it serves. */
  models(): readonly string[];
  generate(
    request: TextGenerationRequest,
    onText: (piece: string) => void | Promise<void>,
  ): Promise<GeneratedText>;
}
