import { importGpt, loadGptOnnx, loadTokenizer, trainingCalibration } from '@stoa/example-gpt';
import {
  GREEDY,
  generateTokens,
  generationOutputDigest,
  type Model,
  referenceBackend,
  toHex,
  verifyReceipt,
} from '@stoa/ir';
import OpenAI from 'openai';
import { privateKeyToAccount } from 'viem/accounts';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { RunningGateway } from '../server.js';
import { DEV_KEYS, type Stack, startStack } from '../testing/stack.js';
import type { NodeGenerationReceipt } from './node-generation.js';

// The official openai client, unchanged, against a gateway whose text routes generate on a real
// node process (apps/node's /generate) on anvil. The node lies selectively: on generations
// sampled with seed LYING_SEED it streams token 1 as another id than the one it signs.
const MODEL = 'stoa-gpt-moby-dick';
const tokenizer = loadTokenizer();
const NODE = privateKeyToAccount(DEV_KEYS.nodeA).address;
const LYING_SEED = 666;

let model: Model;
let stack: Stack;
let gateway: RunningGateway;
let client: OpenAI;

type Receipt = NodeGenerationReceipt & { network: string };
const receiptOf = (answer: unknown) => (answer as { stoa_receipt: Receipt }).stoa_receipt;

beforeAll(async () => {
  const calibration = trainingCalibration(tokenizer);
  model = importGpt(loadGptOnnx(), calibration).model;
  stack = await startStack(
    model,
    [
      {
        network: 'a',
        key: DEV_KEYS.nodeA,
        env: {
          STOA_BATCH_MAX_AGE_MS: '500',
          STOA_BACKEND: 'reference',
          STOA_TEST_GENERATION_FAULT: `stream:1@seed:${LYING_SEED}`,
        },
      },
    ],
    { name: MODEL },
  );
  gateway = await stack.startGateway({ tokenizers: { [MODEL]: tokenizer } });
  client = new OpenAI({ baseURL: `${gateway.url}/v1`, apiKey: await stack.createKey(), maxRetries: 0 });
}, 240_000);

afterAll(async () => {
  await gateway?.stop();
  await stack?.stop();
});

/** What the client got is what the node signed: tokens, usage, digests, signature, the node. */
async function expectNodeReceipt(receipt: Receipt, content: string, usage: OpenAI.CompletionUsage) {
  const domain = {
    chainId: stack.deployment.at.chainId,
    verifyingContract: stack.deployment.at.claimRegistry,
  };
  expect(receipt.network).toBe('a');
  expect(receipt.node.toLowerCase()).toBe(NODE.toLowerCase());
  expect(tokenizer.decode(receipt.tokens)).toBe(content);
  expect(usage.completion_tokens).toBe(receipt.tokens.length);
  expect(usage.prompt_tokens).toBe(receipt.promptTokens.length);
  const generation = { ...receipt.generation, nonce: BigInt(receipt.generation.nonce) };
  expect(await verifyReceipt(generation, domain)).toBe(true);
  expect(generation.outputDigest).toBe(toHex(generationOutputDigest(receipt.tokens)));
  expect(receipt.steps).toHaveLength(receipt.tokens.length);
}

