import { readFile } from 'node:fs/promises';
import { type CharacterTokenizer, characterTokenizer } from '@stoa/ir';

/**
 * Loads the text models' tokenizers the gateway is configured with (`STOA_GATEWAY_TOKENIZERS`):
 * each file holds `{"vocabulary": [characters by token id]}`, as examples/gpt writes it. A bad
 * file stops the gateway at start with the model, the file and what is wrong, rather than
 * serving text routes that would encode prompts into the wrong ids.
 */
export async function readTokenizers(
  files: Readonly<Record<string, string>>,
): Promise<Record<string, CharacterTokenizer>> {
  const tokenizers: Record<string, CharacterTokenizer> = {};
  for (const [model, file] of Object.entries(files)) {
    const fail = (why: string) => new Error(`tokenizer of model '${model}' (${file}): ${why}`);
    let text: string;
    try {
      text = await readFile(file, 'utf8');
    } catch (error) {
      throw fail(`cannot be read: ${(error as Error).message}`);
    }
    let parsed: unknown;
    try {
      parsed = JSON.parse(text);
    } catch (error) {
      throw fail(`is not JSON: ${(error as Error).message}`);
    }
    const vocabulary = (parsed as { vocabulary?: unknown } | null)?.vocabulary;
    if (!Array.isArray(vocabulary) || !vocabulary.every((ch) => typeof ch === 'string'))
      throw fail('"vocabulary" must be an array of strings (characters by token id)');
    try {
      tokenizers[model] = characterTokenizer(vocabulary);
    } catch (error) {
      throw fail(`"vocabulary": ${(error as Error).message.replace(/^tokenizer: /, '')}`);
    }
  }
  return tokenizers;
}
