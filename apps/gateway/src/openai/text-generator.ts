/**
 * What the OpenAI-compatible routes need from whoever runs the model: generation (greedy, or
 * seeded sampling) that streams its tokens and ends with the receipt binding the prompt, the
 * sampling parameters and every token.
 */
export interface TextGenerationRequest {
  readonly model: string;
  readonly prompt: string;
  readonly maxTokens: number;
  readonly stop: readonly string[];
  /** 0 is greedy; above 0, sampling at this temperature, drawn from `seed` (committed in the receipt). */
  readonly temperature: number;
  /** An unsigned integer below 2^53; the route picks one when the client gives none. */
  readonly seed: number;
  /** Whether the client gets the text as it is generated (a retry must then replay it). */
  readonly stream?: boolean;
  /** Who asks: the gateway request id and API key, for metering and the key's model list. */
  readonly caller?: {
    readonly requestId: string;
    readonly keyId?: string;
    readonly allowedModels?: readonly string[];
  };
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
