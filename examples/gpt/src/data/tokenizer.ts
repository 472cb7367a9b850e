/**
 * A character-level tokenizer, trained by counting: every character seen at least `minCount`
 * times in the training text gets a token (most frequent first, ties by code point); token 0 is
 * the unknown character, decoded as '?'.
 */
export interface Tokenizer {
  /** Characters by token id; index 0 is the unknown token. */
  readonly vocabulary: readonly string[];
  encode(text: string): Int32Array;
  decode(tokens: ArrayLike<number>): string;
}

export const UNKNOWN = '?';

export function trainTokenizer(text: string, minCount = 20): Tokenizer {
  const counts = new Map<string, number>();
  for (const ch of text) counts.set(ch, (counts.get(ch) ?? 0) + 1);
  const kept = [...counts]
    .filter(([ch, n]) => n >= minCount && ch !== UNKNOWN)
    .sort(([a, n], [b, m]) => m - n || a.codePointAt(0)! - b.codePointAt(0)!)
    .map(([ch]) => ch);
  return tokenizerOf([UNKNOWN, ...kept]);
}

export function tokenizerOf(vocabulary: readonly string[]): Tokenizer {
  if (vocabulary[0] !== UNKNOWN) throw new Error(`tokenizer: token 0 must be '${UNKNOWN}'`);
  const ids = new Map(vocabulary.map((ch, i) => [ch, i]));
  return {
    vocabulary,
    encode: (text) => Int32Array.from(text, (ch) => ids.get(ch) ?? 0),
    decode: (tokens) => Array.from(tokens, (t) => vocabulary[t] ?? UNKNOWN).join(''),
  };
}
