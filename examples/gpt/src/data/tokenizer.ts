import { type CharacterTokenizer, characterTokenizer, UNKNOWN_CHARACTER } from '@stoa/ir';

/**
 * A character-level tokenizer, trained by counting: every character seen at least `minCount`
 * times in the training text gets a token (most frequent first, ties by code point); token 0 is
 * the unknown character, decoded as '?'. Its ids are libs/ir's `characterTokenizer`, which the
 * gateway uses to serve the model's text routes.
 */
export type Tokenizer = CharacterTokenizer;

export const UNKNOWN = UNKNOWN_CHARACTER;

export function trainTokenizer(text: string, minCount = 20): Tokenizer {
  const counts = new Map<string, number>();
  for (const ch of text) counts.set(ch, (counts.get(ch) ?? 0) + 1);
  const kept = [...counts]
    .filter(([ch, n]) => n >= minCount && ch !== UNKNOWN)
    .sort(([a, n], [b, m]) => m - n || a.codePointAt(0)! - b.codePointAt(0)!)
    .map(([ch]) => ch);
  return tokenizerOf([UNKNOWN, ...kept]);
}

export const tokenizerOf = characterTokenizer;
