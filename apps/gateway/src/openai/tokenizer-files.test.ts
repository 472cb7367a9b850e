import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { configFromEnv } from '../config.js';
import { readTokenizers } from './tokenizer-files.js';

const dir = await mkdtemp(join(tmpdir(), 'stoa-tokenizers-'));
afterAll(() => rm(dir, { recursive: true, force: true }));

const base = {
  STOA_RPC_URL: 'http://127.0.0.1:8545',
  STOA_CONTRACTS_FILE: 'contracts.json',
  STOA_GATEWAY_SECRET: 'env:STOA_SECRET',
};

describe('text models’ tokenizers (STOA_GATEWAY_TOKENIZERS)', () => {
  it('reads model=file pairs and encodes with the file’s vocabulary', async () => {
    const file = join(dir, 'gpt.json');
    await writeFile(file, JSON.stringify({ vocabulary: ['?', ' ', 'a', 'b'] }));
    const config = configFromEnv({ ...base, STOA_GATEWAY_TOKENIZERS: `gpt=${file}` });
    expect(config.tokenizerFiles).toEqual({ gpt: file });
    const { gpt } = await readTokenizers(config.tokenizerFiles);
    expect([...gpt!.encode('ab c')]).toEqual([2, 3, 1, 0]);
    expect(gpt!.decode([3, 2, 0])).toBe('ba?');
    expect(configFromEnv(base).tokenizerFiles).toEqual({});
  });

  it('refuses a malformed variable or file, naming the variable, the model and the file', async () => {
    expect(() => configFromEnv({ ...base, STOA_GATEWAY_TOKENIZERS: 'gpt' })).toThrow(
      /STOA_GATEWAY_TOKENIZERS: must be/,
    );
    const missing = join(dir, 'missing.json');
    await expect(readTokenizers({ gpt: missing })).rejects.toThrow(
      `tokenizer of model 'gpt' (${missing}): cannot be read`,
    );
    const notJson = join(dir, 'bad.json');
    await writeFile(notJson, '{vocabulary');
    await expect(readTokenizers({ gpt: notJson })).rejects.toThrow(/is not JSON/);
    const wrongShape = join(dir, 'shape.json');
    await writeFile(wrongShape, JSON.stringify({ vocabulary: 'ab' }));
    await expect(readTokenizers({ gpt: wrongShape })).rejects.toThrow(
      /"vocabulary" must be an array of strings/,
    );
    const duplicate = join(dir, 'dup.json');
    await writeFile(duplicate, JSON.stringify({ vocabulary: ['?', 'a', 'a'] }));
    await expect(readTokenizers({ gpt: duplicate })).rejects.toThrow(
      /"vocabulary": "a" is both token 1 and token 2/,
    );
  });
});
