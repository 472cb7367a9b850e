/**
 * A character-level tokenizer given by its vocabulary: token i is `vocabulary[i]`, token 0 the
 * unknown character. The gateway (which turns text into the token ids a node generates from) and
 * examples/gpt (which trains the vocabulary) share it, so both sides of a generation agree on ids.
 */
export interface CharacterTokenizer {
  /** Characters by token id; index 0 is the unknown token. */
  readonly vocabulary: readonly string[];
  encode(text: string): Int32Array;
  decode(tokens: ArrayLike<number>): string;
}

export const UNKNOWN_CHARACTER = '?';

export function characterTokenizer(vocabulary: readonly string[]): CharacterTokenizer {
  if (vocabulary[0] !== UNKNOWN_CHARACTER)
    throw new Error(`tokenizer: token 0 must be '${UNKNOWN_CHARACTER}'`);
  const ids = new Map<string, number>();
  vocabulary.forEach((ch, i) => {
    if ([...ch].length !== 1)
      throw new Error(`tokenizer: token ${i} must be one character, got ${JSON.stringify(ch)}`);
    if (ids.has(ch))
      throw new Error(`tokenizer: ${JSON.stringify(ch)} is both token ${ids.get(ch)} and token ${i}`);
    ids.set(ch, i);
  });
  return {
    vocabulary,
    encode: (text) => Int32Array.from(text, (ch) => ids.get(ch) ?? 0),
    decode: (tokens) => Array.from(tokens, (t) => vocabulary[t] ?? UNKNOWN_CHARACTER).join(''),
  };
}
