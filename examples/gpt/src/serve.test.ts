import {
  createOnnxRuntimeBackend,
  createReceiptSigner,
  type OnnxRuntimeBackend,
  type ReceiptSigner,
  verifyReceipt,
} from '@stoa/ir';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { corpus } from './data/corpus.js';
import { disputeGeneration, generationClaimant } from './generation-dispute.js';
import { keptGeneration } from './generation-node.js';
import { importGpt, windows } from './integer-model.js';
import { loadGptOnnx, loadTokenizer } from './models.js';
import { gptTextGenerator } from './serve.js';

const tokenizer = loadTokenizer();
const calibration = windows(tokenizer.encode(corpus('train')), 64, 2, 10_000).map((w) => w.subarray(0, 64));
const { model } = importGpt(loadGptOnnx(), calibration);
const domain = { chainId: 31337, verifyingContract: '0x00000000000000000000000000000000000000aa' } as const;
const NODE_KEY = '0x59c6995e998f97a5a0044966f0945389dc9e86dae88c7a8412f4603b6b78690d';
let backend: OnnxRuntimeBackend;
let signer: ReceiptSigner;

beforeAll(async () => {
  backend = await createOnnxRuntimeBackend(model, { log: () => {} });
  signer = await createReceiptSigner(NODE_KEY, domain);
});
afterAll(async () => {
  await backend?.close();
  await signer?.close();
});

describe('the served generation and its receipt', () => {
  it('samples with the request’s temperature and seed; the signed receipt binds them and survives a dispute', async () => {
    let nonce = 0n;
    const generator = gptTextGenerator({
      name: 'gpt',
      model,
      backend,
      tokenizer,
      signer,
      nextNonce: () => nonce++,
    });
    const request = { prompt: 'the whale ', maxTokens: 6, stop: [], temperature: 0.9, seed: 7 };
    const { receipt } = await generator.generate(request, () => {});
    const sampling = { seed: 7n, temperatureMilli: 900 };
    const kept = await keptGeneration(model, backend, tokenizer, request.prompt, { maxTokens: 6, sampling });
    expect(receipt.tokens).toEqual(kept.tokens);
    expect(receipt.sampling).toEqual({ method: 'sample', temperatureMilli: 900, seed: '7' });
    expect(receipt.tokenSteps).toEqual(kept.steps);
    const generation = { ...receipt.generation, nonce: BigInt(receipt.generation.nonce) };
    expect(await verifyReceipt(generation, domain)).toBe(true);
    const claim = { ...generation, promptTokens: receipt.promptTokens, tokens: receipt.tokens, sampling };
    const verdict = await disputeGeneration(
      model,
      backend,
      claim,
      generationClaimant(kept.steps, kept.logits),
      2,
    );
    expect(verdict).toEqual({ kind: 'honest' });
    // Another seed than the receipt's is another receipt: the digests no longer match.
    const other = { ...claim, sampling: { ...sampling, seed: 8n } };
    expect(
      await disputeGeneration(model, backend, other, generationClaimant(kept.steps, kept.logits), 2),
    ).toMatchObject({
      kind: 'receipt',
    });
  });
});
