import type { AddressInfo } from 'node:net';
import { corpus, gptTextGenerator, importGpt, loadGptOnnx, loadTokenizer, windows } from '@stoa/example-gpt';
import {
  createOnnxRuntimeBackend,
  createReceiptSigner,
  type OnnxRuntimeBackend,
  type ReceiptSigner,
  verifyReceipt,
} from '@stoa/ir';
import Fastify, { type FastifyInstance } from 'fastify';
import OpenAI from 'openai';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { openAiRoutes } from './routes.js';

const MODEL = 'stoa-gpt-moby-dick';
const NODE_KEY = '0x59c6995e998f97a5a0044966f0945389dc9e86dae88c7a8412f4603b6b78690d';
const domain = { chainId: 31337, verifyingContract: '0x5FbDB2315678afecb367f032d93F642f64180aa3' } as const;
const tokenizer = loadTokenizer();

let app: FastifyInstance;
let backend: OnnxRuntimeBackend;
let signer: ReceiptSigner;
let client: OpenAI;

interface StepReceipt {
  modelId: `0x${string}`;
  inputDigest: `0x${string}`;
  outputDigest: `0x${string}`;
  traceRoot: `0x${string}`;
  steps: number;
  node: `0x${string}`;
  nonce: string;
  signature: `0x${string}`;
}
interface Receipt {
  modelId: string;
  node: string;
  tokens: number[];
  promptTokens: number[];
  sampling: { method: string; temperatureMilli: number; seed: string };
  steps: StepReceipt[];
}

beforeAll(async () => {
  const calibration = windows(tokenizer.encode(corpus('train')), 64, 2, 10_000).map((w) => w.subarray(0, 64));
  const { model } = importGpt(loadGptOnnx(), calibration);
  backend = await createOnnxRuntimeBackend(model, { log: () => {} });
  signer = await createReceiptSigner(NODE_KEY, domain);
  let nonce = 0n;
  const generator = gptTextGenerator({
    name: MODEL,
    model,
    backend,
    tokenizer,
    signer,
    nextNonce: () => nonce++,
  });
  app = Fastify();
  // As the gateway does (app.ts): JSON bodies stay raw buffers, forwarded to nodes unchanged.
  app.addContentTypeParser('application/json', { parseAs: 'buffer' }, (_req, body, done) => done(null, body));
  await app.register(openAiRoutes, { generator });
  await app.listen({ host: '127.0.0.1', port: 0 });
  const { port } = app.server.address() as AddressInfo;
  client = new OpenAI({ baseURL: `http://127.0.0.1:${port}/v1`, apiKey: 'sk-test', maxRetries: 0 });
});

afterAll(async () => {
  await app?.close();
  await backend?.close();
  await signer?.close();
});

/** The receipt binds what the client got: every token, one signed execution each, by the node. */
async function expectReceiptMatches(receipt: Receipt, content: string, completionTokens: number) {
  expect(receipt.tokens).toHaveLength(completionTokens);
  expect(tokenizer.decode(receipt.tokens)).toBe(content);
  expect(receipt.steps).toHaveLength(completionTokens);
  for (const step of receipt.steps) {
    expect(step.node).toBe(signer.address);
    expect(await verifyReceipt({ ...step, nonce: BigInt(step.nonce) }, domain)).toBe(true);
  }
}

describe('OpenAI-compatible routes, driven by the official openai client', () => {
  const messages = [{ role: 'user' as const, content: 'call me ishmael.' }];
  let unstreamed = '';

  it('completes a chat; usage and the receipt (body and header) match the tokens', async () => {
    const { data, response } = await client.chat.completions
      .create({ model: MODEL, messages, max_tokens: 3 })
      .withResponse();
    const content = data.choices[0]!.message.content!;
    unstreamed = content;
    expect(content).toHaveLength(3);
    expect(data.choices[0]!.finish_reason).toBe('length');
    // 'user: call me ishmael.\nassistant: ' is 34 characters, one token each.
    expect(data.usage).toEqual({ prompt_tokens: 34, completion_tokens: 3, total_tokens: 37 });
    const receipt = (data as unknown as { stoa_receipt: Receipt }).stoa_receipt;
    await expectReceiptMatches(receipt, content, 3);
    const header = JSON.parse(Buffer.from(response.headers.get('x-stoa-receipt')!, 'base64url').toString());
    expect(header).toEqual(receipt);
  });

  it('streams the same chat as server-sent events, usage and receipt in the last chunk', async () => {
    const stream = await client.chat.completions.create({
      model: MODEL,
      messages,
      max_tokens: 3,
      stream: true,
    });
    let content = '';
    let last: unknown;
    for await (const chunk of stream) {
      content += chunk.choices[0]?.delta.content ?? '';
      if (chunk.choices[0]?.finish_reason) last = chunk;
    }
    const final = last as {
      usage: { completion_tokens: number };
      stoa_receipt: Receipt;
      choices: { finish_reason: string }[];
    };
    expect(final.choices[0]!.finish_reason).toBe('length');
    expect(final.usage.completion_tokens).toBe(3);
    await expectReceiptMatches(final.stoa_receipt, content, 3);
    expect(content).toBe(unstreamed); // greedy: the same tokens as the unstreamed request
  });

  it('samples at a temperature from the seed; the receipt commits to both, and the seed replays it', async () => {
    const sampled = (seed?: number) =>
      client.chat.completions.create({ model: MODEL, messages, max_tokens: 6, temperature: 1.5, seed });
    const [a, b, c] = await Promise.all([sampled(7), sampled(7), sampled()]);
    const receiptOf = (r: typeof a) => (r as unknown as { stoa_receipt: Receipt }).stoa_receipt;
    expect(b.choices[0]!.message.content).toBe(a.choices[0]!.message.content);
    expect(receiptOf(a).sampling).toEqual({ method: 'sample', temperatureMilli: 1500, seed: '7' });
    await expectReceiptMatches(receiptOf(a), a.choices[0]!.message.content!, 6);
    // No seed: the route picks one and the receipt names it, so the answer can still be replayed.
    const picked = receiptOf(c).sampling.seed;
    const replay = await sampled(Number(picked));
    expect(replay.choices[0]!.message.content).toBe(c.choices[0]!.message.content);
  });

  it('serves legacy completions and refuses bad requests with OpenAI errors', async () => {
    const completion = await client.completions.create({ model: MODEL, prompt: 'the whale', max_tokens: 2 });
    expect(completion.choices[0]!.text).toHaveLength(2);
    expect(completion.usage?.prompt_tokens).toBe(9);
    await expect(
      client.chat.completions.create({ model: MODEL, messages, temperature: 0.7, seed: -1 }),
    ).rejects.toMatchObject({ status: 400, param: 'seed' });
    await expect(
      client.chat.completions.create({ model: MODEL, messages, temperature: 3 }),
    ).rejects.toMatchObject({ status: 400, param: 'temperature' });
    await expect(client.chat.completions.create({ model: 'gpt-4o', messages })).rejects.toMatchObject({
      status: 404,
      code: 'model_not_found',
    });
  });
});