describe('OpenAI routes generating on a node replica, driven by the official openai client', () => {
  const messages = [{ role: 'user' as const, content: 'call me ishmael.' }];
  let unstreamed = '';

  it('completes a chat: tokens and usage are the node’s receipt, and the reference’s tokens', async () => {
    const { data, response } = await client.chat.completions
      .create({ model: MODEL, messages, max_tokens: 4 })
      .withResponse();
    unstreamed = data.choices[0]!.message.content!;
    const receipt = receiptOf(data);
    await expectNodeReceipt(receipt, unstreamed, data.usage!);
    expect(data.usage).toEqual({ prompt_tokens: 34, completion_tokens: 4, total_tokens: 38 });
    expect(JSON.parse(Buffer.from(response.headers.get('x-stoa-receipt')!, 'base64url').toString())).toEqual(
      receipt,
    );
    // Bit-identical to the reference interpreter run here on the same prompt.
    const reference = await generateTokens(
      model,
      async (window) => (await referenceBackend(model).run([window])).outputs[0]!,
      receipt.promptTokens,
      { maxTokens: 4, sampling: GREEDY },
    );
    expect(receipt.tokens).toEqual(reference.tokens);
  });

  it('streams the chat as server-sent events, as the node produced it; usage and receipt last', async () => {
    const stream = await client.chat.completions.create({
      model: MODEL,
      messages,
      max_tokens: 4,
      stream: true,
    });
    let content = '';
    let last: unknown;
    for await (const chunk of stream) {
      content += chunk.choices[0]?.delta.content ?? '';
      if (chunk.choices[0]?.finish_reason) last = chunk;
    }
    const final = last as { usage: OpenAI.CompletionUsage; stoa_receipt: Receipt };
    expect(content).toBe(unstreamed);
    await expectNodeReceipt(final.stoa_receipt, content, final.usage);
  });

  it('samples from the seed on the node; the receipt names it and the seed replays it', async () => {
    const sampled = () =>
      client.chat.completions.create({ model: MODEL, messages, max_tokens: 5, temperature: 1.5, seed: 7 });
    const [a, b] = await Promise.all([sampled(), sampled()]);
    expect(b.choices[0]!.message.content).toBe(a.choices[0]!.message.content);
    expect(receiptOf(a).sampling).toEqual({ method: 'sample', temperatureMilli: 1500, seed: '7' });
    await expectNodeReceipt(receiptOf(a), a.choices[0]!.message.content!, a.usage!);
  });

  it('serves legacy completions, claimed on chain like other receipts; bad requests get OpenAI errors', async () => {
    const node = stack.nodes[0]!;
    const completion = await client.completions.create({ model: MODEL, prompt: 'the whale', max_tokens: 2 });
    expect(completion.choices[0]!.text).toHaveLength(2);
    expect(completion.usage?.prompt_tokens).toBe(9);
    await expect(
      client.chat.completions.create({ model: MODEL, messages, temperature: 0.7, seed: -1 }),
    ).rejects.toMatchObject({ status: 400, param: 'seed' });
    await expect(
      client.chat.completions.create({ model: MODEL, messages, temperature: 3 }),
    ).rejects.toMatchObject({
      status: 400,
      param: 'temperature',
    });
    await expect(client.chat.completions.create({ model: 'gpt-4o', messages })).rejects.toMatchObject({
      status: 404,
      code: 'model_not_found',
    });
    // The quota is charged after the model is found and allowed, as on the inference route:
    // refused requests leave a one-request monthly quota whole.
    const limited = (apiKey: string) => new OpenAI({ baseURL: `${gateway.url}/v1`, apiKey, maxRetries: 0 });
    const narrow = limited(await stack.createKey({ allowedModels: ['another-model'], monthlyQuota: 1 }));
    await expect(narrow.chat.completions.create({ model: MODEL, messages })).rejects.toMatchObject({
      status: 403,
      code: 'model_not_allowed',
    });
    const once = limited(await stack.createKey({ monthlyQuota: 1 }));
    for (let i = 0; i < 2; i++)
      await expect(once.chat.completions.create({ model: 'gpt-4o', messages })).rejects.toMatchObject({
        status: 404,
      });
    expect(
      (await once.chat.completions.create({ model: MODEL, messages, max_tokens: 1 })).choices,
    ).toHaveLength(1);
    await expect(
      once.chat.completions.create({ model: MODEL, messages, max_tokens: 1 }),
    ).rejects.toMatchObject({
      status: 429,
      code: 'quota_exceeded',
    });
    const signed = receiptOf(completion);
    for (let i = 0; i < 100; i++) {
      for (const { claimId } of await stack.deployment.claimsOf(NODE)) {
        const { receipts } = (await (await fetch(`${node.url}/v1/claims/${claimId}/receipts`)).json()) as {
          receipts: { signature: string }[];
        };
        if (receipts.some((r) => r.signature === signed.generation.signature)) return;
      }
      await new Promise((r) => setTimeout(r, 100));
    }
    throw new Error('the generation receipt never reached a claim');
  });

  it('refuses a node that streams other tokens than it signs', async () => {
    const lied = { model: MODEL, messages, max_tokens: 3, temperature: 0.5, seed: LYING_SEED };
    const refusal = /the receipt signs other tokens than the node streamed/;
    await expect(client.chat.completions.create(lied)).rejects.toMatchObject({
      status: 503,
      message: expect.stringMatching(refusal),
    });
    const stream = await client.chat.completions.create({ ...lied, stream: true });
    let streamed = 0;
    const read = async () => {
      // the lying node's tokens arrive; the final event is the refusal, not a receipt
      for await (const chunk of stream) if (chunk.choices[0]?.delta.content) streamed++;
    };
    await expect(read()).rejects.toThrow(refusal);
    expect(streamed).toBe(3);
  });
});
