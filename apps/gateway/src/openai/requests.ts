import { z } from 'zod';

/** Request fields shared by both routes, in OpenAI's documented order; unknown fields pass. */
const common = {
  model: z.string().min(1),
  max_tokens: z.number().int().min(1).max(4096).nullish(),
  max_completion_tokens: z.number().int().min(1).max(4096).nullish(),
  seed: z.number().int().nullish(),
  stop: z.union([z.string(), z.array(z.string()).max(4)]).nullish(),
  stream: z.boolean().nullish(),
  temperature: z.number().min(0).max(2).nullish(),
  n: z.number().int().min(1).max(1).nullish(),
};

export const completionRequest = z.looseObject({ ...common, prompt: z.string() });

const message = z.looseObject({
  role: z.enum(['system', 'developer', 'user', 'assistant']),
  content: z.union([z.string(), z.array(z.looseObject({ type: z.literal('text'), text: z.string() }))]),
});

export const chatRequest = z.looseObject({ ...common, messages: z.array(message).min(1) });

export type CompletionRequest = z.infer<typeof completionRequest>;
export type ChatRequest = z.infer<typeof chatRequest>;

export const DEFAULT_MAX_TOKENS = 16;

/** The chat as one text prompt: a line per message, `role: content`, then `assistant: `. */
export function chatPrompt(messages: ChatRequest['messages']): string {
  const text = (c: ChatRequest['messages'][number]['content']) =>
    typeof c === 'string' ? c : c.map((part) => part.text).join('');
  return `${messages.map((m) => `${m.role}: ${text(m.content)}`).join('\n')}\nassistant: `;
}

export function stopList(stop: CompletionRequest['stop']): string[] {
  if (stop === undefined || stop === null) return [];
  return typeof stop === 'string' ? [stop] : stop;
}

/** First problem of a parse as OpenAI's error body names it: the field (param) and why. */
export function invalidRequest(error: z.ZodError) {
  const issue = error.issues[0]!;
  const param = issue.path.join('.') || null;
  return {
    error: {
      message: param ? `${param}: ${issue.message}` : issue.message,
      type: 'invalid_request_error',
      param,
      code: null,
    },
  };
}
