import { randomGraph } from '@stoa/ir';
import { describe, expect, it } from 'vitest';
import { parseGenerationRequest } from './generation.js';
import { RequestError } from './tensors.js';

const { model } = randomGraph(3);
const vocab = model.graph.nodeTypes[model.graph.outputs[0]!]!.shape.at(-1)!;

describe('the generation route’s body', () => {
  it('takes ids, a token count, a temperature in thousandths, a decimal seed and stop ids', () => {
    expect(parseGenerationRequest(model, { promptTokens: [0, 1], maxTokens: 4 })).toEqual({
      promptTokens: [0, 1],
      maxTokens: 4,
      temperatureMilli: 0,
      seed: '0',
      stopSequences: [],
    });
    const seed = String(2n ** 64n - 1n);
    expect(
      parseGenerationRequest(model, { promptTokens: [0], maxTokens: 1, temperatureMilli: 900, seed }).seed,
    ).toBe(seed);
  });

  it('refuses a bad body with a 400 naming the field', () => {
    const refused = (body: unknown, message: RegExp) => {
      expect(() => parseGenerationRequest(model, body)).toThrow(RequestError);
      expect(() => parseGenerationRequest(model, body)).toThrow(message);
    };
    refused({ promptTokens: [], maxTokens: 1 }, /^promptTokens: /);
    refused({ promptTokens: [0], maxTokens: 0 }, /^maxTokens: /);
    refused({ promptTokens: [0], maxTokens: 513 }, /^maxTokens: /);
    refused({ promptTokens: [0], maxTokens: 1, seed: 7 }, /^seed: /);
    refused({ promptTokens: [0], maxTokens: 1, seed: String(2n ** 64n) }, /^seed: must be below 2\^64/);
    refused({ promptTokens: [0], maxTokens: 1, temperature: 1 }, /temperature/);
    refused({ promptTokens: [0, vocab], maxTokens: 1 }, new RegExp(`token id ${vocab} is outside`));
    refused(
      { promptTokens: [0], maxTokens: 1, stopSequences: [[vocab + 3]] },
      /outside the model's vocabulary/,
    );
  });
});
