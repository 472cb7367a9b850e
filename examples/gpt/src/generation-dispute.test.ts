import type { SamplingParams } from '@stoa/ir';
import {
  createOnnxRuntimeBackend,
  createReceiptSigner,
  generationReceiptFields,
  modelId,
  type OnnxRuntimeBackend,
  type ReceiptSigner,
  type TokenStep,
  toHex,
  verifyReceipt,
} from '@stoa/ir';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { disputeGeneration, type GenerationClaim, generationClaimant } from './generation-dispute.js';
import { keptGeneration } from './generation-node.js';
import { importGpt, trainingCalibration } from './integer-model.js';
import { loadGptOnnx, loadTokenizer } from './models.js';
import { gptTextGenerator } from './serve.js';

const tokenizer = loadTokenizer();
const calibration = trainingCalibration(tokenizer);
const { model } = importGpt(loadGptOnnx(), calibration);
const id = toHex(modelId(model));
const TOKENS = 13;
const PROMPT = 'call me ishmael. ';
const SAMPLING: SamplingParams = { seed: 42n, temperatureMilli: 900 };
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

const serve = (sampling: SamplingParams) =>
  keptGeneration(model, backend, tokenizer, PROMPT, { maxTokens: TOKENS, sampling });

/** The receipt the node signs for `steps`, saying `sampling`. */
function claimOf(steps: TokenStep[], sampling: SamplingParams): GenerationClaim {
  const promptTokens = Array.from(tokenizer.encode(PROMPT));
  const fields = generationReceiptFields(id, promptTokens, sampling, steps);
  return { ...fields, promptTokens, tokens: steps.map((s) => s.token), sampling };
}

const roundsFor = (n: number, k: number) => Math.ceil(Math.log2(n) / Math.log2(k));

describe('a dispute over a generation', () => {
  it('finds nothing in an honest sampled generation', async () => {
    const node = await serve(SAMPLING);
    const verdict = await disputeGeneration(
      model,
      backend,
      claimOf(node.steps, SAMPLING),
      generationClaimant(node.steps, node.logits),
      4,
    );
    expect(verdict).toEqual({ kind: 'honest' });
  });

  it('locates one changed token in ⌈log_k tokens⌉ rounds and the sampler one-step decides it', async () => {
    const node = await serve(SAMPLING);
    const changed = 6;
    const steps = node.steps.map((s, i) =>
      i === changed ? { ...s, token: (s.token + 1) % tokenizer.vocabulary.length } : s,
    );
    for (const k of [2, 4, 8]) {
      const verdict = await disputeGeneration(
        model,
        backend,
        claimOf(steps, SAMPLING),
        generationClaimant(steps, node.logits),
        k,
      );
      expect(verdict).toEqual({
        kind: 'sampler',
        token: changed,
        rounds: roundsFor(TOKENS, k),
        expected: node.tokens[changed],
        claimed: steps[changed]!.token,
      });
    }
  });

  it('locates the first token drawn with another seed than the receipt says', async () => {
    const node = await serve({ ...SAMPLING, seed: SAMPLING.seed + 1n });
    const honest = await serve(SAMPLING);
    const first = node.tokens.findIndex((t, i) => t !== honest.tokens[i]);
    expect(first).toBeGreaterThanOrEqual(0); // the two seeds do draw differently here
    const verdict = await disputeGeneration(
      model,
      backend,
      claimOf(node.steps, SAMPLING),
      generationClaimant(node.steps, node.logits),
      4,
    );
    expect(verdict).toMatchObject({
      kind: 'sampler',
      token: first,
      rounds: roundsFor(TOKENS, 4),
      claimed: node.tokens[first],
      expected: honest.tokens[first],
    });
  });

  it('hands a step with other logits on to the bisection inside its forward pass', async () => {
    const node = await serve(SAMPLING);
    const steps = node.steps.map((s, i) =>
      i === 9 ? { ...s, outputDigest: node.steps[0]!.outputDigest } : s,
    );
    const verdict = await disputeGeneration(
      model,
      backend,
      claimOf(steps, SAMPLING),
      generationClaimant(steps, node.logits),
      2,
    );
    expect(verdict).toMatchObject({ kind: 'forward-pass', token: 9, rounds: 4 });
  });

  it('rejects a receipt whose digests do not bind its tokens', async () => {
    const node = await serve(SAMPLING);
    const claim = { ...claimOf(node.steps, SAMPLING), tokens: [...node.tokens].reverse() };
    const verdict = await disputeGeneration(
      model,
      backend,
      claim,
      generationClaimant(node.steps, node.logits),
      4,
    );
    expect(verdict).toMatchObject({ kind: 'receipt' });
  });

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
