import { describe, expect, it } from 'vitest';
import { backward, crossEntropy, forward } from './gpt.js';
import { allParams, type GptConfig, initGpt, zeroGrads } from './params.js';

const CONFIG: GptConfig = { vocab: 7, context: 5, width: 8, heads: 2, layers: 2, hidden: 16 };
const TOKENS = [3, 1, 4, 1, 5];
const TARGETS = [1, 4, 1, 5, 6];

function loss(model: ReturnType<typeof initGpt>): number {
  return crossEntropy(forward(model, TOKENS).logits, TARGETS, CONFIG.vocab, 1).loss;
}

describe('GPT training pass', () => {
  it('backward matches central finite differences on every parameter tensor', () => {
    const model = initGpt(CONFIG, 7);
    // Larger weights than the init so that every path carries a measurable gradient.
    for (const p of allParams(model))
      for (let i = 0; i < p.value.length; i++) p.value[i]! += 0.3 * Math.sin(i + p.name.length);
    zeroGrads(allParams(model));
    const { logits, cache } = forward(model, TOKENS);
    backward(model, cache, crossEntropy(logits, TARGETS, CONFIG.vocab, 1 / TOKENS.length).dLogits);
    for (const p of allParams(model)) {
      for (const i of [0, Math.floor(p.value.length / 2), p.value.length - 1]) {
        const saved = p.value[i]!;
        const h = 1e-2;
        p.value[i] = saved + h;
        const up = loss(model);
        p.value[i] = saved - h;
        const down = loss(model);
        p.value[i] = saved;
        const numeric = (up - down) / (2 * h);
        expect(Math.abs(p.grad[i]! - numeric), `${p.name}[${i}]`).toBeLessThan(
          2e-3 + 0.05 * Math.abs(numeric),
        );
      }
    }
  });

  it('position t does not see later tokens (causal)', () => {
    const model = initGpt(CONFIG, 3);
    const a = forward(model, [1, 2, 3, 4, 5]).logits;
    const b = forward(model, [1, 2, 3, 6, 0]).logits;
    expect(Array.from(a.subarray(0, 3 * CONFIG.vocab))).toEqual(Array.from(b.subarray(0, 3 * CONFIG.vocab)));
    expect(Array.from(a.subarray(3 * CONFIG.vocab))).not.toEqual(Array.from(b.subarray(3 * CONFIG.vocab)));
  });
});
