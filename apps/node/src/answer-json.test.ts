import { onDemandReceipt } from '@stoa/dispute';
import { importMnistModel, loadMnist } from '@stoa/example-mnist';
import {
  createReceiptSigner,
  dequantizeOutput,
  type IntTensor,
  type Model,
  quantizeInput,
  run,
  type SignedReceipt,
} from '@stoa/ir';
import type { Hex } from 'viem';
import { beforeAll, describe, expect, it } from 'vitest';
import { inferenceJson } from './answer-json.js';

const KEY = '0x59c6995e998f97a5a0044966f0945389dc9e86dae88c7a8412f4603b6b78690d';
const MODEL_ID = `0x${'12'.repeat(32)}` as Hex;

let model: Model;
const answers: { outputs: IntTensor[]; receipt: SignedReceipt }[] = [];

beforeAll(async () => {
  model = importMnistModel('cnn').model;
  const images = loadMnist('test').images;
  const signer = await createReceiptSigner(KEY, {
    chainId: 31337,
    verifyingContract: '0x5FbDB2315678afecb367f032d93F642f64180aa3',
  });
  for (let d = 0; d < 10; d++) {
    const inputs = [quantizeInput(model.graph, 0, images.subarray(784 * d, 784 * (d + 1)))];
    const { outputs } = run(model, inputs);
    answers.push({
      outputs,
      receipt: signer.sign(onDemandReceipt(model, inputs, outputs, signer.address, BigInt(d))),
    });
  }
});

/** The answer as the object it stands for, serialized by JSON.stringify (bigints as decimal strings). */
const reference = (outputs: IntTensor[], receipt: SignedReceipt, token: string) =>
  JSON.stringify(
    {
      modelId: MODEL_ID,
      outputs: outputs.map((t, i) => ({
        shape: t.shape,
        data: Array.from(dequantizeOutput(model.graph, i, t)),
        raw: Array.from(t.data),
      })),
      receipt,
      inputsToken: token,
    },
    (_k, v) => (typeof v === 'bigint' ? v.toString() : v),
  );

describe('an inference answer as JSON text', () => {
  it('is byte for byte JSON.stringify of the answer object, for 10 digits', () => {
    for (const { outputs, receipt } of answers) {
      const token = `${receipt.inputDigest.slice(2)}.${'ab'.repeat(32)}`;
      expect(inferenceJson(MODEL_ID, model, outputs, receipt, token)).toBe(
        reference(outputs, receipt, token),
      );
    }
  });

  it('writes values as JSON writes them: negative, fractional, zero and non-finite', () => {
    const { outputs, receipt } = answers[0]!;
    const extreme = Int32Array.from(outputs[0]!.data, (_, k) => [-2147483648, -1, 0, 1, 2147483647][k % 5]!);
    const tensor = { ...outputs[0]!, data: extreme };
    const text = inferenceJson(MODEL_ID, model, [tensor], receipt, 't');
    expect(text).toBe(reference([tensor], receipt, 't'));
    expect(JSON.parse(text).outputs[0].raw).toEqual(Array.from(extreme));
  });
});
